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
 *    so sessions use the direct one. One more sync on failure; when no connect got through,
 *    I leads again after 5 s and after 30 s more (a busy machine can miss the timing); a
 *    symmetric NAT (a new port per destination) defeats them all, and the peers stay relayed.
 *
 * Attacks considered (an adversarial review found the first two open; see holepunch.test.ts):
 * - A peer steering our connects at third parties, e.g. its victim's internal network, and timing
 *   them to scan ports: a peer's addresses must be unicast IPs (never loopback, link-local,
 *   multicast or unspecified; private ranges only with `allowPrivateAddresses`, as on a LAN or in
 *   the lab); at most {@link MAX_PUNCH_ADDRS}; at most {@link PUNCHES_PER_INTERVAL} attempts per
 *   peer per {@link PUNCH_INTERVAL_MS}, a second apart, at most {@link MAX_CONCURRENT_PUNCHES} at
 *   once; roles fixed by the relayed connection's
 *   direction (the peer that accepted it leads, the one that dialled it follows), so a peer cannot
 *   make us follow for a connection it accepted.
 * - A stranger answering our follower's connect: the inbound connection our listener makes of the
 *   socket must authenticate (Noise) as the peer we punch with, or it is closed at once.
 * - A leader's dial names the peer id, so Noise fails against anyone else (though the TCP
 *   connection and the first negotiation bytes have gone out: hence the address rules).
 * - Oversized messages: 1 KiB frames, a deadline on the whole exchange; the access lists are
 *   checked on this protocol as on every peermpc protocol.
 */
import type { Connection, Logger, Stream } from '@libp2p/interface';
import { isLinkLocal, isLoopback, isPrivate, lpStream } from '@libp2p/utils';
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
/** The window in which at most {@link PUNCHES_PER_INTERVAL} hole punches with one peer start, in ms. */
export const PUNCH_INTERVAL_MS = 5 * 60_000;
/** Hole punches with one peer that may start within {@link PUNCH_INTERVAL_MS}: a first and two retries. */
export const PUNCHES_PER_INTERVAL = 3;
/** Least time between the starts of two hole punches with one peer, in ms. */
export const MIN_PUNCH_SPACING_MS = 1_000;
/**
 * Waits of a leader before it tries again after a punch whose connects all failed (a busy machine
 * can miss the timing once; a symmetric NAT fails them all), in ms.
 */
export const SYNCED_RETRY_DELAYS_MS: readonly number[] = [5_000, 30_000];
/** Hole punches running at once, over all peers. */
export const MAX_CONCURRENT_PUNCHES = 4;
/** How long a leader waits for its own public addresses (its dial-back probes may still run). */
export const OWN_ADDRS_WAIT_MS = 60_000;
const MAX_FRAME = 1024;
const DIAL_MS = 3_000;
/** Retries of a punch that never reached a connect (refused, or the follower knew no address yet). */
const UNSYNCED_RETRIES = 5;
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
  /**
   * Called after each punch this peer led, with its outcome: `direct`, or why it stays relayed
   * (for status, and the lab's diagnosis).
   */
  onResult?(peer: string, outcome: string): void;
  /** Whether the access lists admit `peer` on the protocol. */
  admit(peer: string, protocol: string): boolean;
  /** Accept private (RFC 1918, ULA, CGNAT) addresses: a LAN, a VPN, the lab. */
  allowPrivateAddresses: boolean;
  /** Logger. */
  log: Logger;
}

/** `host`, `port` of a TCP multiaddr without `/p2p`, or undefined when it is not one. */
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

/** Whether an IP may be punched towards: unicast, not loopback or link-local; private only if allowed. */
export function punchableIp(host: string, allowPrivate: boolean): boolean {
  const ma = multiaddr(`/${host.includes(':') ? 'ip6' : 'ip4'}/${host}/tcp/1`);
  if (isLoopback(ma) || isLinkLocal(ma)) return false;
  if (/^(0\.|22[4-9]\.|2[3-5]\d\.)/.test(host) || /^(::$|ff)/i.test(host)) return false; // unspecified, multicast
  return allowPrivate || isPrivate(ma) !== true;
}

/** The peer's addresses from a message: TCP ones we may punch towards, at most {@link MAX_PUNCH_ADDRS}. */
export function addrsOf(message: unknown, allowPrivate: boolean): string[] {
  const addrs = (message as { addrs?: unknown } | null)?.addrs;
  if (!Array.isArray(addrs)) return [];
  return addrs.slice(0, MAX_PUNCH_ADDRS).filter((a): a is string => {
    const t = tcpTarget(a);
    return t !== undefined && punchableIp(t.host, allowPrivate);
  });
}

/**
 * Whether a hole punch with a peer may start at `now`, given when its recent ones started: fewer
 * than {@link PUNCHES_PER_INTERVAL} within {@link PUNCH_INTERVAL_MS}, the last at least
 * {@link MIN_PUNCH_SPACING_MS} ago.
 */
export function punchAllowed(starts: readonly number[], now: number): boolean {
  const recent = starts.filter((t) => now - t < PUNCH_INTERVAL_MS);
  if (recent.length >= PUNCHES_PER_INTERVAL) return false;
  const last = recent[recent.length - 1];
  return last === undefined || now - last >= MIN_PUNCH_SPACING_MS;
}

/** Runs hole punches on relayed connections. */
export class HolePuncher {
  private readonly busy = new Set<string>();
  /** When each peer's recent hole punches started (ms since the epoch; see {@link punchAllowed}). */
  private readonly lastPunch = new Map<string, number[]>();
  /** Inbound connections our follower's sockets become, by remote `host:port`: the peer expected. */
  private readonly expected = new Map<string, string>();
  /** Ids of the direct connections hole punches made (this side dialled them). */
  readonly punchedConnections = new Set<string>();

  private stopped = false;

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
    this.stopped = true;
    this.deps.node.removeEventListener('connection:open', this.onOpen);
  }

  private readonly onOpen = (evt: CustomEvent<Connection>): void => {
    const conn = evt.detail;
    this.checkExpected(conn);
    if (!isRelayed(conn) || conn.direction !== 'inbound') return;
    void this.lead(conn);
  };

  /** Takes a turn for `peer`: false when one runs, too many ran lately, or too many run. */
  private take(peer: string): boolean {
    const now = Date.now();
    const starts = (this.lastPunch.get(peer) ?? []).filter((t) => now - t < PUNCH_INTERVAL_MS);
    if (this.busy.has(peer) || this.busy.size >= MAX_CONCURRENT_PUNCHES) return false;
    if (!punchAllowed(starts, now)) return false;
    if (this.lastPunch.size > 10_000) this.lastPunch.clear(); // bounded; forgetting only allows a retry
    starts.push(now);
    this.lastPunch.set(peer, starts);
    this.busy.add(peer);
    return true;
  }

  /** Counts the last turn taken with `peer` as no attempt once {@link MIN_PUNCH_SPACING_MS} passed. */
  private notAnAttempt(peer: string): void {
    const starts = this.lastPunch.get(peer);
    if (starts !== undefined && starts.length > 0)
      starts[starts.length - 1] = Date.now() - PUNCH_INTERVAL_MS + MIN_PUNCH_SPACING_MS;
  }

  /** Closes an inbound connection made of a follower's socket when it is not the expected peer. */
  private checkExpected(conn: Connection): void {
    if (conn.direction !== 'inbound' || this.expected.size === 0) return;
    const parts = conn.remoteAddr.getComponents();
    const t = tcpTarget(`/${parts[0]?.name}/${parts[0]?.value}/tcp/${parts[1]?.value}`);
    if (t === undefined) return;
    const key = PunchTargets.key(t.host, t.port);
    const want = this.expected.get(key);
    if (want === undefined) return;
    this.expected.delete(key);
    if (conn.remotePeer.toString() === want) return;
    this.deps.log('hole punch: %s answered instead of %s; closed', conn.remotePeer, want);
    conn.abort(new Error('hole punch: not the expected peer'));
  }

  private hasDirect(peer: string): boolean {
    return this.deps.node.getConnections().some((c) => c.remotePeer.toString() === peer && !isRelayed(c));
  }

  /**
   * This peer's public addresses, waiting up to {@link OWN_ADDRS_WAIT_MS} while the relayed
   * connection lasts: a relayed connection may open before the dial-back probes observed our IP.
   */
  private async ownAddrs(conn: Connection): Promise<string[]> {
    const deadline = Date.now() + OWN_ADDRS_WAIT_MS;
    let mine = this.deps.publicAddrs();
    while (mine.length === 0 && !this.stopped && conn.status === 'open' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
      mine = this.deps.publicAddrs();
    }
    return mine;
  }

  /**
   * I's side: exchange addresses, sync, dial; close the relayed connection once direct. Tries
   * again after a pause when no connect was made (`retries`) or none got through (`syncedRetries`).
   */
  async lead(conn: Connection, retries = UNSYNCED_RETRIES, syncedRetries = 0): Promise<boolean> {
    const peer = conn.remotePeer.toString();
    if (!this.deps.admit(peer, HOLEPUNCH_PROTOCOL)) return false;
    const mine = await this.ownAddrs(conn);
    if (this.hasDirect(peer) || this.stopped || conn.status !== 'open') return false;
    if (mine.length === 0) {
      this.deps.onResult?.(peer, 'relayed: no public address of ours (no dial-back probe observed one)');
      return false;
    }
    if (!this.take(peer)) return false;
    let why = 'relayed: no connect got through';
    const signal = AbortSignal.timeout(HOLEPUNCH_MS);
    let direct = false;
    let synced = false;
    let stream: Stream | undefined;
    try {
      stream = await conn.newStream(HOLEPUNCH_PROTOCOL, { signal, runOnLimitedConnection: true });
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME });
      const t0 = performance.now();
      await lp.write(enc.encode(JSON.stringify({ addrs: mine })), { signal });
      const reply: unknown = JSON.parse(dec.decode((await lp.read({ signal })).subarray()));
      const theirs = addrsOf(reply, this.deps.allowPrivateAddresses);
      if (theirs.length === 0) why = 'relayed: the peer gave no address to punch towards';
      const rtt = performance.now() - t0;
      for (let attempt = 0; attempt < 2 && !direct && theirs.length > 0; attempt++) {
        await lp.write(enc.encode('{"sync":true}'), { signal });
        synced = true;
        await new Promise((r) => setTimeout(r, rtt / 2 + 20));
        direct = await this.dialAny(peer, theirs, signal);
      }
      await stream.close({ signal }).catch(() => undefined);
    } catch (err) {
      stream?.abort(err as Error);
      why = `relayed: ${(err as Error).message.slice(0, 200)}`;
      this.deps.log('hole punch with %s failed: %s', peer, (err as Error).message);
    } finally {
      this.busy.delete(peer);
    }
    if (!synced && retries > 0 && conn.status === 'open' && !this.stopped) {
      // refused before any connect (say the peer was leading towards us at the same moment), or
      // the peer knew no address of its own yet: not an attempt; try again after a random pause,
      // which also breaks a tie
      this.notAnAttempt(peer);
      await new Promise((r) => setTimeout(r, 1_000 + Math.random() * 3_000));
      return this.lead(conn, retries - 1, syncedRetries);
    }
    const again = SYNCED_RETRY_DELAYS_MS[syncedRetries];
    if (!direct && synced && again !== undefined && conn.status === 'open' && !this.stopped) {
      // every connect failed: the timing may have been missed (a busy machine); try again later
      this.deps.log('hole punch with %s: %s; trying again in %d ms', peer, why, again);
      this.deps.onResult?.(peer, `${why} (trying again)`);
      await new Promise((r) => setTimeout(r, again).unref?.());
      return this.lead(conn, UNSYNCED_RETRIES, syncedRetries + 1); // which stops if direct by now
    }
    const outcome = direct ? 'direct' : why;
    this.deps.log('hole punch with %s: %s', peer, outcome);
    if (direct) setTimeout(() => void conn.close().catch(() => undefined), 500).unref?.();
    this.deps.onResult?.(peer, outcome);
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
    // the follower dialled the relayed connection: never follow for one this peer accepted
    const allowed =
      isRelayed(conn) && conn.direction === 'outbound' && this.deps.admit(peer, HOLEPUNCH_PROTOCOL);
    if (!allowed || !this.take(peer)) {
      stream.abort(
        new Error('hole punch refused: only over a relayed connection this peer dialled, one at a time'),
      );
      return;
    }
    const signal = AbortSignal.timeout(HOLEPUNCH_MS);
    let synced = false;
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME });
      const offer: unknown = JSON.parse(dec.decode((await lp.read({ signal })).subarray()));
      const theirs = addrsOf(offer, this.deps.allowPrivateAddresses);
      await lp.write(enc.encode(JSON.stringify({ addrs: this.deps.publicAddrs() })), { signal });
      for (let syncs = 0; syncs < 2; syncs++) {
        const msg = JSON.parse(dec.decode((await lp.read({ signal })).subarray())) as { sync?: unknown };
        if (msg?.sync !== true) break;
        synced = true;
        void this.connectTo(peer, theirs[0], signal);
      }
    } catch {
      // the leader closed the stream (done) or the deadline passed: nothing more to do
    } finally {
      this.busy.delete(peer);
      // no connect was made (say we knew no address of ours yet): the leader's retry is welcome,
      // after a second (a peer cannot make us answer more often than that)
      if (!synced) this.notAnAttempt(peer);
      stream.abort(new Error('hole punch done'));
    }
  }

  /** R's connect towards I's address; the socket becomes an inbound connection of our listener. */
  private async connectTo(peer: string, addr: string | undefined, signal: AbortSignal): Promise<void> {
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
      const key = PunchTargets.key(t.host, t.port);
      this.expected.set(key, peer);
      setTimeout(() => this.expected.delete(key), HOLEPUNCH_MS).unref?.();
      server.emit('connection', socket);
    } catch (err) {
      // EADDRNOTAVAIL: the leader's SYN reached our listener first, which accepted it (inbound)
      this.deps.log('hole punch connect towards %s: %s', addr, (err as Error).message);
    }
  }
}
