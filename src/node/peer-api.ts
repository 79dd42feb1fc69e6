/**
 * The interfaces of a peer (what `createPeer` returns): the peer itself, its dataset catalog and
 * its access lists. Separate from peer.ts so that the implementations import the interfaces
 * without importing the factory that imports them (no cycle).
 */
import type { Channel } from '../protocols/channel.js';
import type { DeniedAttempt } from './denials.js';
import type { HandleRequestsOptions, RequestHandler, RequestOptions } from './request-protocol.js';
import type {
  AbortOptions,
  AccessLists,
  AddDatasetInput,
  DatasetUpdate,
  ConnectedPeer,
  DatasetSearchOptions,
  DatasetSearchResult,
  LocalDataset,
  OpenSessionInput,
  PolicySummary,
  PeerStatus,
  SignedDatasetDescription,
} from './types.js';

/** The dataset catalog of a peer: local datasets and search through the DHT. */
export interface DatasetCatalog {
  /** Imports a CSV, signs its description, stores both, and advertises it. */
  add(input: AddDatasetInput, options?: AbortOptions): Promise<LocalDataset>;
  /**
   * Replaces the policy summary a local dataset's description publishes: re-signs the description
   * with this peer's key and stores it atomically (the data is untouched); the catalog serves the
   * new description at once. A no-op when the summary is already the published one.
   * @throws {DatasetNotFoundError} {TypeError} when `summary` is not a valid summary.
   */
  setPolicySummary(name: string, summary: PolicySummary, options?: AbortOptions): Promise<LocalDataset>;
  /**
   * Changes a local dataset's tags and/or description without re-importing it: re-signs the
   * description and re-advertises (new tag keys provided, keys no dataset needs any more withdrawn).
   * @throws {DatasetNotFoundError} {InvalidNameError} {RangeError}
   */
  update(name: string, change: DatasetUpdate, options?: AbortOptions): Promise<LocalDataset>;
  /**
   * Installs the function that gives the policy summary of a dataset being added without an
   * explicit `policy` (the jobs layer installs one giving the effective policy); `undefined`
   * removes it.
   */
  setPolicySummaryProvider(provider: ((name: string) => PolicySummary) | undefined): void;
  /** Stops advertising and deletes a local dataset; false when there was none of that name. */
  remove(name: string, options?: AbortOptions): Promise<boolean>;
  /** Local datasets, sorted by name. */
  list(options?: AbortOptions): Promise<LocalDataset[]>;
  /** One local dataset, or undefined. */
  get(name: string, options?: AbortOptions): Promise<LocalDataset | undefined>;
  /** Finds datasets by name or tag through the DHT and fetches their verified descriptions. */
  search(term: string, options?: DatasetSearchOptions): Promise<DatasetSearchResult>;
  /** Fetches and verifies `owner/name` from its owner (or locally when `owner` is this peer). */
  show(owner: string, name: string, options?: AbortOptions): Promise<SignedDatasetDescription>;
  /** Reads the values of a local dataset: row-major, `rows x columns.length` (for the jobs layer). */
  readValues(
    name: string,
    options?: AbortOptions,
  ): Promise<{ columns: string[]; rows: number; values: Float64Array }>;
  /**
   * The sorted keyed fingerprints of a local dataset's rows and their digest (for the jobs
   * layer's differencing guard: how many rows two versions of a dataset differ by).
   */
  rowPrints(name: string, options?: AbortOptions): Promise<{ prints: BigUint64Array; digest: string }>;
  /**
   * The sorted keyed fingerprints of a local dataset's rows projected on `columns` (by name, in that
   * order), or undefined when it lacks one: what a result over those columns depends on.
   */
  projectedPrints(
    name: string,
    columns: readonly string[],
    options?: AbortOptions,
  ): Promise<{ prints: BigUint64Array; digest: string } | undefined>;
}

/** The access lists of a peer, persisted in the data directory and enforced at once. */
export interface AccessControl {
  /** Current lists. */
  get(): AccessLists;
  /** Adds peers to the allow list (when non-empty, only allowed peers get in). */
  allow(peerIds: string[], options?: AbortOptions): Promise<AccessLists>;
  /** Adds peers to the deny list and closes their connections. */
  deny(peerIds: string[], options?: AbortOptions): Promise<AccessLists>;
  /** Removes peers from both lists. */
  clear(peerIds: string[], options?: AbortOptions): Promise<AccessLists>;
  /** Whether `peerId` may talk to this peer. */
  isAllowed(peerId: string): boolean;
  /**
   * Calls `listener` with every inbound connection or stream the lists refused (the peer, and
   * `connection` or the protocol id); returns the unsubscribe. Unthrottled: a stranger makes as
   * many attempts as it opens connections.
   */
  onDenied(listener: (attempt: DeniedAttempt) => void): () => void;
}

/** A running (or stopped) peer. */
export interface Peer {
  /** This peer's id (base58). */
  readonly peerId: string;
  /** Addresses others can dial, each ending in `/p2p/<id>`. */
  multiaddrs(): string[];
  /** Starts the node (createPeer already does unless `start: false`). */
  start(options?: AbortOptions): Promise<void>;
  /** Closes sessions and connections and flushes state to disk. Idempotent. */
  stop(options?: AbortOptions): Promise<void>;
  /** A status snapshot. */
  status(): PeerStatus;
  /** Open connections. */
  connectedPeers(): ConnectedPeer[];
  /** Dials a multiaddr (with `/p2p/<id>`) or a known peer id; returns the remote peer id. */
  dial(target: string, options?: AbortOptions): Promise<string>;
  /** Pings a peer; resolves with the round-trip time in ms. */
  ping(target: string, options?: AbortOptions): Promise<number>;
  /** The dataset catalog. */
  readonly datasets: DatasetCatalog;
  /** Access lists. */
  readonly access: AccessControl;
  /**
   * Opens this peer's channel of an MPC session: registers `jobId` as known, then opens (party i
   * dials party j when i < j) or accepts one stream per other party on `/peermpc/mpc/1.0.0`.
   * Every party must call it with the same jobId and parties.
   */
  openSession(input: OpenSessionInput, options?: AbortOptions): Promise<Channel>;
  /**
   * Signs `data` with this peer's Ed25519 key (verifiable with the public key in the peer id).
   * Callers must put a domain-separation prefix of their own in `data` (as dataset descriptions
   * and jobs do), so a signature made for one purpose never verifies for another.
   */
  sign(data: Uint8Array, options?: AbortOptions): Promise<Uint8Array>;
  /**
   * Serves JSON requests on `protocol` (`/peermpc/<name>/<version>`, not a reserved one): one
   * request and one reply per stream, from peers the access lists admit; replaces a previous
   * handler of the same protocol.
   */
  handleRequests(protocol: string, handler: RequestHandler, options?: HandleRequestsOptions): Promise<void>;
  /** Sends one JSON request to `peerId` on `protocol` and resolves with its JSON reply. @throws {RequestError} */
  request(peerId: string, protocol: string, message: unknown, options?: RequestOptions): Promise<unknown>;
}
