/**
 * Public, JSON-serialisable Kademlia options of a peer (libp2p-node.ts, dht-tuning.ts, peer-impl.ts);
 * re-exported by types.ts. Imports nothing from libp2p.
 */

/** DHT tuning; defaults suit a real deployment, tests lower them. */
export interface PeerDhtOptions {
  /** kad-dht's start-up self-query interval (ms). Default 200 (libp2p's 1 000 makes the first provide slow). */
  initialQuerySelfInterval?: number;
  /** How long provider records stay valid (ms). Default 48 h. */
  provideValidityMs?: number;
  /** Re-provide this long before a record expires (ms). Default 24 h. */
  reprovideThresholdMs?: number;
  /** How often to check what needs re-providing (ms). Default 1 h. */
  reprovideIntervalMs?: number;
  /**
   * Peers per k-bucket, and so the peers a lookup converges on and the providers one lookup yields
   * (kad-dht's kBucketSize). Default kad-dht's (20).
   */
  k?: number;
  /**
   * After bootstrapping, refresh every k-bucket at once (one lookup per bucket) instead of waiting
   * for the self-query. Default true.
   */
  refreshOnStart?: boolean;
  /** Peers a lookup path asks at once (kad-dht's alpha). Default kad-dht's (10). */
  alpha?: number;
  /** Disjoint paths of a lookup (S/Kademlia's d). Default kad-dht's (its alpha). */
  disjointPaths?: number;
  /**
   * Which newly heard-of peers may enter the routing table: `connected` (only peers this peer
   * talks to; no dial to verify a peer named in an answer: dht-tuning.ts) or `all` (kad-dht's own:
   * every peer named in an answer is dialled and pinged). Default `all`. `connected` is meant for
   * simulations: at start kad-dht refills the table from the peer store, and with no connection
   * yet it would keep none of them, so a restarted daemon would rely on its bootstrap list alone.
   */
  admit?: 'connected' | 'all';
}
