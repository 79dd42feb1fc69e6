/**
 * Dialling a peer by id when what this node knows of its addresses has gone stale.
 *
 * libp2p dials a peer id through the addresses in its peer store and looks the peer up in the
 * DHT only when it knows none. A peer behind a NAT is often known by addresses that cannot be
 * reached from here (its LAN address from a provider record, an address its NAT gave another
 * peer) but not by its relayed address: every dial then fails (at once when refused or
 * unroutable, after libp2p's 6 s per address when dropped) and no lookup ever runs, so an MPC
 * party or a job message never reaches a peer that anyone asking the DHT could reach (a session
 * between two peers that had never talked failed this way: "not all parties connected within
 * 10000 ms"). {@link dialProtocolWithLookup} dials as libp2p does and, when that fails for want
 * of a working address, asks the DHT for the peer's current addresses (network, not cache) and
 * dials those it did not know.
 *
 * Lookups of one peer are shared while one runs (on its own deadline, {@link LOOKUP_MS}; each
 * caller stops waiting when its own signal fires) and spaced {@link LOOKUP_SPACING_MS} apart once
 * done, so a caller that retries in a loop (a session waiting for a party) does not flood the
 * DHT.
 *
 * What a malicious DHT peer can do with it: answer the lookup with addresses that are not the
 * peer's. An address naming another peer id is dropped, and the Noise handshake proves the
 * remote's key, so no address passes for the peer; at worst this node dials up to libp2p's
 * `maxPeerAddrsToDial` (25) addresses of the attacker's choosing, once per peer per spacing, and
 * the dial times out: what libp2p's own lookup of a peer with no known address already exposes.
 */
import type { PeerId, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { untilAborted } from '../util/abort.js';
import type { PeerNode } from './libp2p-node.js';

/** Least time between the end of one DHT lookup of a peer's addresses and the start of the next. */
export const LOOKUP_SPACING_MS = 5_000;

/** Longest one lookup runs, whoever waits for it. */
export const LOOKUP_MS = 10_000;

/** Peers whose last lookup time is kept before old ones are forgotten. */
const REMEMBERED_PEERS = 1_024;

/** Errors of a first dial that a lookup cannot help: the dial was refused here, not unanswered. */
const NOT_ADDRESS_FAILURES = new Set([
  'DialDeniedError', // our access lists
  'InvalidPeerIdError', // ourselves
  'InvalidParametersError',
  'NotStartedError',
  'UnsupportedProtocolError', // the peer answered
  'LimitedConnectionError',
]);

/** Opens a protocol stream to a peer; the shape of libp2p's `dialProtocol` this module wraps. */
export type DialProtocol = (
  peer: PeerId,
  protocol: string,
  options: { signal: AbortSignal },
) => Promise<Stream>;

/** Looks peers' addresses up in the DHT, one lookup of a peer at a time, spaced (module comment). */
export class AddressLookup {
  private readonly running = new Map<string, Promise<Multiaddr[]>>();
  private readonly last = new Map<string, number>();

  constructor(
    private readonly node: PeerNode,
    private readonly spacingMs = LOOKUP_SPACING_MS,
    private readonly lookupMs = LOOKUP_MS,
  ) {}

  /**
   * Asks the DHT for `peer`'s addresses and adds them to the peer store. Resolves with the
   * addresses that taught this node (those it did not know, naming no other peer); none when the
   * lookup failed, when the last one of this peer ended under the spacing ago, or when `signal`
   * fires first (the lookup goes on for the others waiting for it).
   */
  refresh(peer: PeerId, signal: AbortSignal): Promise<Multiaddr[]> {
    const key = peer.toString();
    let lookup = this.running.get(key);
    if (lookup === undefined) {
      if (Date.now() - (this.last.get(key) ?? -Infinity) < this.spacingMs) return Promise.resolve([]);
      lookup = this.lookup(peer).finally(() => {
        this.running.delete(key);
        this.remember(key);
      });
      this.running.set(key, lookup);
    }
    return untilAborted(lookup, signal).catch(() => []); // aborted here: the lookup goes on
  }

  /** Forgets the spacing of every peer (tests). */
  reset(): void {
    this.last.clear();
  }

  private remember(key: string): void {
    const now = Date.now();
    if (this.last.size >= REMEMBERED_PEERS)
      for (const [k, t] of this.last) if (now - t >= this.spacingMs) this.last.delete(k);
    this.last.set(key, now);
  }

  private async lookup(peer: PeerId): Promise<Multiaddr[]> {
    const before = new Set((await this.known(peer)).map((a) => a.toString()));
    try {
      await this.node.peerRouting.findPeer(peer, {
        useCache: false,
        signal: AbortSignal.timeout(this.lookupMs),
      });
    } catch {
      return []; // not found, no router, or too slow: the caller's dial error stands
    }
    return (await this.known(peer)).filter((a) => !before.has(a.toString()) && namesNoOther(a, peer));
  }

  private async known(peer: PeerId): Promise<Multiaddr[]> {
    try {
      return (await this.node.peerStore.get(peer)).addresses.map((a) => a.multiaddr);
    } catch {
      return []; // not in the peer store yet
    }
  }
}

/**
 * `dialProtocol` that, when the dial fails for want of a working address (not refused here, no
 * connection to the peer) and the caller has not given up, looks the peer's addresses up
 * (through `lookup`) and dials those it taught (only those: the known ones just failed, and
 * libp2p tries a peer's addresses one at a time, up to 6 s each); otherwise the first error is
 * thrown.
 */
export function dialProtocolWithLookup(node: PeerNode, lookup: AddressLookup): DialProtocol {
  return async (peer, protocol, options) => {
    try {
      return await node.dialProtocol(peer, protocol, options);
    } catch (err) {
      if (options.signal.aborted || !isAddressFailure(err) || node.getConnections(peer).length > 0) throw err;
      const fresh = await lookup.refresh(peer, options.signal);
      if (fresh.length === 0) throw err;
      return node.dialProtocol(
        fresh.map((a) => withPeer(a, peer)),
        protocol,
        options,
      );
    }
  };
}

function isAddressFailure(err: unknown): boolean {
  const e = err as { name?: unknown; message?: unknown };
  return !NOT_ADDRESS_FAILURES.has(String(e.name)) && e.message !== 'Dial queue is full';
}

/** False when `addr` ends in `/p2p/<id>` of another peer (a wrong or poisoned address). */
function namesNoOther(addr: Multiaddr, peer: PeerId): boolean {
  const last = addr.getComponents().at(-1);
  return last?.name !== 'p2p' || last.value === peer.toString();
}

/** `addr` ending in `/p2p/<peer>`, as libp2p dials an explicit address (a relayed one too). */
function withPeer(addr: Multiaddr, peer: PeerId): Multiaddr {
  return addr.getComponents().at(-1)?.name === 'p2p' ? addr : addr.encapsulate(`/p2p/${peer}`);
}
