/**
 * Paged provider lookups: every owner of a key, not only the first ones kad-dht returns.
 *
 * kad-dht's `findProviders` stops once it has yielded `kBucketSize` (20) distinct providers,
 * although its GET_PROVIDERS handler answers with every record a node holds. So an owner also
 * provides one page of each key (keys.ts, {@link KEY_PAGES} pages), and a lookup of a key:
 * 1. queries the plain key, as before pages existed (owners of older versions provide only it),
 *    and passes its providers on first;
 * 2. when that query yielded `cap` providers or more (kad-dht stopped there, so more may exist),
 *    queries all the page keys, {@link PAGE_QUERY_CONCURRENCY} at a time, within the same signal;
 * 3. passes every provider on once (the merge: first seen wins, by peer id), at most
 *    `maxProviders` of them.
 * A key with fewer than `cap` owners costs one query, as before. With pages, a key finds about
 * `cap` owners per page, so some `cap` x {@link KEY_PAGES} (320) owners in all.
 *
 * What a peer flooding a key (a plain or a page key) with provider records can and cannot do:
 * - kad-dht stores a provider record only from the provider itself (its ADD_PROVIDER handler drops
 *   records naming another peer), so every fake record needs its own key pair and a connection to
 *   the storing node; it keeps them all (no limit per key) and GET_PROVIDERS returns them all.
 * - It can push real owners out of the first `cap` of a key, in two ways. The searcher's own
 *   records of the key are cut at `cap` (kad-dht slices them, in datastore order: by provider id,
 *   which a flooder picks by generating keys) and then the query ends. From the network, kad-dht
 *   yields all the new providers of one response at once (a flood does not cut that node's answer),
 *   but the query ends with the response that brings the count to `cap`, so real owners held only
 *   by nodes that would have answered later are not seen. A DHT node may also answer with any list
 *   of ids (a response is not signed). So a flooder can hide real owners of the pages (and plain
 *   key) it floods, 17 keys per term, and fill this lookup's budget of providers.
 * - It cannot hide owners of pages it does not flood, forge a description (each is signed by its
 *   owner and verified), remove real records, or make a search ask more than `maxProviders` peers
 *   per key (search.ts bounds the whole search and its requests in flight). Fake providers cost
 *   the search a failed request each, within its deadline, and are reported as unreachable.
 */
import type { PeerInfo } from '@libp2p/interface';
import type { CID } from 'multiformats/cid';
import { keyCid, KEY_PAGES, pageKey } from './keys.js';

/** Page keys of one key queried at once. */
export const PAGE_QUERY_CONCURRENCY = 8;

/** One provider lookup of a CID: batches of providers as the DHT yields them. */
export type FindProviders = (cid: CID, signal: AbortSignal) => AsyncIterable<PeerInfo[]>;

/** Options of {@link findPaged}. */
export interface PagedLookupInit {
  /** The DHT lookup (kad-dht's `findProviders`, its PROVIDER events). */
  find: FindProviders;
  /** How many providers kad-dht yields before it stops (its `kBucketSize`). */
  cap: number;
  /** The lookup's deadline and abort. */
  signal: AbortSignal;
  /** Called once per distinct provider, plain key first; awaited. */
  onProvider(provider: PeerInfo): void | Promise<void>;
  /** Most providers passed on (default `cap` x ({@link KEY_PAGES} + 1)). */
  maxProviders?: number;
  /** Called when one query fails (not when the signal aborted it). */
  onError?(cid: CID, err: Error): void;
}

/** What one paged lookup found. */
export interface PagedLookupResult {
  /** Distinct providers passed on. */
  providers: number;
  /** Whether the page keys were queried. */
  paged: boolean;
}

/** Looks up every provider of the key text `key` (see the module comment). */
export async function findPaged(key: string, init: PagedLookupInit): Promise<PagedLookupResult> {
  const max = init.maxProviders ?? init.cap * (KEY_PAGES + 1);
  const seen = new Set<string>();
  const query = async (text: string): Promise<number> => {
    const cid = await keyCid(text);
    const mine = new Set<string>();
    try {
      // a signal of its own: kad-dht adds listeners to it, and the pages run side by side
      for await (const batch of init.find(cid, AbortSignal.any([init.signal]))) {
        for (const p of batch) {
          const id = p.id.toString();
          mine.add(id);
          if (seen.has(id) || seen.size >= max) continue;
          seen.add(id);
          await init.onProvider(p);
        }
        if (seen.size >= max) break;
      }
    } catch (err) {
      if (!init.signal.aborted) init.onError?.(cid, err as Error);
    }
    return mine.size;
  };
  const plain = await query(key);
  const paged = plain >= init.cap && seen.size < max && !init.signal.aborted;
  if (paged) {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < KEY_PAGES && seen.size < max && !init.signal.aborted) await query(pageKey(key, next++));
    };
    await Promise.all(Array.from({ length: Math.min(PAGE_QUERY_CONCURRENCY, KEY_PAGES) }, worker));
  }
  return { providers: seen.size, paged };
}
