/**
 * Reachability: does a peer accept connections from the network, or does it sit behind a NAT or
 * firewall and need a relay? libp2p's AutoNAT answers this on the public internet only: it refuses
 * to dial private addresses, so on a LAN, a VPN or the network lab every peer would stay unknown.
 * peermpc asks its connected peers to dial it back instead (`/peermpc/dialback/1.0.0`):
 *
 * 1. The asking peer sends the TCP ports it listens on (at most {@link MAX_DIALBACK_PORTS}).
 * 2. The answering peer connects, on a new TCP connection, to the address it sees the request come
 *    from: the connection's remote IP (never an address the asker names: no one can point it at a
 *    third party), on those ports and on the connection's own remote port; it counts an address
 *    as reachable when a libp2p listener answers there (the multistream-select header comes back),
 *    closes the socket, and replies with what worked. Not a whole libp2p connection: a second
 *    connection between the two peers, closed at once, broke the streams the asker had opened on
 *    it meanwhile (200 concurrent catalog requests timed out). The peer id is not checked: the
 *    answer is about the asker's NAT, and a listener at its own IP is its own.
 * 3. Any address that worked makes the peer `public`; answers that all failed make it `private`,
 *    and a private peer reserves a slot on a relay (nat.ts). No answer keeps it `unknown`.
 *
 * Attacks considered: a requester using the answer to scan others (only its own observed IP is
 * dialled); one requester exhausting a peer's dials (one request per peer at a time, at most
 * {@link MAX_DIALBACK_PORTS} dials of {@link DIALBACK_DIAL_MS} each); a relayed request (refused:
 * its remote address is the relay's); a lying answer (it can only make the asker reserve a relay
 * slot it does not need, or skip one it needs: ask several peers, trust any success).
 */
import type { Logger } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import net from 'node:net';
import { PerPeerLimit } from './catalog/per-peer-limit.js';
import type { RequestConnection, RequestHandler } from './request-protocol.js';

/** The protocol id. */
export const DIALBACK_PROTOCOL = '/peermpc/dialback/1.0.0';

/** Most ports one request may ask to be dialled on. */
export const MAX_DIALBACK_PORTS = 4;

/** Time allowed for each dial back, in ms. */
export const DIALBACK_DIAL_MS = 4_000;

/** Largest dial-back request, in bytes. */
export const MAX_DIALBACK_REQUEST_BYTES = 256;

/** What a peer knows of its own reachability. */
export type Reachability = 'unknown' | 'public' | 'private';

/** A dial-back request. */
export interface DialBackRequest {
  /** TCP ports the asker listens on. */
  ports: number[];
}

/** A dial-back answer: the addresses that could be dialled (empty: none). */
export interface DialBackReply {
  /** Multiaddrs (without `/p2p`) that reached the asker. */
  reachable: string[];
  /** The IP address the request came from, as the answering peer saw it (the asker's NAT's). */
  observed?: string;
  /** Why nothing was tried (a relayed request, a malformed one). */
  refused?: string;
}

/** Connects to `addr` (`/ip4|ip6/<ip>/tcp/<port>`) and checks a libp2p listener answers; rejects otherwise. */
export type DialBack = (addr: string, signal: AbortSignal) => Promise<void>;

/** multistream-select's header, length-prefixed: what a libp2p listener sends back first. */
const MSS_HEADER = new Uint8Array([19, ...new TextEncoder().encode('/multistream/1.0.0\n')]);

/** The {@link DialBack} peers use: a TCP connect and multistream-select's header exchange. */
export const tcpDialBack: DialBack = (addr, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new Error('dial back aborted'));
    const parts = multiaddr(addr).getComponents();
    const host = parts[0]?.value;
    const port = Number(parts[1]?.value);
    if (host === undefined || !(port > 0)) return reject(new TypeError(`not a TCP address: ${addr}`));
    const socket = net.connect({ host, port });
    let got = new Uint8Array(0);
    const done = (err?: Error): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = (): void => done(new Error('dial back timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', done);
    socket.once('connect', () => socket.write(MSS_HEADER));
    socket.on('data', (d: Buffer) => {
      got = new Uint8Array([...got, ...d]).subarray(0, MSS_HEADER.length);
      if (got.length < MSS_HEADER.length) return;
      done(got.every((b, i) => b === MSS_HEADER[i]) ? undefined : new Error('not a libp2p listener'));
    });
    socket.once('end', () => done(new Error('closed before answering')));
  });

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536;
}

/** The addresses to dial back for a request on `via`, or a reason to refuse it. */
export function dialBackTargets(message: unknown, via: RequestConnection): string[] | { refused: string } {
  if (via.relayed) return { refused: 'relayed request: its address is the relay' };
  const ports = (message as Partial<DialBackRequest> | null)?.ports;
  if (!Array.isArray(ports) || ports.length > MAX_DIALBACK_PORTS || !ports.every(isPort))
    return { refused: `ports must be 1 to ${MAX_DIALBACK_PORTS} TCP ports` };
  let ip: { proto: string; value: string } | undefined;
  let observedPort: number | undefined;
  for (const c of multiaddr(via.remoteAddr).getComponents()) {
    if ((c.name === 'ip4' || c.name === 'ip6') && c.value !== undefined)
      ip = { proto: c.name, value: c.value };
    if (c.name === 'tcp' && c.value !== undefined) observedPort = Number(c.value);
  }
  if (ip === undefined || observedPort === undefined) return { refused: 'not a TCP connection' };
  const all = [...new Set([observedPort, ...ports])].slice(0, MAX_DIALBACK_PORTS);
  return all.map((p) => `/${ip.proto}/${ip.value}/tcp/${p}`);
}

/** The server side: dials the asker back (one request per peer at a time). */
export function dialBackHandler(dial: DialBack, log: Logger): RequestHandler {
  const limit = new PerPeerLimit(1);
  return (message, from, via) =>
    limit.run(from, async (): Promise<DialBackReply> => {
      const targets = dialBackTargets(message, via);
      if (!Array.isArray(targets)) return { reachable: [], refused: targets.refused };
      const reachable: string[] = [];
      const observed = targets[0]!.split('/')[2];
      for (const addr of targets) {
        try {
          await dial(`${addr}/p2p/${from}`, AbortSignal.timeout(DIALBACK_DIAL_MS));
          reachable.push(addr);
        } catch (err) {
          log('dial back to %s at %s failed: %s', from, addr, (err as Error).message);
        }
      }
      return { reachable, ...(observed !== undefined ? { observed } : {}) };
    });
}

/** Folds answers into a verdict: any success is public; answers that all failed are private. */
export function reachabilityOf(answers: readonly (DialBackReply | undefined)[]): Reachability {
  const valid = answers.filter((a): a is DialBackReply => a !== undefined && a.refused === undefined);
  if (valid.some((a) => a.reachable.length > 0)) return 'public';
  return valid.length > 0 ? 'private' : 'unknown';
}
