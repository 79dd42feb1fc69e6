/**
 * Public, JSON-serialisable types of the peer: what the daemon, the control API and the CLI see.
 *
 * Everything here is plain data (strings, numbers, arrays, objects): no PeerId, Multiaddr or
 * Uint8Array, so a value can go through `JSON.stringify` unchanged. This module imports nothing
 * from libp2p.
 */
import type { PeerDhtOptions } from './dht-types.js';
import type { PeerNatOptions } from './nat-types.js';
import type { PortBroker } from './port-transport.js';

/** Options accepted by every async method of the peer. */
export interface AbortOptions {
  /** Aborts the operation; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Timeouts of the peer, in milliseconds; every field has a default. */
export interface PeerTimeouts {
  /** Dialling one peer (connection + protocol negotiation). Default 10 000. */
  dialMs?: number;
  /**
   * One catalog request/response with an owner, timed from when it leaves this peer's queue of
   * requests to that owner (at most 8 in flight per owner). Default 5 000.
   */
  catalogRequestMs?: number;
  /**
   * Longest a `datasets.show` waits in this peer's queue of requests to one owner before it is sent
   * (then it fails with CatalogRequestError, "still queued"); the caller's signal may end it
   * sooner. Default 60 000.
   */
  catalogQueueWaitMs?: number;
  /** A whole dataset search (DHT lookups + fetching descriptions). Default 15 000. */
  searchMs?: number;
  /** How long `datasets.add` waits for the first advertisement before returning. Default 5 000. */
  advertiseWaitMs?: number;
  /** Time budget of one DHT provide (per key). Default 15 000. */
  provideMs?: number;
}

/** One link's shape in a simulation (shaping.ts). */
export interface LinkShape {
  /** One-way delay in ms. */
  latencyMs: number;
  /** Uniform jitter in [-jitterMs, jitterMs] ms on top of the latency (never below 0 in all). */
  jitterMs: number;
  /** Megabits per second each way; absent: unlimited. */
  bandwidthMbps?: number;
}

/** The shape of the link to `remotePeer` (undefined when unknown); undefined: unshaped. */
export type LinkOf = (remotePeer: string | undefined) => LinkShape | undefined;

export type { PeerDhtOptions } from './dht-types.js';
export type { PeerNatOptions, RelayLimits } from './nat-types.js';

/** How a peer is configured; the daemon builds this from its config file and flags. */
export interface PeerInit {
  /** Directory holding the key, the datastore, datasets and access lists (created if missing). */
  dataDir: string;
  /** Listen multiaddrs. Default `['/ip4/0.0.0.0/tcp/0']`. A `/ws` address needs `websockets: true`. */
  listen?: string[];
  /** Addresses to announce instead of the listen addresses (e.g. a public address behind NAT). */
  announce?: string[];
  /** Multiaddrs (with `/p2p/<id>`) of peers to connect to at start; they seed the DHT. */
  bootstrap?: string[];
  /** Enables the WebSockets transport (in addition to TCP). Default false. */
  websockets?: boolean;
  /**
   * Keep loopback and private addresses in DHT peer records (kad-dht drops them by default).
   * Needed on a LAN, in tests and in simulations. Default false.
   */
  allowPrivateAddresses?: boolean;
  /** Inbound connections admitted per second per host (libp2p's default is 5). Default 5. */
  inboundConnectionThreshold?: number;
  /** Maximum connections. Default 300. */
  maxConnections?: number;
  /** Initial access lists, merged into the persisted ones at start. */
  access?: Partial<AccessLists>;
  /** DHT tuning. */
  dht?: PeerDhtOptions;
  /** Timeouts. */
  timeouts?: PeerTimeouts;
  /** Largest MPC frame payload accepted or sent, in bytes. Default 64 MiB. */
  maxFrameBytes?: number;
  /**
   * Where libp2p's own metrics go: a prom-client `Registry`, opaque here (this module stays free of
   * libp2p and prom-client types; libp2p-node.ts hands it to `@libp2p/prometheus-metrics`). One per
   * peer, never shared. Absent (the default): libp2p keeps no metrics.
   */
  metricsRegistry?: object;
  /**
   * The transport: `tcp` (the default; plus WebSockets when enabled) or `memory`, libp2p's
   * in-process transport for simulations (`/memory/<name>` listen addresses; only peers of this
   * process can be reached).
   */
  transport?: 'tcp' | 'memory';
  /**
   * With the memory transport: join memory addresses through this broker over MessagePorts
   * (port-transport.ts), so that peers in different worker threads reach each other. Absent:
   * libp2p's memory transport (peers of this thread only).
   */
  memoryBroker?: PortBroker;
  /**
   * Where DHT records, provider records and the peer store live: `disk` (the default, a LevelDB
   * in the data directory, surviving restarts) or `memory` (lost at stop: for simulated peers,
   * which spend a third of their time in LevelDB and its garbage otherwise).
   */
  datastore?: 'disk' | 'memory';
  /** Shapes every connection by the link to its remote peer (simulations; see shaping.ts). */
  linkOf?: LinkOf;
  /**
   * Ping every connection every 10 s and close those that do not answer (libp2p's connection
   * monitor). Default true; simulations over the memory transport turn it off (no socket can
   * die unnoticed there, and n peers' pings cost n^2 streams).
   */
  connectionMonitor?: boolean;
  /** NAT traversal: relaying, reachability and hole punching. */
  nat?: PeerNatOptions;
}

/** Allow and deny lists of peer ids (base58 strings). */
export interface AccessLists {
  /** When non-empty, only these peers may connect or use any peermpc protocol. */
  allow: string[];
  /** These peers may never connect nor use any peermpc protocol; deny wins over allow. */
  deny: string[];
}

/** One open connection. */
export interface ConnectedPeer {
  /** The remote peer id. */
  peerId: string;
  /** The remote address of this connection. */
  address: string;
  /** Who dialled. */
  direction: 'inbound' | 'outbound';
  /** Milliseconds since the connection opened. */
  openForMs: number;
  /** `direct`, or `relayed` through the relay in `relay`. */
  kind: 'direct' | 'relayed';
  /** The relay's peer id, for a relayed connection. */
  relay?: string;
  /** True for a direct connection this peer made by hole punching (holepunch.ts). */
  holePunched?: boolean;
}

/** A snapshot of the peer's state. */
export interface PeerStatus {
  /** This peer's id. */
  peerId: string;
  /** Addresses others can dial, with `/p2p/<id>`. */
  multiaddrs: string[];
  /**
   * Whether other peers can dial this one: `public`, `private` (it listens through a relay), or
   * `unknown` (not yet asked; always for peers on the memory transport). See reachability.ts.
   */
  reachability: 'unknown' | 'public' | 'private';
  /** Its relayed (`/p2p-circuit`) addresses: non-empty once a relay holds a slot for it. */
  relayedAddrs: string[];
  /**
   * The outcome of the last hole punch this peer led with each peer (the latest 64), by peer id:
   * `direct`, or `relayed: <why>` (src/node/holepunch.ts). Empty where no punch was led.
   */
  holePunches: Record<string, string>;
  /** Number of distinct connected peers. */
  connectedPeers: number;
  /** Peers in the DHT routing table. */
  routingTableSize: number;
  /** Number of local datasets. */
  datasets: number;
  /** Number of MPC sessions open on this peer. */
  sessions: number;
  /** Whether the node is running. */
  started: boolean;
}

/**
 * What an owner publishes of a dataset's job policy, inside the signed description, so that
 * requesters know before they ask (`peermpc dataset show`). Plain JSON. It is informative: the
 * owner checks its current policy on every job whatever the summary says. The jobs layer writes it
 * from the effective policy (`policySummary` in `src/jobs/policy/types.ts`) when a dataset is added,
 * when its policy is set or removed, and at daemon start. `"*"` in a list means any.
 *
 * Every field is optional: descriptions signed by older versions carry only `approval`, and a
 * peer without the job service publishes `{ approval: 'manual' }`.
 */
export interface PolicySummary {
  /** `auto`: a job that passes the rules is approved at once; `manual`: a person approves each job. */
  approval?: 'auto' | 'manual';
  /** True when the owner set no policy for this dataset, so the default policy applies. */
  default?: boolean;
  /** True when only the peers in `requesters` may request jobs on this dataset. */
  requestersRestricted?: boolean;
  /** Peer ids allowed to request jobs (not secret), or `["*"]` for anyone. */
  requesters?: string[];
  /** Ops allowed anywhere on data derived from this dataset, or `["*"]`. */
  ops?: string[];
  /** Ops whose result may be released (the op of an output's node), or `["*"]`. */
  outputs?: string[];
  /** Fewest data rows behind every element of a released value. */
  minRows?: number;
  /**
   * The compute parties and dealers the owner trusts (`self` for itself, peer ids, or `["*"]`): a
   * job is accepted when the protocol protects the data against the parties outside this list.
   */
  computeParties?: string[];
  /** The privacy budget per requester (differential privacy), when the owner set one. */
  budget?: { epsilon: number; delta: number; perDays?: number };
  /** Outputs over fewer rows than this must be differentially private, when set. */
  requireDpBelowRows?: number;
}

/** One column of a dataset (all columns are numeric). */
export interface ColumnInfo {
  /** Header name. */
  name: string;
  /** Always `number` for now. */
  type: 'number';
  /**
   * The column's magnitude: the smallest integer e with max |x| <= 2^e over its values (or a
   * larger bound its owner declared). Statistics scale the column by it. It discloses the order of
   * magnitude of the column's largest |value|, within a factor of 2, unless the owner declares a
   * larger one. Optional only because descriptions signed by older versions lack it.
   */
  magnitude?: number;
  /**
   * Public bounds [lo, hi] the owner declared for the column (lo < hi, |lo|, |hi| <= 2^62): a
   * domain bound (an age in [0, 120]) that holds every value of the data, checked when declared,
   * and says nothing about the data itself. Differential privacy clips the column to it inside MPC
   * and derives sensitivities from it. A column with bounds publishes as its magnitude that of
   * max(|lo|, |hi|), not the data's own. Absent: the owner declared none.
   */
  bounds?: [number, number];
}

/** The description of a dataset that its owner publishes (the signed part). */
export interface DatasetDescription {
  /** Format version of this object. */
  version: 1;
  /** Dataset name, unique per owner: lower-case letters, digits, `-`, `_`, `.`; 1–64 chars. */
  name: string;
  /** Owner's peer id. */
  owner: string;
  /** Free text. */
  description: string;
  /** Columns, in file order. */
  columns: ColumnInfo[];
  /** Number of data rows. */
  rows: number;
  /** Tags (same charset as names), sorted, unique. */
  tags: string[];
  /** A few mock rows: same columns; synthetic unless `mockSource` is `file`. */
  mock: number[][];
  /** Where the mock rows come from. */
  mockSource: 'synthetic' | 'file';
  /** Summary of the owner's job policy for this dataset (see {@link PolicySummary}). */
  policy: PolicySummary;
  /** ISO 8601 creation time. */
  created: string;
}

/** A description with the owner's Ed25519 signature over its canonical JSON. */
export interface SignedDatasetDescription {
  /** The description. */
  description: DatasetDescription;
  /** base64url signature by the owner's key over `canonicalJson(description)`. */
  signature: string;
}

/** What `datasets.add` takes. */
export interface AddDatasetInput {
  /** Path of a CSV file with a header row of column names and numeric cells. */
  csvPath: string;
  /** Dataset name. */
  name: string;
  /** Free-text description. Default ''. */
  description?: string;
  /** Tags. Default none. */
  tags?: string[];
  /**
   * Declared magnitude bounds (column -> e with |x| <= 2^e) to publish instead of the data's own
   * (each at least the data's): a domain bound discloses nothing about the data. A `replace`
   * publishes the data's own magnitude for every column not declared again.
   */
  magnitudes?: Record<string, number>;
  /**
   * Declared public bounds (column -> [lo, hi]) to publish (see {@link ColumnInfo.bounds}); every
   * value of the column must lie in [lo, hi], else the add is refused. A bounded column publishes
   * the magnitude of its bounds (a declared magnitude for it must be that one). A `replace`
   * publishes only the bounds given again.
   */
  bounds?: Record<string, [number, number]>;
  /** Path of a CSV file of mock rows (same header); default: synthetic mock rows. */
  mockPath?: string;
  /**
   * Number of synthetic mock rows. Default 0: synthetic rows are drawn from each column's real
   * range (rounded to two significant digits) and mean, so they disclose approximate extremes and
   * means; an owner opts in, or publishes its own mock file.
   */
  mockRows?: number;
  /**
   * Policy summary to publish. Default: the catalog's policy summary provider's (the jobs layer
   * installs one giving the effective policy), else `{ approval: 'manual' }`.
   */
  policy?: PolicySummary;
  /** Replace an existing dataset of the same name. Default false (an error). */
  replace?: boolean;
}

/** A local dataset as `datasets.list` shows it. */
export interface LocalDataset {
  /** The signed description as published. */
  signed: SignedDatasetDescription;
  /** Size of the stored data file in bytes. */
  dataBytes: number;
  /** Whether it is currently advertised in the DHT. */
  advertised: boolean;
}

/** A description from the network that failed verification or could not be fetched. */
export interface RejectedDescription {
  /** The owner it came from (the peer that served it). */
  owner: string;
  /** Dataset name, when known. */
  name?: string;
  /** Why it was dropped (e.g. `bad signature`, `owner mismatch`, `timeout`). */
  reason: string;
}

/** Result of a search. */
export interface DatasetSearchResult {
  /** The term searched. */
  term: string;
  /** Verified descriptions, deduplicated by owner/name, best match first, then by name and owner. */
  found: SignedDatasetDescription[];
  /** Descriptions dropped (bad signature, mismatch) or owners that failed to answer. */
  rejected: RejectedDescription[];
}

/** A change to a local dataset's description (`undefined` keeps a field). */
export interface DatasetUpdate {
  /** New tags (replacing the old ones; normalised, at most 32). */
  tags?: string[];
  /** New free-text description. */
  description?: string;
  /**
   * New public bounds by column (see {@link ColumnInfo.bounds}), `null` to remove a column's;
   * columns not named keep theirs. Checked against the data (every value must lie within), and a
   * bounded column publishes the magnitude of its bounds; a column whose bounds are removed keeps
   * the magnitude it published.
   */
  bounds?: Record<string, [number, number] | null>;
}

/** Options of a search. */
export interface DatasetSearchOptions extends AbortOptions {
  /** Overall time budget in ms (default: the peer's `timeouts.searchMs`). */
  timeoutMs?: number;
  /** Search only by name, only by tag, or both (default). */
  by?: 'name' | 'tag' | 'any';
  /**
   * Only datasets whose name (or tag, per `by`; `any`: name or tag) equals the term, case aside.
   * Looks up only the term's exact keys and asks only their providers: no prefix key, no
   * connected peers, so a term sharing its first letters with many datasets costs no more than
   * any other. Default false (substring search: match.ts).
   */
  exact?: boolean;
}

/** Timeouts of an MPC session, in ms. */
export interface SessionTimeouts {
  /** Opening the pairwise streams. Default 10 000. */
  connectMs?: number;
  /** A `recv` waiting for one step. Default 30 000. */
  stepMs?: number;
  /** The whole session, from open to close (0 = none). Default 0. */
  jobMs?: number;
}

/** What `openSession` takes. */
export interface OpenSessionInput {
  /** The job id (1–128 bytes of UTF-8); all parties use the same. */
  jobId: string;
  /** Peer ids of the parties in session order; this peer must be one of them. */
  parties: string[];
  /** Timeouts. */
  timeouts?: SessionTimeouts;
}
