/**
 * The dataset catalog of a peer: local datasets (store + advertiser) and network search.
 *
 * Search: look up providers of the name CID and of the tag CID in the DHT, ask each provider (over
 * the catalog protocol) for its descriptions matching the term, verify every signature against the
 * provider's own id, drop and report anything that fails, and dedupe by owner/name.
 */
import '../../polyfills.js';
import type { Logger, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { CatalogRequestError, DatasetNotFoundError, DescriptionVerificationError } from '../errors.js';
import type { PeerNode } from '../libp2p-node.js';
import type { DatasetCatalog } from '../peer.js';
import type { DatasetStore } from '../dataset/store.js';
import { verifySignedDescription } from '../dataset/description.js';
import { isValidName } from '../dataset/names.js';
import type {
  AbortOptions,
  AddDatasetInput,
  DatasetSearchOptions,
  DatasetSearchResult,
  LocalDataset,
  PolicySummary,
  RejectedDescription,
  SignedDatasetDescription,
} from '../types.js';
import type { Advertiser } from './advertiser.js';
import { datasetNameCid, datasetTagCid } from './keys.js';
import { PerPeerLimit } from './per-peer-limit.js';
import { CATALOG_PROTOCOL, requestCatalog, type CatalogQuery } from './protocol.js';

/** What the catalog needs from the peer. */
export interface CatalogDeps {
  /** The libp2p node (DHT lookups, dials). */
  node: PeerNode;
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
  /** Default time budget of a search (ms). */
  searchMs: number;
  /** Time to wait for the first advertisement in `add` before returning (ms). */
  addAdvertiseWaitMs: number;
}

/** True when `signed` matches a catalog query (by name or by tag). */
export function matchesQuery(signed: SignedDatasetDescription, q: CatalogQuery): boolean {
  const d = signed.description;
  return (q.name !== undefined && d.name === q.name) || (q.tag !== undefined && d.tags.includes(q.tag));
}

/** Implementation of {@link DatasetCatalog}. */
export class Catalog implements DatasetCatalog {
  private lock: Promise<unknown> = Promise.resolve();
  private policyProvider: ((name: string) => PolicySummary) | undefined;

  constructor(private readonly deps: CatalogDeps) {}

  /** Local descriptions matching a query (serves the catalog protocol). */
  query(q: CatalogQuery): SignedDatasetDescription[] {
    return this.deps.store
      .list()
      .map((e) => e.signed)
      .filter((s) => matchesQuery(s, q));
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
    const t = term.trim().toLowerCase();
    const result: DatasetSearchResult = { term: t, found: [], rejected: [] };
    if (!isValidName(t)) return result;
    const by = options.by ?? 'any';
    const query: CatalogQuery = {
      ...(by !== 'tag' ? { name: t } : {}),
      ...(by !== 'name' ? { tag: t } : {}),
    };
    const signal = AbortSignal.any([
      AbortSignal.timeout(options.timeoutMs ?? this.deps.searchMs),
      ...(options.signal ? [options.signal] : []),
    ]);
    const found = new Map<string, SignedDatasetDescription>();
    const keep = (s: SignedDatasetDescription): void => {
      const id = `${s.description.owner}/${s.description.name}`;
      const prev = found.get(id);
      if (prev === undefined || Date.parse(s.description.created) > Date.parse(prev.description.created)) {
        found.set(id, s);
      }
    };
    for (const s of this.query(query)) keep(s);

    const asked = new Set<string>([this.deps.self]);
    const requests: Promise<void>[] = [];
    const ask = (peer: PeerId): void => {
      const id = peer.toString();
      if (asked.has(id)) return;
      asked.add(id);
      requests.push(this.fetchFrom(peer, query, signal, keep, result.rejected));
    };
    const cids = await Promise.all([
      ...(query.name !== undefined ? [datasetNameCid(t)] : []),
      ...(query.tag !== undefined ? [datasetTagCid(t)] : []),
    ]);
    await Promise.all(
      cids.map(async (cid) => {
        try {
          for await (const ev of this.deps.node.services.dht.findProviders(cid, { signal })) {
            if (ev.name !== 'PROVIDER') continue;
            for (const p of ev.providers) {
              if (p.multiaddrs.length > 0 && !asked.has(p.id.toString())) {
                // best effort: without the hint, the dial below looks the addresses up itself
                await this.deps.node.peerStore.merge(p.id, { multiaddrs: p.multiaddrs }).catch(() => {});
              }
              ask(p.id);
            }
          }
        } catch (err) {
          if (!signal.aborted)
            this.deps.log('findProviders %s failed: %s', cid.toString(), (err as Error).message);
        }
      }),
    );
    // requests may still be added while providers stream in; wait for all of them
    for (let i = 0; i < requests.length; i++) await requests[i];
    result.found = [...found.values()].sort(
      (a, b) =>
        a.description.owner.localeCompare(b.description.owner) ||
        a.description.name.localeCompare(b.description.name),
    );
    this.deps.log(
      'search %s: %d found, %d rejected, %d peers asked',
      t,
      result.found.length,
      result.rejected.length,
      asked.size - 1,
    );
    return result;
  }

  private async fetchFrom(
    peer: PeerId,
    query: CatalogQuery,
    searchSignal: AbortSignal,
    keep: (s: SignedDatasetDescription) => void,
    rejected: RejectedDescription[],
  ): Promise<void> {
    const owner = peer.toString();
    const signal = AbortSignal.any([searchSignal, AbortSignal.timeout(this.deps.catalogRequestMs)]);
    let raw: unknown[];
    try {
      raw = await this.limit.run(peer.toString(), () => requestCatalog(this.dial, peer, query, signal), {
        signal,
      });
    } catch (err) {
      rejected.push({ owner, reason: `unreachable: ${(err as CatalogRequestError).message}` });
      return;
    }
    for (const item of raw) {
      try {
        const signed = await verifySignedDescription(item, owner, { owner });
        if (!matchesQuery(signed, query))
          throw new DescriptionVerificationError(owner, 'does not match the query');
        keep(signed);
      } catch (err) {
        const name = (item as { description?: { name?: unknown } })?.description?.name;
        const reason = err instanceof DescriptionVerificationError ? err.reason : (err as Error).message;
        this.deps.log('description from %s dropped: %s', owner, reason);
        rejected.push({ owner, ...(typeof name === 'string' ? { name } : {}), reason });
      }
    }
  }

  private readonly limit = new PerPeerLimit();

  private readonly dial = (peer: PeerId, options: { signal: AbortSignal }) =>
    this.deps.node.dialProtocol(peer, CATALOG_PROTOCOL, options);

  async show(owner: string, name: string, options: AbortOptions = {}): Promise<SignedDatasetDescription> {
    if (owner === this.deps.self) {
      const e = this.deps.store.get(name);
      if (e === undefined) throw new DatasetNotFoundError(owner, name);
      return e.signed;
    }
    const peer = peerIdFromString(owner);
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.deps.catalogRequestMs),
      ...(options.signal ? [options.signal] : []),
    ]);
    const raw = await this.limit.run(owner, () => requestCatalog(this.dial, peer, { name }, signal), {
      signal,
    });
    const item = raw.find((r) => (r as { description?: { name?: unknown } })?.description?.name === name);
    if (item === undefined) throw new DatasetNotFoundError(owner, name);
    return verifySignedDescription(item, owner, { owner, name });
  }
}
