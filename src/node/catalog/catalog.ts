/**
 * The dataset catalog of a peer: local datasets (store + advertiser) and network search.
 *
 * Search (search.ts, match.ts): names, tags and descriptions by substring, through the DHT's name,
 * tag and prefix keys and the connected peers, every description verified against its owner's id.
 */
import '../../polyfills.js';
import type { Logger, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { CatalogRequestError, DatasetNotFoundError } from '../errors.js';
import type { PeerNode } from '../libp2p-node.js';
import type { DatasetCatalog } from '../peer-api.js';
import type { DatasetStore } from '../dataset/store.js';
import { verifySignedDescription } from '../dataset/description.js';
import type {
  AbortOptions,
  AddDatasetInput,
  DatasetUpdate,
  DatasetSearchOptions,
  DatasetSearchResult,
  LocalDataset,
  PolicySummary,
  SignedDatasetDescription,
} from '../types.js';
import type { Advertiser } from './advertiser.js';
import { matchRank, type MatchRank } from './match.js';
import { PerPeerLimit } from './per-peer-limit.js';
import type { DialProtocol } from '../dial-lookup.js';
import { CATALOG_PROTOCOL, requestCatalog, type CatalogQuery } from './protocol.js';
import { searchNetwork } from './search.js';

/**
 * Default of the longest a `show` waits in the queue of this peer's requests to one owner before it
 * is sent (the caller's signal may end it sooner); once sent, the owner has `catalogRequestMs` to
 * answer.
 */
export const CATALOG_QUEUE_WAIT_MS = 60_000;

/** What the catalog needs from the peer. */
export interface CatalogDeps {
  /** The libp2p node (DHT lookups). */
  node: PeerNode;
  /** Opens a catalog stream to an owner (looking its addresses up when they have gone stale). */
  dial: DialProtocol;
  /** The local datasets. */
  store: DatasetStore;
  /** Puts local datasets into the DHT. */
  advertiser: Advertiser;
  /** This peer's id. */
  self: string;
  /** Logger (ids and counts only). */
  log: Logger;
  /** Time budget of one catalog request to an owner (ms). */
  catalogRequestMs: number;
  /** Longest a `show` waits in this peer's queue to one owner (ms; {@link CATALOG_QUEUE_WAIT_MS}). */
  catalogQueueWaitMs?: number;
  /** Default time budget of a search (ms). */
  searchMs: number;
  /** Time to wait for the first advertisement in `add` before returning (ms). */
  addAdvertiseWaitMs: number;
}

/** How well `signed` matches a catalog query (lower is better), or `undefined` when it does not. */
export function queryRank(signed: SignedDatasetDescription, q: CatalogQuery): MatchRank | undefined {
  if (q.text !== undefined) return matchRank(signed, q.text, q.field ?? 'any');
  const d = signed.description;
  if (q.name !== undefined && d.name === q.name) return 0;
  if (q.tag !== undefined && d.tags.includes(q.tag)) return 2;
  return undefined;
}

/** True when `signed` matches a catalog query (by name or by tag, or by text when it has one). */
export function matchesQuery(signed: SignedDatasetDescription, q: CatalogQuery): boolean {
  return queryRank(signed, q) !== undefined;
}

function byRank<T>(items: { item: T; rank: number; key: string }[]): T[] {
  return items.sort((a, b) => a.rank - b.rank || a.key.localeCompare(b.key)).map((x) => x.item);
}

/** Implementation of {@link DatasetCatalog}. */
export class Catalog implements DatasetCatalog {
  private lock: Promise<unknown> = Promise.resolve();
  private policyProvider: ((name: string) => PolicySummary) | undefined;

  constructor(private readonly deps: CatalogDeps) {}

  /** Local descriptions matching a query, best matches first (serves the catalog protocol). */
  query(q: CatalogQuery): SignedDatasetDescription[] {
    const ranked = [];
    for (const { signed } of this.deps.store.list()) {
      const rank = queryRank(signed, q);
      if (rank !== undefined) ranked.push({ item: signed, rank, key: signed.description.name });
    }
    return byRank(ranked);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {}); // the lock only orders calls: each caller gets its own failure from `run`
    return run;
  }

  private local(name: string): LocalDataset | undefined {
    const e = this.deps.store.get(name);
    if (e === undefined) return undefined;
    return { signed: e.signed, dataBytes: e.dataBytes, advertised: this.deps.advertiser.isAdvertised(name) };
  }

  async add(input: AddDatasetInput, options: AbortOptions = {}): Promise<LocalDataset> {
    const stored = await this.serial(async () => {
      const replacing = this.deps.store.get(input.name);
      const policy = input.policy ?? this.policyProvider?.(input.name);
      const entry = await this.deps.store.add(policy !== undefined ? { ...input, policy } : input, options);
      if (replacing !== undefined) await this.deps.advertiser.remove(input.name);
      return entry;
    });
    const { name, rows, columns } = stored.signed.description;
    this.deps.log('dataset %s added: %d rows x %d columns', name, rows, columns.length);
    const advertising = this.deps.advertiser.add(stored.signed);
    const wait = AbortSignal.any([
      AbortSignal.timeout(this.deps.addAdvertiseWaitMs),
      ...(options.signal ? [options.signal] : []),
    ]);
    await Promise.race([advertising, new Promise((resolve) => wait.addEventListener('abort', resolve))]);
    return this.local(name)!;
  }

  async setPolicySummary(
    name: string,
    summary: PolicySummary,
    options: AbortOptions = {},
  ): Promise<LocalDataset> {
    options.signal?.throwIfAborted();
    return this.serial(async () => {
      const before = this.deps.store.get(name);
      const entry = await this.deps.store.setPolicySummary(name, summary, options);
      if (entry !== before) this.deps.log('dataset %s: policy summary re-signed', name);
      return this.local(name)!;
    });
  }

  async update(name: string, change: DatasetUpdate, options: AbortOptions = {}): Promise<LocalDataset> {
    options.signal?.throwIfAborted();
    const entry = await this.serial(async () => {
      const before = this.deps.store.get(name);
      const after = await this.deps.store.update(name, change, options);
      if (after !== before) await this.deps.advertiser.remove(name);
      return after === before ? undefined : after;
    });
    if (entry !== undefined) {
      this.deps.log('dataset %s: tags or description changed', name);
      void this.deps.advertiser.add(entry.signed);
    }
    return this.local(name)!;
  }

  setPolicySummaryProvider(provider: ((name: string) => PolicySummary) | undefined): void {
    this.policyProvider = provider;
  }

  async remove(name: string, options: AbortOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted();
    return this.serial(async () => {
      options.signal?.throwIfAborted(); // still nothing done after waiting for the lock
      await this.deps.advertiser.remove(name);
      const removed = await this.deps.store.remove(name);
      if (removed) this.deps.log('dataset %s removed', name);
      return removed;
    });
  }

  async list(_options: AbortOptions = {}): Promise<LocalDataset[]> {
    return this.deps.store.list().map((e) => this.local(e.signed.description.name)!);
  }

  async get(name: string, _options: AbortOptions = {}): Promise<LocalDataset | undefined> {
    return this.local(name);
  }

  async readValues(name: string, options: AbortOptions = {}) {
    options.signal?.throwIfAborted();
    return this.deps.store.readValues(name);
  }

  async rowPrints(name: string, options: AbortOptions = {}) {
    options.signal?.throwIfAborted();
    return this.deps.store.rowPrintSet(name);
  }

  async projectedPrints(name: string, columns: readonly string[], options: AbortOptions = {}) {
    options.signal?.throwIfAborted();
    return this.deps.store.projectedPrintSet(name, columns);
  }

  async search(term: string, options: DatasetSearchOptions = {}): Promise<DatasetSearchResult> {
    return searchNetwork(
      {
        node: this.deps.node,
        self: this.deps.self,
        log: this.deps.log,
        searchMs: this.deps.searchMs,
        query: (q) => this.query(q),
        request: (peer, q, searchSignal) =>
          this.limit.run(
            peer.toString(),
            () => requestCatalog(this.dial, peer, q, this.timed(searchSignal)),
            {
              signal: searchSignal,
            },
          ),
      },
      term,
      options,
    );
  }

  private readonly limit = new PerPeerLimit();

  /**
   * The signal of one catalog request once it leaves this peer's queue: the remote has
   * `catalogRequestMs` to answer from then on. Waiting in our own queue (our requests to that peer
   * ahead of it) is bounded only by the caller's `signal`, so a burst of requests to one busy peer
   * is not mistaken for a peer that does not answer.
   */
  private timed(signal: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.deps.catalogRequestMs);
    return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  }

  private readonly dial = (peer: PeerId, options: { signal: AbortSignal }) =>
    this.deps.dial(peer, CATALOG_PROTOCOL, options);

  async show(owner: string, name: string, options: AbortOptions = {}): Promise<SignedDatasetDescription> {
    if (owner === this.deps.self) {
      const e = this.deps.store.get(name);
      if (e === undefined) throw new DatasetNotFoundError(owner, name);
      return e.signed;
    }
    const peer = peerIdFromString(owner);
    const waitMs = this.deps.catalogQueueWaitMs ?? CATALOG_QUEUE_WAIT_MS;
    const waited = AbortSignal.timeout(waitMs);
    const raw = await this.limit
      .run(owner, () => requestCatalog(this.dial, peer, { name }, this.timed(options.signal)), {
        signal: options.signal === undefined ? waited : AbortSignal.any([options.signal, waited]),
      })
      .catch((err: unknown) => {
        if (err !== waited.reason) throw err;
        const why = `still queued behind this peer's other requests to it after ${waitMs} ms`;
        throw new CatalogRequestError(owner, why);
      });
    const item = raw.find((r) => (r as { description?: { name?: unknown } })?.description?.name === name);
    if (item === undefined) throw new DatasetNotFoundError(owner, name);
    return verifySignedDescription(item, owner, { owner, name });
  }
}
