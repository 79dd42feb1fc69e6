/**
 * Searching the network for datasets.
 *
 * The term's DHT keys (exact name, exact tag, 3-character prefix; match.ts) lead to providers; the
 * peers this peer is connected to are asked too (so a substring inside a word or a description is
 * found among them). Every owner asked answers with its own descriptions that match the text; the
 * searcher verifies each signature against the owner's id and that the description really matches,
 * drops and reports what fails, keeps the newest copy per owner/name, and sorts best match first
 * (then by name, then by owner).
 *
 * Each key is looked up page by page when it has more owners than one kad-dht lookup returns
 * (pages.ts): a search finds every owner of a term, up to about 20 x 16 per key. What remote peers
 * can make a search do is bounded: at most {@link MAX_NEIGHBOURS_ASKED} connected peers and
 * {@link MAX_PROVIDERS_ASKED} providers are asked, at most {@link MAX_PROVIDER_REQUESTS} of the
 * providers at a time (and `CATALOG_REQUESTS_PER_PEER` requests per peer, catalog.ts), each
 * answer at most `MAX_DESCRIPTIONS_PER_RESPONSE` descriptions (protocol.ts), all within the search's
 * deadline.
 *
 * Descriptions that fail verification are reported (`rejected`) whoever sent them, and so are
 * providers that do not answer; a connected peer that does not answer (it may deny this peer by its
 * access lists, or be busy) is left out silently: it was only asked in case.
 */
import '../../polyfills.js';
import type { Logger, PeerId, PeerInfo } from '@libp2p/interface';
import type { CID } from 'multiformats/cid';
import type { CatalogRequestError } from '../errors.js';
import { DescriptionVerificationError } from '../errors.js';
import { verifySignedDescription } from '../dataset/description.js';
import type { PeerNode } from '../libp2p-node.js';
import type {
  DatasetSearchOptions,
  DatasetSearchResult,
  RejectedDescription,
  SignedDatasetDescription,
} from '../types.js';
import { datasetNameKey, datasetPrefixKey, datasetTagKey, KEY_PAGES } from './keys.js';
import { lookupsFor, matchesExactly, matchRank, normaliseTerm, type SearchField } from './match.js';
import { findPaged } from './pages.js';
import { PerPeerLimit } from './per-peer-limit.js';
import type { CatalogQuery } from './protocol.js';

/** Most connected peers a search asks besides the providers it finds. */
export const MAX_NEIGHBOURS_ASKED = 32;
/** kad-dht's default `kBucketSize`: the providers one lookup yields at most. */
export const KAD_PROVIDERS_CAP = 20;
/** Most providers a search asks: every page of one key, and room for the term's other keys. */
export const MAX_PROVIDERS_ASKED = 2 * KAD_PROVIDERS_CAP * (KEY_PAGES + 1);
/** Providers a search asks at a time. */
export const MAX_PROVIDER_REQUESTS = 32;

/** What a search needs from the peer. */
export interface SearchDeps {
  /** The libp2p node (DHT lookups, connections). */
  node: PeerNode;
  /** This peer's id. */
  self: string;
  /** Logger (ids and counts only). */
  log: Logger;
  /** Default time budget of a search (ms). */
  searchMs: number;
  /** This peer's own descriptions matching a query. */
  query(q: CatalogQuery): SignedDatasetDescription[];
  /** Asks `peer` for its descriptions matching a query (raw, unverified). */
  request(peer: PeerId, q: CatalogQuery, signal: AbortSignal): Promise<unknown[]>;
}

interface Found {
  signed: SignedDatasetDescription;
  rank: number;
}

/** Searches the network for `term` (see the module comment). */
export async function searchNetwork(
  deps: SearchDeps,
  term: string,
  options: DatasetSearchOptions = {},
): Promise<DatasetSearchResult> {
  const t = normaliseTerm(term);
  const result: DatasetSearchResult = { term: t ?? '', found: [], rejected: [] };
  if (t === undefined) return result;
  const field: SearchField = options.by ?? 'any';
  const onlyExact = options.exact === true;
  const all = lookupsFor(t, field);
  const { prefix: _prefix, ...exact } = all;
  const lookups: typeof all = onlyExact ? exact : all;
  // `name`/`tag` let servers older than text search answer the exact query; an exact search sends
  // only them, so an owner's answer holds its exact matches, not the first of many substrings
  const query: CatalogQuery = onlyExact ? exact : { ...exact, text: t, field };
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs ?? deps.searchMs),
    ...(options.signal ? [options.signal] : []),
  ]);

  const found = new Map<string, Found>();
  const keep = (signed: SignedDatasetDescription): void => {
    const rank = onlyExact && !matchesExactly(signed, t, field) ? undefined : matchRank(signed, t, field);
    if (rank === undefined)
      throw new DescriptionVerificationError(signed.description.owner, 'does not match the query');
    const id = `${signed.description.owner}/${signed.description.name}`;
    const prev = found.get(id);
    if (
      prev === undefined ||
      Date.parse(signed.description.created) > Date.parse(prev.signed.description.created)
    ) {
      found.set(id, { signed, rank });
    }
  };
  if (onlyExact && exact.name === undefined && exact.tag === undefined) return result; // not a valid name or tag
  for (const s of deps.query(query)) keep(s);

  const asked = new Set<string>([deps.self]);
  const requests: Promise<void>[] = [];
  const inFlight = new PerPeerLimit(MAX_PROVIDER_REQUESTS); // one queue: the providers' requests
  let providersAsked = 0;
  let skipped = 0;
  const ask = (peer: PeerId, quiet: boolean): void => {
    const id = peer.toString();
    if (asked.has(id)) return;
    if (!quiet && providersAsked >= MAX_PROVIDERS_ASKED) {
      skipped++;
      return;
    }
    asked.add(id);
    const fetch = () => fetchFrom(deps, peer, query, signal, keep, result.rejected, quiet);
    if (quiet) {
      requests.push(fetch());
      return;
    }
    providersAsked++;
    requests.push(
      inFlight.run('', fetch, { signal }).catch((err: Error) => {
        result.rejected.push({ owner: id, reason: `unreachable: ${err.message}` });
      }),
    );
  };
  const neighbours = new Map(deps.node.getConnections().map((c) => [c.remotePeer.toString(), c.remotePeer]));
  const askNeighbours = () => {
    for (const peer of [...neighbours.values()].slice(0, MAX_NEIGHBOURS_ASKED)) ask(peer, true);
  };
  if (!onlyExact) askNeighbours();

  const keys = [
    ...(lookups.name !== undefined ? [datasetNameKey(lookups.name)] : []),
    ...(lookups.tag !== undefined ? [datasetTagKey(lookups.tag)] : []),
    ...(lookups.prefix !== undefined ? [datasetPrefixKey(lookups.prefix)] : []),
  ];
  const cap = providersCap(deps);
  const onProvider = async (p: PeerInfo): Promise<void> => {
    if (p.multiaddrs.length > 0) {
      // best effort: without the hint, the dial looks the addresses up itself
      await deps.node.peerStore.merge(p.id, { multiaddrs: p.multiaddrs }).catch(() => {});
    }
    ask(p.id, false);
  };
  const paged = await Promise.all(
    keys.map((key) =>
      findPaged(key, {
        find: (cid, s) => providersOf(deps, cid, s),
        cap,
        signal,
        onProvider,
        onError: (cid, err) => deps.log('findProviders %s failed: %s', cid.toString(), err.message),
      }),
    ),
  );
  // requests may still be added while providers stream in; wait for all of them
  for (let i = 0; i < requests.length; i++) await requests[i];
  // an exact search the DHT led nowhere (an owner whose records are not out yet, or were pushed out
  // by a flooder) still asks the peers it is connected to, as every search does
  if (onlyExact && found.size === 0 && !signal.aborted) {
    askNeighbours();
    for (let i = 0; i < requests.length; i++) await requests[i];
  }
  result.found = [...found.values()]
    .sort(
      (a, b) =>
        a.rank - b.rank ||
        a.signed.description.name.localeCompare(b.signed.description.name) ||
        a.signed.description.owner.localeCompare(b.signed.description.owner),
    )
    .map((f) => f.signed);
  deps.log(
    'search: %d found, %d rejected, %d peers asked (%d providers, %d over the bound), %d of %d keys paged',
    result.found.length,
    result.rejected.length,
    asked.size - 1,
    providersAsked,
    skipped,
    paged.filter((p) => p.paged).length,
    keys.length,
  );
  return result;
}

/** The providers kad-dht's findProviders yields before it stops: its `k` (`kBucketSize`). */
function providersCap(deps: SearchDeps): number {
  const k = deps.node.services.dht.k;
  return Number.isInteger(k) && k > 0 ? k : KAD_PROVIDERS_CAP;
}

async function* providersOf(deps: SearchDeps, cid: CID, signal: AbortSignal): AsyncIterable<PeerInfo[]> {
  for await (const ev of deps.node.services.dht.findProviders(cid, { signal })) {
    if (ev.name === 'PROVIDER') yield ev.providers;
  }
}

async function fetchFrom(
  deps: SearchDeps,
  peer: PeerId,
  query: CatalogQuery,
  signal: AbortSignal,
  keep: (s: SignedDatasetDescription) => void,
  rejected: RejectedDescription[],
  quiet: boolean,
): Promise<void> {
  const owner = peer.toString();
  let raw: unknown[];
  try {
    raw = await deps.request(peer, query, signal);
  } catch (err) {
    if (!quiet) rejected.push({ owner, reason: `unreachable: ${(err as CatalogRequestError).message}` });
    return;
  }
  for (const item of raw) {
    try {
      keep(await verifySignedDescription(item, owner, { owner }));
    } catch (err) {
      const name = (item as { description?: { name?: unknown } })?.description?.name;
      const reason = err instanceof DescriptionVerificationError ? err.reason : (err as Error).message;
      deps.log('description from %s dropped: %s', owner, reason);
      rejected.push({ owner, ...(typeof name === 'string' ? { name } : {}), reason });
    }
  }
}
