/**
 * Public, JSON-serialisable options of a peer behind NAT (nat.ts, nat-manager.ts, holepunch.ts);
 * re-exported by types.ts. Imports nothing from libp2p.
 */

/** Limits a relay applies to each connection it relays (circuit relay v2). */
export interface RelayLimits {
  /** Bytes each way per relayed connection; absent: no limit. */
  dataBytes?: number;
  /** Milliseconds a relayed connection may stay open; absent: no limit. */
  durationMs?: number;
}

/**
 * Peers behind NAT (nat.ts): relaying, reachability and hole punching. Every field has a default
 * that suits a directly reachable daemon.
 */
export interface PeerNatOptions {
  /**
   * Serve as a circuit relay (v2) for other peers: `false` (the default), `true` (no per-connection
   * limit: MPC sessions need hundreds of megabytes), or limits.
   */
  relayServer?: boolean | RelayLimits;
  /** Most reservations a relay holds at once. Default 64. */
  maxReservations?: number;
  /** Relay multiaddrs (with `/p2p/<id>`) to reserve a slot on when not reachable. Default: any relay found. */
  relays?: string[];
  /**
   * `auto` (the default): ask connected peers to dial back (reachability.ts) and reserve a relay
   * slot only when none can; `private`: reserve at once; `public`: never reserve. A configured
   * verdict with `holePunch: false` asks nothing at all (no dial-back probes).
   */
  reachability?: 'auto' | 'public' | 'private';
  /** Upgrade relayed connections to direct ones by TCP hole punching where the NATs allow. Default true. */
  holePunch?: boolean;
}
