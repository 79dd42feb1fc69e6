/**
 * TCP hole punching over a relayed connection (`/peermpc/holepunch/1.0.0`), after libp2p's DCUtR.
 * Both peers connect to each other at once from their listen ports (reuseport.ts): each SYN opens
 * the sender's NAT for the other, and the two meet in one TCP connection (a simultaneous open). In
 * such a connection both ends are dialers, which libp2p's negotiation cannot resolve, so roles are
 * fixed by the protocol: the leader upgrades it as an outbound connection, the follower hands its
 * socket to its TCP listener as an inbound one. (A low-TTL SYN from one side and a plain dial from
 * the other does not work through Linux NATs: conntrack's window tracking drops the listener's
 * SYN-ACK, whose sequence number is not the probe's.) The peer that accepted the relayed connection
 * (I) leads; the other (R) follows:
 *
 * 1. I sends its public TCP addresses, R answers with its own; I measures the round trip (rtt).
 *    A peer's public addresses are the IPs its dial-back probes observed (reachability.ts) with its
 *    listen port: right when its NAT maps ports endpoint-independently and keeps the port.
 * 2. I sends `sync`. On receiving it, R connects from its listen port to I's first address and gives
 *    the socket to its listener (inbound). rtt/2 after its `sync`, I dials R's addresses from its
 *    listen port (reuseport-tcp.ts, outbound). Once the connection is up, I closes the relayed one,
 *    so sessions use the direct one. One more try on failure; a symmetric NAT (a new port per
 *    destination) defeats both, and the peers stay relayed.
 *
 * Attacks considered: a peer steering our SYNs or dials at third parties (at most
 * {@link MAX_PUNCH_ADDRS} addresses, once per relayed connection, only with a peer the access lists
 * admit and already connected; a follower's connect is one socket to the first address; a dial
 * names the peer id, so Noise fails against anyone else); a flood of attempts (one at a time per peer); oversized
 * messages (1 KiB frames, a deadline on the whole exchange).
 */
import type { Connection, Logger, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import type { PeerNode } from './libp2p-node.js';
import { isRelayed } from './nat.js';
import { PunchTargets } from './reuseport-tcp.js';

/** The protocol id. */
export const HOLEPUNCH_PROTOCOL = '/peermpc/holepunch/1.0.0';
/** Most addresses taken from a peer. */
export const MAX_PUNCH_ADDRS = 4;
/** Deadline of one whole hole punch, in ms. */
export const HOLEPUNCH_MS = 15_000;
const MAX_FRAME = 1024;
const DIAL_MS = 3_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** What the hole puncher needs from the peer. */
export interface HolePunchDeps {
  /** The libp2p node. */
  node: PeerNode;
  /** The listen ports and the dial targets that leave from them. */
  punch: PunchTargets;
  /** This peer's public TCP addresses (`/ip4/x/tcp/p`), empty when unknown. */
  publicAddrs(): string[];
  /** Called after each attempt (for status and tests). */
  onResult?(peer: string, direct: boolean): void;
  /** Logger. */
  log: Logger;
}

/** `host`, `port` of a public TCP multiaddr without `/p2p`, or undefined when it is not one. */
export function tcpTarget(addr: unknown): { host: string; port: number } | undefined {
  if (typeof addr !== 'string' || addr.length > 200) return undefined;
  try {
    const parts = multiaddr(addr).getComponents();
    const [ip, tcp] = parts;
    if (parts.length !== 2 || (ip?.name !== 'ip4' && ip?.name !== 'ip6') || tcp?.name !== 'tcp')
      return undefined;
    const port = Number(tcp.value);
    return ip.value !== undefined && port > 0 && port < 65536 ? { host: ip.value, port } : undefined;
  } catch {
    return undefined;
  }
}

/** The peer's addresses from a message: valid TCP ones only, at most {@link MAX_PUNCH_ADDRS}. */
export function addrsOf(message: unknown): string[] {
  const addrs = (message as { addrs?: unknown } | null)?.addrs;
  return Array.isArray(addrs)
    ? addrs.filter((a) => tcpTarget(a) !== undefined).slice(0, MAX_PUNCH_ADDRS)
    : [];
}

/** Runs hole punches on relayed connections. */
export class HolePuncher {
  private readonly busy = new Set<string>();
  /** Ids of the direct connections hole punches made (this side dialled them). */
  readonly punchedConnections = new Set<string>();

  constructor(private readonly deps: HolePunchDeps) {}

  /** Serves the protocol and leads a hole punch on every inbound relayed connection. */
  async start(): Promise<void> {
    await this.deps.node.handle(HOLEPUNCH_PROTOCOL, (stream, conn) => this.follow(stream, conn), {
      runOnLimitedConnection: true,
      maxInboundStreams: 4,
    });
    this.deps.node.addEventListener('connection:open', this.onOpen);
  }

  /** Stops leading hole punches. */
  stop(): void {
    this.deps.node.removeEventListener('connection:open', this.onOpen);
  }

  private readonly onOpen = (evt: CustomEvent<Connection>): void => {
    const conn = evt.detail;
    if (!isRelayed(conn) || conn.direction !== 'inbound') return;
    void this.lead(conn);
  };

  private hasDirect(peer: string): boolean {
    return this.deps.node.getConnections().some((c) => c.remotePeer.toString() === peer && !isRelayed(c));
  }

  /** I's side: exchange addresses, sync, dial; close the relayed connection once direct. */
  async lead(conn: Connection): Promise<boolean> {
    const peer = conn.remotePeer.toString();
    const mine = this.deps.publicAddrs();
    if (this.busy.has(peer) || this.hasDirect(peer) || mine.length === 0) return false;
    this.busy.add(peer);
    const signal = AbortSignal.timeout(HOLEPUNCH_MS);
    let direct = false;
    let stream: Stream | undefined;
    try {
      stream = await conn.newStream(HOLEPUNCH_PROTOCOL, { signal, runOnLimitedConnection: true });
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME });
      const t0 = performance.now();
      await lp.write(enc.encode(JSON.stringify({ addrs: mine })), { signal });
      const theirs = addrsOf(JSON.parse(dec.decode((await lp.read({ signal })).subarray())));
      const rtt = performance.now() - t0;
      for (let attempt = 0; attempt < 2 && !direct && theirs.length > 0; attempt++) {
        await lp.write(enc.encode('{"sync":true}'), { signal });
        await new Promise((r) => setTimeout(r, rtt / 2 + 20));
        direct = await this.dialAny(peer, theirs, signal);
      }
      await stream.close({ signal }).catch(() => undefined);
    } catch (err) {
      stream?.abort(err as Error);
      this.deps.log('hole punch with %s failed: %s', peer, (err as Error).message);
    } finally {
      this.busy.delete(peer);
    }
    this.deps.log('hole punch with %s: %s', peer, direct ? 'direct' : 'stays relayed');
    if (direct) setTimeout(() => void conn.close().catch(() => undefined), 500).unref?.();
    this.deps.onResult?.(peer, direct);
    return direct;
  }

  /** Dials the peer's addresses from the listen port; true once one connects. */
  private async dialAny(peer: string, addrs: string[], signal: AbortSignal): Promise<boolean> {
    for (const addr of addrs) {
      const t = tcpTarget(addr)!;
      const key = PunchTargets.key(t.host, t.port);
      this.deps.punch.targets.add(key);
      try {
        const c = await this.deps.node.dial(multiaddr(`${addr}/p2p/${peer}`), {
          force: true,
          signal: AbortSignal.any([signal, AbortSignal.timeout(DIAL_MS)]),
        });
        if (!isRelayed(c)) {
          this.punchedConnections.add(c.id);
          c.addEventListener?.('close', () => this.punchedConnections.delete(c.id), { once: true });
          return true;
        }
      } catch (err) {
        this.deps.log('hole punch dial %s failed: %s', addr, (err as Error).message);
      } finally {
        this.deps.punch.targets.delete(key);
      }
    }
    return false;
  }

  /** R's side: answer with our addresses, punch towards I's on each sync. */
  private async follow(stream: Stream, conn: Connection): Promise<void> {
    const peer = conn.remotePeer.toString();
    if (!isRelayed(conn) || this.busy.has(peer)) {
      stream.abort(new Error('hole punch: only one at a time, over a relayed connection'));
      return;
    }
    this.busy.add(peer);
    const signal = AbortSignal.timeout(HOLEPUNCH_MS);
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME });
      const theirs = addrsOf(JSON.parse(dec.decode((await lp.read({ signal })).subarray())));
      await lp.write(enc.encode(JSON.stringify({ addrs: this.deps.publicAddrs() })), { signal });
      for (let syncs = 0; syncs < 2; syncs++) {
        const msg = JSON.parse(dec.decode((await lp.read({ signal })).subarray())) as { sync?: unknown };
        if (msg?.sync !== true) break;
        void this.connectTo(theirs[0], signal);
      }
    } catch {
      // the leader closed the stream (done) or the deadline passed: nothing more to do
    } finally {
      this.busy.delete(peer);
      stream.abort(new Error('hole punch done'));
    }
  }

  /** R's connect towards I's address; the socket becomes an inbound connection of our listener. */
  private async connectTo(addr: string | undefined, signal: AbortSignal): Promise<void> {
    const t = addr === undefined ? undefined : tcpTarget(addr);
    if (t === undefined) return;
    const server = this.deps.punch.servers.get(t.host.includes(':') ? 6 : 4);
    if (server === undefined) return;
    try {
      const socket = await this.deps.punch.connectFromListenPort(t.host, t.port, {
        timeoutMs: DIAL_MS,
        signal,
      });
      if (socket === undefined) return;
      server.emit('connection', socket);
    } catch (err) {
      // EADDRNOTAVAIL: the leader's SYN reached our listener first, which accepted it (inbound)
      this.deps.log('hole punch connect towards %s: %s', addr, (err as Error).message);
    }
  }
}
