/**
 * Drives a peer's NAT traversal at run time: asks connected peers to dial it back
 * (reachability.ts), and once it knows it is private, reserves a slot on a relay by listening on
 * the relay addresses (nat.ts); serves dial-back requests of others.
 */
import type { Logger } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { isIP } from 'node:net';
import { multiaddr } from '@multiformats/multiaddr';
import { HolePuncher } from './holepunch.js';
import { isRelayed, reservationAddrs } from './nat.js';
import { reusePortAvailable } from './reuseport.js';
import type { PunchTargets } from './reuseport-tcp.js';
import type { PeerNode } from './libp2p-node.js';
import { requestStreamHandler, sendRequest } from './request-protocol.js';
import {
  dialBackHandler,
  DIALBACK_DIAL_MS,
  DIALBACK_PROTOCOL,
  MAX_DIALBACK_PORTS,
  MAX_DIALBACK_REQUEST_BYTES,
  reachabilityOf,
  tcpDialBack,
  type DialBackReply,
  type Reachability,
} from './reachability.js';
import type { PeerNatOptions } from './types.js';

/** Peers asked per probe. */
const PEERS_ASKED = 3;

/** What the manager needs from the peer. */
export interface NatManagerDeps {
  /** The libp2p node. */
  node: PeerNode;
  /** NAT options. */
  nat: PeerNatOptions | undefined;
  /** Whether the access lists admit `peerId` on `protocol`. */
  admit(peerId: string, protocol: string): boolean;
  /** The listen ports and hole-punch dial targets (shared with the TCP transport). */
  punch: PunchTargets;
  /** Accept private addresses (PeerInit.allowPrivateAddresses): also for hole punching. */
  allowPrivateAddresses: boolean;
  /** Logger. */
  log: Logger;
}

/** Most observed IPs kept (the newest). */
const MAX_OBSERVED = 2;
/** Hole punch outcomes kept for status (the latest peers'). */
const MAX_PUNCH_OUTCOMES = 64;

/** Internal libp2p component the relay reservations are made through (not in libp2p's public API). */
interface WithTransportManager {
  components?: { transportManager?: { listen(addrs: ReturnType<typeof multiaddr>[]): Promise<void> } };
}

/** The NAT manager of one peer. */
export class NatManager {
  private state: Reachability;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private reserving: Promise<void> | undefined;
  private readonly observed: string[] = [];
  /** Probes in a row that learned nothing (no answer): the next waits 10 s doubled that often, up to 10 min. */
  private unanswered = 0;
  private readonly puncher: HolePuncher | undefined;
  /** The outcome of the last hole punch this peer led, by peer id (`direct`, or why relayed). */
  readonly punched = new Map<string, string>();

  constructor(private readonly deps: NatManagerDeps) {
    const mode = deps.nat?.reachability ?? 'auto';
    this.state = mode === 'auto' ? 'unknown' : mode;
    if (deps.nat?.holePunch !== false && reusePortAvailable())
      this.puncher = new HolePuncher({
        node: deps.node,
        punch: deps.punch,
        publicAddrs: () => this.publicAddrs(),
        onResult: (peer, outcome) => {
          this.punched.delete(peer);
          if (this.punched.size >= MAX_PUNCH_OUTCOMES) this.punched.delete(this.punched.keys().next().value!);
          this.punched.set(peer, outcome);
        },
        admit: (peer, protocol) => deps.admit(peer, protocol),
        allowPrivateAddresses: deps.allowPrivateAddresses,
        log: deps.log,
      });
  }

  /** The wait before the next probe after one that learned nothing. */
  private backoff(): number {
    return Math.min(600_000, 10_000 * 2 ** this.unanswered++);
  }

  /** Whether the connection with this id was made by a hole punch of this peer. */
  holePunched(connectionId: string): boolean {
    return this.puncher?.punchedConnections.has(connectionId) ?? false;
  }

  /**
   * This peer's public TCP addresses for hole punching: each IP its dial-back probes observed, with
   * its listen port (right behind a NAT that keeps ports; see holepunch.ts).
   */
  publicAddrs(): string[] {
    const out: string[] = [];
    for (const ip of this.observed) {
      const v6 = ip.includes(':');
      const port = this.deps.punch.ports.get(v6 ? 6 : 4)?.port;
      if (port !== undefined) out.push(`/${v6 ? 'ip6' : 'ip4'}/${ip}/tcp/${port}`);
    }
    return out;
  }

  /** What the peer knows of its reachability. */
  get reachability(): Reachability {
    return this.state;
  }

  /** Serves dial-back requests; starts probing (reachability `auto`) or reserving (`private`). */
  async start(): Promise<void> {
    const { node, log } = this.deps;
    await node.handle(
      DIALBACK_PROTOCOL,
      requestStreamHandler(
        DIALBACK_PROTOCOL,
        dialBackHandler(tcpDialBack, log),
        (p) => this.deps.admit(p, DIALBACK_PROTOCOL),
        log,
        {
          maxRequestBytes: MAX_DIALBACK_REQUEST_BYTES,
          timeoutMs: DIALBACK_DIAL_MS * MAX_DIALBACK_PORTS + 2_000,
        },
      ),
      { maxInboundStreams: 8 },
    );
    await this.puncher?.start();
    this.running = true;
    // A configured verdict still needs the observed address a hole punch uses: every peer probes,
    // unless it neither asks (reachability configured) nor can punch (holePunch off or no
    // SO_REUSEPORT helper: a simulation on loopback, say)
    const mode = this.deps.nat?.reachability ?? 'auto';
    if (mode === 'auto' || this.puncher !== undefined) this.schedule(1_000);
    if ((this.deps.nat?.reachability ?? 'auto') === 'private') void this.reserve();
  }

  /** Stops probing. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.puncher?.stop();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => void this.probe(), ms);
    this.timer.unref?.();
  }

  /** One probe: ask up to three directly connected peers to dial back; act on the verdict. */
  async probe(): Promise<Reachability> {
    const ports = this.listenPorts();
    const peers = [
      ...new Set(
        this.deps.node
          .getConnections()
          .filter((c) => !isRelayed(c))
          .map((c) => c.remotePeer.toString()),
      ),
    ].slice(0, PEERS_ASKED);
    if (ports.length === 0 || peers.length === 0) {
      this.schedule(ports.length === 0 ? 600_000 : 5_000);
      return this.state;
    }
    const answers = await Promise.all(
      peers.map((p) =>
        sendRequest(
          (peer, proto, o) => this.deps.node.dialProtocol(peer, proto, o),
          peerIdFromString(p),
          DIALBACK_PROTOCOL,
          { ports },
          {
            timeoutMs: DIALBACK_DIAL_MS * MAX_DIALBACK_PORTS + 2_000,
            maxReplyBytes: 4096,
          },
        )
          .then((r) => r as DialBackReply)
          .catch(() => undefined),
      ),
    );
    for (const a of answers)
      if (typeof a?.observed === 'string' && isIP(a.observed) !== 0 && !this.observed.includes(a.observed)) {
        this.observed.unshift(a.observed);
        this.observed.length = Math.min(this.observed.length, MAX_OBSERVED);
      }
    const mode = this.deps.nat?.reachability ?? 'auto';
    if (mode !== 'auto') {
      this.schedule(this.observed.length === 0 ? this.backoff() : 600_000);
      return this.state;
    }
    const verdict = reachabilityOf(answers);
    if (verdict !== 'unknown' && verdict !== this.state)
      this.deps.log('reachability: %s (asked %d peers)', verdict, peers.length);
    if (verdict !== 'unknown') this.state = verdict;
    if (this.state === 'private') await this.reserve();
    this.schedule(verdict === 'unknown' ? this.backoff() : 600_000);
    if (verdict !== 'unknown') this.unanswered = 0;
    return this.state;
  }

  /** Reserves a relay slot (once): listens on the configured relays, or on the relay search. */
  reserve(): Promise<void> {
    this.reserving ??= (async () => {
      const tm = (this.deps.node as unknown as WithTransportManager).components?.transportManager;
      if (tm === undefined) throw new Error('libp2p has no transport manager to listen through a relay');
      await tm.listen(reservationAddrs(this.deps.nat).map((a) => multiaddr(a)));
    })().catch((err: Error) => {
      this.deps.log('relay reservation failed: %s', err.message);
      this.reserving = undefined;
      if (this.running) setTimeout(() => this.running && void this.reserve(), 10_000).unref?.();
    });
    return this.reserving;
  }

  /** The TCP ports this peer listens on (from its transport addresses). */
  private listenPorts(): number[] {
    const ports = new Set<number>();
    for (const ma of this.deps.node.getMultiaddrs()) {
      const parts = ma.getComponents();
      if (parts.some((c) => c.name === 'p2p-circuit')) continue;
      const tcp = parts.find((c) => c.name === 'tcp');
      if (tcp?.value !== undefined) ports.add(Number(tcp.value));
    }
    return [...ports].slice(0, MAX_DIALBACK_PORTS);
  }
}
