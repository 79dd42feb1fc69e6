/**
 * Search by prefix and substring (issue 13): names, tags and descriptions; through the DHT's prefix
 * keys when the owner is not connected; a server's answers checked against the query.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lpStream } from '@libp2p/utils';
import { CATALOG_PROTOCOL, requestCatalog } from '../../src/node/catalog/protocol.js';
import { lookupsFor, matchRank, normaliseTerm, prefixesOf, wordsOf } from '../../src/node/catalog/match.js';
import type { Peer } from '../../src/node/peer.js';
import type { SignedDatasetDescription } from '../../src/node/types.js';
import { internals, removeDir, SAMPLE_CSV, startPeers, stopAll, tempDir, writeText } from './net-helpers.js';

function desc(name: string, tags: string[], text: string): SignedDatasetDescription {
  return { description: { name, tags, description: text } } as unknown as SignedDatasetDescription;
}

test('match: ranks exact, prefix, word, substring; fields; terms; prefix keys', () => {
  const d = desc('patients-b', ['cardiology', 'uk'], 'Systolic blood pressure of adults, 2019');
  assert.is(matchRank(d, 'patients-b', 'any'), 0);
  assert.is(matchRank(d, 'patients', 'any'), 1);
  assert.is(matchRank(d, 'cardiology', 'any'), 2);
  assert.is(matchRank(d, 'cardio', 'any'), 3);
  assert.is(matchRank(d, 'b', 'any'), 4); // the name's word 'b'
  assert.is(matchRank(d, 'ients', 'any'), 5);
  assert.is(matchRank(d, 'blood', 'any'), 6);
  assert.is(matchRank(d, 'lood press', 'any'), 7);
  assert.is(matchRank(d, 'blood', 'name'), undefined);
  assert.is(matchRank(d, 'cardio', 'name'), undefined);
  assert.is(matchRank(d, 'patients', 'tag'), undefined);
  assert.is(matchRank(d, 'heights', 'any'), undefined);
  assert.is(normaliseTerm('  Patients '), 'patients');
  assert.is(normaliseTerm(''), undefined);
  assert.is(normaliseTerm('x'.repeat(65)), undefined);
  assert.is(normaliseTerm('a\u0000b'), undefined);
  assert.equal(wordsOf('patients-b_2019.x'), ['patients', 'b', '2019', 'x']);
  assert.equal(prefixesOf('patients-b', ['cardiology', 'uk', 'heart-failure']), ['pat', 'car', 'hea', 'fai']);
  assert.ok(
    prefixesOf(
      'a',
      Array.from({ length: 32 }, (_, i) => `tag${i}x-w${i}yz`),
    ).length <= 16,
  );
  assert.equal(lookupsFor('patients', 'any'), { name: 'patients', tag: 'patients', prefix: 'pat' });
  assert.equal(lookupsFor('blood pressure', 'any'), { prefix: 'blo' });
  assert.equal(lookupsFor('uk', 'tag'), { tag: 'uk' });
  assert.equal(lookupsFor('ab', 'name'), { name: 'ab' });
});

test('four peers: prefix and substring of names, tags and descriptions; DHT prefix keys reach owners not connected', async () => {
  const signal = AbortSignal.timeout(120_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 4, signal);
    const csv = writeText(root, 'd.csv', SAMPLE_CSV);
    const [, a, b, searcher] = peers as [Peer, Peer, Peer, Peer];
    const tags = ['cardiology'];
    await a.datasets.add(
      { csvPath: csv, name: 'patients-a', tags, description: 'Blood pressure, Leeds' },
      { signal },
    );
    await b.datasets.add(
      { csvPath: csv, name: 'patients-b', tags, description: 'Blood pressure, York' },
      { signal },
    );
    await b.datasets.add({ csvPath: csv, name: 'heights', tags: ['demo'] }, { signal });
    const names = async (term: string, by?: 'name' | 'tag' | 'any', exact = false) => {
      const r = await searcher.datasets.search(term, { signal, exact, ...(by ? { by } : {}) });
      assert.equal(r.rejected, [], `${term}: ${JSON.stringify(r.rejected)}`);
      return r.found.map((s) => s.description.name);
    };
    assert.equal(await names('patients'), ['patients-a', 'patients-b']);
    assert.equal(await names('Patients-B'), ['patients-b']);
    assert.equal(await names('ients-b'), ['patients-b']);
    assert.equal(await names('cardio'), ['patients-a', 'patients-b']);
    assert.equal(await names('cardio', 'name'), []);
    assert.equal(await names('york'), ['patients-b']);
    assert.equal(await names('blood press'), ['patients-a', 'patients-b']);
    assert.equal(await names('blood', 'tag'), []);
    // best match first: the exact name before names it starts
    await a.datasets.add({ csvPath: csv, name: 'patients', tags: ['x'] }, { signal });
    assert.equal(await names('patients'), ['patients', 'patients-a', 'patients-b']);
    // exact: only the name or tag equal to the term
    assert.equal(await names('patients', 'any', true), ['patients']);
    assert.equal(await names('PATIENTS-A', 'name', true), ['patients-a']);
    assert.equal(await names('cardiology', 'any', true), ['patients-a', 'patients-b']);
    assert.equal(await names('cardiology', 'name', true), []);
    assert.equal(await names('patie', 'any', true), []);
    assert.equal(await names('blood pressure', 'any', true), []);

    // the searcher hangs up on the owners: only the DHT's prefix key leads to them
    const node = internals(searcher).node;
    for (const owner of [a, b]) {
      for (const c of node.getConnections()) if (c.remotePeer.toString() === owner.peerId) await c.close();
    }
    const connected = new Set(node.getConnections().map((c) => c.remotePeer.toString()));
    assert.not.ok(connected.has(a.peerId) || connected.has(b.peerId), 'owners not connected');
    assert.equal(await names('patie'), ['patients', 'patients-a', 'patients-b']);
    // an exact search asks the providers of the exact key only: the owner is found through it
    assert.equal(await names('patients-b', 'name', true), ['patients-b']);
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('attacks: a server answering what was not asked is rejected; bad queries are refused', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 2, signal);
    const [owner, searcher] = peers as [Peer, Peer];
    const csv = writeText(root, 'd.csv', SAMPLE_CSV);
    await owner.datasets.add({ csvPath: csv, name: 'heights', tags: ['demo'] }, { signal });
    // the owner answers every query with all it has (a spammer): what does not match is dropped
    const store = internals(owner).store;
    const catalog = (owner as unknown as { datasets: { query: unknown } }).datasets;
    catalog.query = () => store.list().map((e) => e.signed);
    const r = await searcher.datasets.search('weights', { signal });
    assert.equal(r.found, []);
    assert.equal(r.rejected, [{ owner: owner.peerId, name: 'heights', reason: 'does not match the query' }]);
    // an exact search keeps only the exact name, whatever a provider answers
    await owner.datasets.add({ csvPath: csv, name: 'heights-2', tags: ['demo'] }, { signal });
    const ex = await searcher.datasets.search('heights', { signal, exact: true, by: 'name' });
    assert.equal(
      ex.found.map((f) => f.description.name),
      ['heights'],
    );
    assert.equal(ex.rejected, [
      { owner: owner.peerId, name: 'heights-2', reason: 'does not match the query' },
    ]);
    // the DHT knows nothing (records not out yet, or flooded away): a connected owner is still asked
    const dht = internals(searcher).node.services.dht as unknown as { findProviders: unknown };
    dht.findProviders = async function* () {};
    const viaNeighbour = await searcher.datasets.search('heights', { signal, exact: true, by: 'name' });
    assert.equal(
      viaNeighbour.found.map((f) => f.description.name),
      ['heights'],
    );

    // a query with an over-long text or an unknown field is answered "bad request"
    const node = internals(searcher).node;
    const dial = (p: Parameters<typeof node.dialProtocol>[0], o: { signal: AbortSignal }) =>
      node.dialProtocol(p, CATALOG_PROTOCOL, o);
    const ownerId = internals(owner).node.peerId;
    for (const q of [{ text: 'x'.repeat(65) }, { text: 'ok', field: 'rows' }, { text: 7 }]) {
      await requestCatalog(dial, ownerId, q as never, signal).then(
        () => assert.unreachable(JSON.stringify(q)),
        (err: Error) => assert.match(err.message, /bad request/),
      );
    }
    // a raw stream still gets a bounded answer
    const stream = await dial(ownerId, { signal });
    const lp = lpStream(stream);
    await lp.write(new TextEncoder().encode('{"text":"hei","field":"any"}'), { signal });
    const answer = JSON.parse(new TextDecoder().decode((await lp.read({ signal })).subarray())) as {
      ok: boolean;
      descriptions: unknown[];
    };
    assert.ok(answer.ok);
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test.run();
