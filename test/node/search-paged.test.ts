/**
 * Paged catalog keys (issue 18): a search finds every owner of a tag, not only the first 20
 * providers kad-dht returns for one key. The page function and the merge of a paged lookup are
 * tested alone; then 26 owners of one tag and a searcher, real peers over the memory transport.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PeerInfo } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { CID } from 'multiformats/cid';
import { keyCid, KEY_PAGES, pageKey, pageOf } from '../../src/node/catalog/keys.js';
import { findPaged } from '../../src/node/catalog/pages.js';
import { createPeer, type Peer } from '../../src/node/peer.js';
import type { PeerInit } from '../../src/node/types.js';
import { internals, removeDir, SAMPLE_CSV, stopAll, tempDir, waitFor, writeText } from './net-helpers.js';

async function peerIds(n: number): Promise<string[]> {
  const keys = await Promise.all(Array.from({ length: n }, () => generateKeyPair('Ed25519')));
  return keys.map((k) => peerIdFromPrivateKey(k).toString());
}

test('page function: stable per peer id, spread over the pages', async () => {
  const ids = await peerIds(320);
  const counts = new Array<number>(KEY_PAGES).fill(0);
  for (const id of ids) {
    const p = await pageOf(id);
    assert.ok(Number.isInteger(p) && p >= 0 && p < KEY_PAGES, `page ${p}`);
    assert.is(await pageOf(id), p, 'stable');
    counts[p]!++;
  }
  // 20 per page on average; a page with none or over 3 times that would mean a broken spread
  assert.ok(
    counts.every((c) => c > 0 && c < 60),
    `pages ${counts.join(',')}`,
  );
  // a known answer: the page of an id must never change (an owner withdraws it after a restart)
  assert.is(await pageOf('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'), 6);
  assert.is(pageKey('peermpc:tag:x', 3), 'peermpc:tag:x#p3');
});

/** A fake DHT: what each CID's lookup yields, in events of `chunk` providers. */
function fakeDht(byKey: Map<string, string[]>, chunk = 7) {
  const queried: string[] = [];
  const text = new Map<string, string>();
  return {
    queried,
    async index(): Promise<void> {
      for (const k of byKey.keys()) text.set((await keyCid(k)).toString(), k);
    },
    async *find(cid: CID): AsyncIterable<PeerInfo[]> {
      const k = text.get(cid.toString()) ?? '?';
      queried.push(k);
      const all = byKey.get(k) ?? [];
      for (let i = 0; i < all.length; i += chunk)
        yield all.slice(i, i + chunk).map((id) => ({ id, multiaddrs: [] }) as unknown as PeerInfo);
    },
  };
}

test('merge: plain key first, pages only when the cap is hit, deduped by peer id, bounded', async () => {
  const key = 'peermpc:tag:crowd';
  const owners = Array.from({ length: 40 }, (_, i) => `owner-${String(i).padStart(2, '0')}`);
  // kad-dht stopped at 20 on the plain key; the pages hold everyone, some twice (old + new record)
  const byKey = new Map<string, string[]>([[key, owners.slice(0, 20)]]);
  owners.forEach((o, i) => {
    const k = pageKey(key, i % KEY_PAGES);
    byKey.set(k, [...(byKey.get(k) ?? []), o]);
  });
  byKey.set(pageKey(key, 0), [...byKey.get(pageKey(key, 0))!, 'owner-03', 'owner-03']);
  let dht = fakeDht(byKey);
  await dht.index();
  const got: string[] = [];
  const signal = AbortSignal.timeout(5_000);
  const onProvider = (p: PeerInfo) => void got.push(p.id as unknown as string);
  let r = await findPaged(key, { find: (c) => dht.find(c), cap: 20, signal, onProvider });
  assert.equal(got.slice(0, 20), owners.slice(0, 20), 'plain key first');
  assert.equal([...got].sort(), owners, 'every owner once');
  assert.equal(r, { providers: 40, paged: true });
  assert.is(dht.queried.length, 1 + KEY_PAGES);

  // under the cap: one query, no page
  dht = fakeDht(new Map([[key, owners.slice(0, 5)]]));
  await dht.index();
  got.length = 0;
  r = await findPaged(key, { find: (c) => dht.find(c), cap: 20, signal, onProvider });
  assert.equal(r, { providers: 5, paged: false });
  assert.equal(dht.queried, [key]);

  // a flooded key: no more than maxProviders are passed on
  dht = fakeDht(new Map([[key, Array.from({ length: 5000 }, (_, i) => `sybil-${i}`)]]));
  await dht.index();
  got.length = 0;
  r = await findPaged(key, { find: (c) => dht.find(c), cap: 20, signal, onProvider, maxProviders: 100 });
  assert.is(got.length, 100);
  assert.is(r.providers, 100);
});

/** Peers over the memory transport with in-memory datastores (as src/sim/network.ts makes them). */
async function startMemoryPeers(root: string, n: number, signal: AbortSignal): Promise<Peer[]> {
  const run = randomUUID().slice(0, 8);
  const peers: Peer[] = [];
  // up to three earlier peers, spread, so that no one peer holds every connection
  const bootstrapFor = (i: number): string[] => {
    const n = peers.length;
    const picks = n === 0 ? [] : [i % n, (5 * i + 1) % n, (11 * i + 2) % n];
    return [...new Set(picks)].map((k) => peers[k]!.multiaddrs()[0]!);
  };
  const init = (i: number): PeerInit => ({
    dataDir: join(root, `p${i}`),
    listen: [`/memory/paged-${run}-${i}`],
    bootstrap: bootstrapFor(i),
    allowPrivateAddresses: true,
    inboundConnectionThreshold: 100_000,
    connectionMonitor: false,
    transport: 'memory',
    datastore: 'memory',
    dht: { initialQuerySelfInterval: 100 },
    timeouts: { catalogRequestMs: 5_000, searchMs: 30_000, advertiseWaitMs: 0, provideMs: 10_000 },
  });
  try {
    for (let i = 0; i < Math.min(3, n); i++) peers.push(await createPeer(init(i)));
    for (let i = 3; i < n; i += 8) {
      const batch = Array.from({ length: Math.min(8, n - i) }, (_, k) => i + k);
      for (const p of await Promise.all(batch.map((k) => createPeer(init(k))))) peers.push(p);
    }
    await waitFor(() => peers.every((p) => p.status().routingTableSize >= 3), signal, 'routing tables');
    return peers;
  } catch (err) {
    await stopAll(peers);
    throw err;
  }
}

test('26 owners of one tag: a search finds all 26 (by tag and by name prefix); 5 owners: no page read', async () => {
  const signal = AbortSignal.timeout(150_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    const t0 = Date.now();
    peers = await startMemoryPeers(root, 27, signal);
    const owners = peers.slice(0, 26);
    const searcher = peers[26]!;
    const csv = writeText(root, 'd.csv', SAMPLE_CSV);
    const names = owners.map((_, i) => `crowd-${i}`);
    await Promise.all(
      owners.map((o, i) =>
        o.datasets.add(
          { csvPath: csv, name: names[i]!, tags: i < 5 ? ['crowd', 'five'] : ['crowd'] },
          { signal },
        ),
      ),
    );
    const advertised = async () =>
      (await Promise.all(owners.map((o, i) => o.datasets.get(names[i]!)))).every((d) => d?.advertised);
    await waitFor(advertised, signal, 'every dataset advertised');
    const t1 = Date.now();

    // the searcher asks no connected peer "in case": only the DHT leads it to the owners
    const node = internals(searcher).node;
    node.getConnections = () => [];
    const dht = node.services.dht;
    const findProviders = dht.findProviders.bind(dht);
    let lookups = 0;
    dht.findProviders = (...args) => {
      lookups++;
      return findProviders(...args);
    };
    const search = async (term: string, by: 'tag' | 'name') => {
      lookups = 0;
      const s = Date.now();
      const r = await searcher.datasets.search(term, { signal, by });
      assert.equal(r.rejected, [], JSON.stringify(r.rejected));
      return { names: r.found.map((f) => f.description.name).sort(), ms: Date.now() - s, lookups };
    };
    const all = [...names].sort();
    const byTag = await search('crowd', 'tag');
    assert.equal(byTag.names, all);
    const byPrefix = await search('crowd-', 'name');
    assert.equal(byPrefix.names, all);
    // five owners: the tag and prefix keys, no page
    const five = await search('five', 'tag');
    assert.equal(
      five.names,
      all.filter((n) => /^crowd-[0-4]$/.test(n)),
    );
    assert.is(five.lookups, 2);
    console.log(
      `peers and adds ${t1 - t0} ms; 26 owners by tag ${byTag.ms} ms (${byTag.lookups} lookups), ` +
        `by name prefix ${byPrefix.ms} ms (${byPrefix.lookups}); 5 owners by tag ${five.ms} ms`,
    );
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test.run();
