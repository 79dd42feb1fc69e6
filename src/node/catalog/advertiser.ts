/**
 * Advertising local datasets in the DHT: provide the name CID, one CID per tag and the prefix CIDs,
 * and of each of these the one page key of this owner (keys.ts `pageOf`, read by pages.ts).
 *
 * Descriptions themselves are not put in the DHT: other peers would serve them to anyone, which
 * would bypass the owner's access lists. They are fetched from the owner (catalog protocol).
 *
 * kad-dht keeps our provider records in the on-disk datastore and re-provides them before they
 * expire (its reprovider). This module adds what kad-dht does not: a first provide that is retried
 * until at least one peer has taken each record (a node that starts alone has no one to tell; a
 * retry is made on the next connection, and after a failure with connections, after
 * {@link RETRY_MIN_MS} doubling up to {@link RETRY_MAX_MS}, for the keys no peer took yet), and
 * withdrawal (`cancelReprovide`) of keys no local dataset needs any more.
 */
import '../../polyfills.js';
import type { Logger } from '@libp2p/interface';
import type { CID } from 'multiformats/cid';
import type { PeerNode } from '../libp2p-node.js';
import type { SignedDatasetDescription } from '../types.js';
import { datasetNameKey, datasetPrefixKey, datasetTagKey, keyCid, pageKey, pageOf } from './keys.js';
import { prefixesOf } from './match.js';

/** First delay before re-providing the keys of a dataset that no peer took (ms). */
export const RETRY_MIN_MS = 2_000;
/** Longest delay between such retries (ms). */
export const RETRY_MAX_MS = 300_000;

/** Options of the advertiser. */
export interface AdvertiserInit {
  /** Time budget of one provide of one key (ms). */
  provideTimeoutMs: number;
  /** Interval of the background retry / refresh loop (ms). */
  refreshIntervalMs: number;
}

interface Entry {
  signed: SignedDatasetDescription;
  /** Whether every key of this dataset reached at least one peer since the last (re)start. */
  advertised: boolean;
  /** Keys (CID strings) that reached a peer while not yet advertised: a retry skips them. */
  reached: Set<string>;
  /** Failed attempts in a row (for the retry delay). */
  failures: number;
  running?: Promise<boolean>;
}

/** Keeps local datasets advertised. */
export class Advertiser {
  private readonly entries = new Map<string, Entry>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly controller = new AbortController();
  private readonly onConnect = (): void => this.scheduleRetry();

  constructor(
    private readonly node: PeerNode,
    private readonly log: Logger,
    private readonly init: AdvertiserInit,
  ) {}

  /** Starts the background loop and advertises every dataset given. */
  start(datasets: SignedDatasetDescription[]): void {
    for (const signed of datasets) this.entries.set(signed.description.name, newEntry(signed));
    this.timer = setInterval(() => this.refresh(), this.init.refreshIntervalMs);
    this.timer.unref();
    this.node.addEventListener('peer:connect', this.onConnect);
    this.scheduleRetry(0);
  }

  /** Stops background work. */
  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    this.node.removeEventListener('peer:connect', this.onConnect);
    this.controller.abort();
  }

  /** Whether `name` reached the network. */
  isAdvertised(name: string): boolean {
    return this.entries.get(name)?.advertised === true;
  }

  /** Advertises (or re-advertises) a dataset; resolves true when every key reached a peer in time. */
  async add(signed: SignedDatasetDescription): Promise<boolean> {
    const entry = newEntry(signed);
    this.entries.set(signed.description.name, entry);
    return this.advertise(entry);
  }

  /** Stops advertising `name`: cancels re-providing its keys that no other local dataset needs. */
  async remove(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (entry === undefined) return;
    this.entries.delete(name);
    const stillNeeded = new Set<string>();
    for (const e of this.entries.values())
      for (const c of await keysOf(e.signed)) stillNeeded.add(c.toString());
    for (const cid of await keysOf(entry.signed)) {
      if (stillNeeded.has(cid.toString())) continue;
      await this.node.services.dht.cancelReprovide(cid).catch((err: Error) => {
        this.log.error('cancelReprovide of %s failed: %s', cid.toString(), err.message);
      });
    }
  }

  private scheduleRetry(delayMs = 500): void {
    if (this.controller.signal.aborted || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      for (const e of this.entries.values()) if (!e.advertised) void this.advertise(e);
    }, delayMs);
    this.retryTimer.unref();
  }

  private refresh(): void {
    for (const e of this.entries.values()) void this.advertise(e);
  }

  private advertise(entry: Entry): Promise<boolean> {
    entry.running ??= this.advertiseOnce(entry).finally(() => {
      entry.running = undefined;
    });
    return entry.running;
  }

  private async advertiseOnce(entry: Entry): Promise<boolean> {
    const { name } = entry.signed.description;
    if (this.node.status !== 'started' || this.controller.signal.aborted) return false;
    if (this.node.getConnections().length === 0) return false; // retried on the next connection
    const all = await keysOf(entry.signed);
    const keys = entry.advertised ? all : all.filter((cid) => !entry.reached.has(cid.toString()));
    const results = await Promise.all(keys.map((cid) => this.provide(cid)));
    for (const [i, cid] of keys.entries()) if (results[i] === true) entry.reached.add(cid.toString());
    const ok = results.every(Boolean);
    if (this.entries.get(name) !== entry) return ok;
    entry.advertised = ok || entry.advertised;
    entry.failures = ok ? 0 : entry.failures + 1;
    if (!ok) this.scheduleRetry(Math.min(RETRY_MIN_MS * 2 ** (entry.failures - 1), RETRY_MAX_MS));
    this.log(
      'dataset %s %s',
      name,
      ok ? 'advertised' : 'not yet advertised (no peer took a record); will retry',
    );
    return ok;
  }

  private async provide(cid: CID): Promise<boolean> {
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.init.provideTimeoutMs)]);
    let reached = 0;
    try {
      for await (const ev of this.node.services.dht.provide(cid, { signal })) {
        if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'ADD_PROVIDER') reached++;
      }
    } catch (err) {
      this.log.trace('provide %s: %s', cid.toString(), (err as Error).message);
    }
    return reached > 0;
  }
}

function newEntry(signed: SignedDatasetDescription): Entry {
  return { signed, advertised: false, reached: new Set(), failures: 0 };
}

/**
 * The CIDs a dataset is provided under: its name, its tags, the prefixes search looks up, and the
 * owner's page of each (so twice as many keys as before pages; remove withdraws them all).
 */
export async function keysOf(signed: SignedDatasetDescription): Promise<CID[]> {
  const d = signed.description;
  const page = await pageOf(d.owner);
  const keys = [
    datasetNameKey(d.name),
    ...d.tags.map((t) => datasetTagKey(t)),
    ...prefixesOf(d.name, d.tags).map((p) => datasetPrefixKey(p)),
  ];
  return Promise.all(keys.flatMap((k) => [keyCid(k), keyCid(pageKey(k, page))]));
}
