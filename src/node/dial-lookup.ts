/**
 * Dialling a peer by id when what this node knows of its addresses has gone stale.
 *
 * libp2p dials a peer id through the addresses in its peer store and looks the peer up in the
 * DHT only when it knows none. A peer behind a NAT is often known by addresses that cannot be
 * reached from here (its LAN address from a provider record, an address its NAT gave another
 * peer) but not by its relayed address: every dial then fails at once and no lookup ever runs,
 * so an MPC party or a job message never reaches a peer that anyone asking the DHT could reach
 * (a session between two peers that had never talked failed this way: "not all parties connected
 * within 10000 ms"). {@link dialProtocolWithLookup} dials as libp2p does and, when that fails with
 * no connection to the peer, asks the DHT for the peer's current addresses (network, not cache)
 * and dials again if it learned any address it did not know.
 *
 * Lookups of one peer are shared while one runs and spaced {@link LOOKUP_SPACING_MS} apart, so a
 * caller that retries in a loop (a session waiting for a party) does not flood the DHT.
 *
 * What a malicious DHT peer can do with it: answer the lookup with addresses that are not the
 * peer's. The connection's Noise handshake proves the remote's key, so such an address never
 * passes for the peer; at worst this node dials up to libp2p's `maxPeerAddrsToDial` (25)
 * addresses of the attacker's choosing, once per peer per spacing, and the dial times out: what
 * libp2p's own lookup of a peer with no known address already exposes.
 */
import type { PeerId, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { PeerNode } from './libp2p-node.js';

/** Least time between two DHT lookups of one peer's addresses. */
export const LOOKUP_SPACING_MS = 5_000;

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
  ) {}

  /**
   * Asks the DHT for `peer`'s addresses and adds them to the peer store. Resolves with the
   * addresses that taught this node (those it did not know); none when the lookup failed or when
   * the last one of this peer was under the spacing ago.
   */
  refresh(peer: PeerId, signal: AbortSignal): Promise<Multiaddr[]> {
    const key = peer.toString();
    const pending = this.running.get(key);
    if (pending !== undefined) return pending;
    if (Date.now() - (this.last.get(key) ?? -Infinity) < this.spacingMs) return Promise.resolve([]);
    this.last.set(key, Date.now());
    const lookup = this.lookup(peer, signal).finally(() => this.running.delete(key));
    this.running.set(key, lookup);
    return lookup;
  }

  /** Forgets the spacing of every peer (tests). */
  reset(): void {
    this.last.clear();
  }

  private async lookup(peer: PeerId, signal: AbortSignal): Promise<Multiaddr[]> {
    const before = new Set((await this.known(peer)).map((a) => a.toString()));
    try {
      await this.node.peerRouting.findPeer(peer, { useCache: false, signal });
    } catch {
      return []; // not found, no router, or aborted: the caller's dial error stands
    }
    return (await this.known(peer)).filter((a) => !before.has(a.toString()));
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
 * `dialProtocol` that, when the dial fails without a connection to the peer and the caller has
 * not given up, looks the peer's addresses up (through `lookup`) and, if that taught it new ones,
 * dials those (only those: the known ones just failed, and libp2p tries addresses one at a time,
 * up to 6 s each); otherwise the first error is thrown.
 */
export function dialProtocolWithLookup(node: PeerNode, lookup: AddressLookup): DialProtocol {
  return async (peer, protocol, options) => {
    try {
      return await node.dialProtocol(peer, protocol, options);
    } catch (err) {
      if (options.signal.aborted || node.getConnections(peer).length > 0) throw err;
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

/** `addr` ending in `/p2p/<peer>`, as libp2p dials an explicit address (a relayed one too). */
function withPeer(addr: Multiaddr, peer: PeerId): Multiaddr {
  const last = addr.getComponents().at(-1);
  return last?.name === 'p2p' && last.value === peer.toString() ? addr : addr.encapsulate(`/p2p/${peer}`);
}
