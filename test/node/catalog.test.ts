/**
 * The dataset catalog across five peers on 127.0.0.1: a dataset added on one is found by name and
 * by tag from every other with its signature verified; tampered and misattributed descriptions are
 * dropped and reported; removal stops the advertisement; `show` fetches one description.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DatasetNotFoundError } from '../../src/node/errors.js';
import type { Peer } from '../../src/node/peer.js';
import { internals, removeDir, SAMPLE_CSV, startPeers, stopAll, tempDir, writeText } from './net-helpers.js';

test('five peers: found by name and by tag from every other peer; tampering and misattribution rejected', async () => {
  const signal = AbortSignal.timeout(90_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 5, signal);
    const csv = writeText(root, 'd.csv', SAMPLE_CSV);
    const owner = peers[2]!;
    const added = await owner.datasets.add(
      { csvPath: csv, name: 'heights', tags: ['health', 'demo'] },
      { signal },
    );
    assert.ok(added.advertised, 'advertised to at least one peer');
    const other = peers[4]!;
    await other.datasets.add({ csvPath: csv, name: 'weights', tags: ['health'] }, { signal });

    for (const p of peers) {
      const byName = await p.datasets.search('heights', { signal });
      assert.equal(
        byName.found.map((s) => `${s.description.owner}/${s.description.name}`),
        [`${owner.peerId}/heights`],
        `by name from ${p.peerId}`,
      );
      assert.equal(byName.rejected, []);
      assert.equal(byName.found[0], added.signed);
      const byTag = await p.datasets.search('HEALTH', { signal });
      const names = byTag.found.map((s) => s.description.name).sort();
      assert.equal(names, ['heights', 'weights'], `by tag from ${p.peerId}`);
      const onlyTag = await p.datasets.search('heights', { by: 'tag', signal });
      assert.equal(onlyTag.found, []);
    }

    // show owner/name, and not-found
    const shown = await peers[0]!.datasets.show(owner.peerId, 'heights', { signal });
    assert.equal(shown, added.signed);
    await peers[0]!.datasets.show(owner.peerId, 'nothing', { signal }).then(
      () => assert.unreachable(),
      (err: Error) => assert.instance(err, DatasetNotFoundError),
    );

    // the owner starts serving a tampered description: every searcher drops and reports it
    const stored = internals(owner).store.get('heights')!;
    const genuine = stored.signed;
    stored.signed = structuredClone(genuine);
    stored.signed.description.rows = 999_999;
    const res = await peers[0]!.datasets.search('heights', { signal });
    assert.equal(res.found, []);
    assert.equal(res.rejected, [{ owner: owner.peerId, name: 'heights', reason: 'bad signature' }]);
    await peers[1]!.datasets.show(owner.peerId, 'heights', { signal }).then(
      () => assert.unreachable(),
      (err: Error) => assert.match(err.message, /bad signature/),
    );
    stored.signed = genuine;

    // peer 4 serves peer 2's genuine description as if it were its own: owner mismatch
    const impostor = internals(other).store.get('weights')!;
    const own = impostor.signed;
    impostor.signed = structuredClone(genuine);
    impostor.signed.description = { ...impostor.signed.description, tags: ['health'] };
    const res2 = await peers[0]!.datasets.search('health', { signal });
    assert.equal(
      res2.found.map((s) => s.description.name),
      ['heights'],
    );
    assert.ok(
      res2.rejected.some((r) => r.owner === other.peerId && r.reason === 'owner mismatch'),
      JSON.stringify(res2.rejected),
    );
    impostor.signed = own;

    // removal: the owner stops answering for it; others no longer find it
    assert.ok(await owner.datasets.remove('heights', { signal }));
    const gone = await peers[3]!.datasets.search('heights', { signal });
    assert.equal(gone.found, []);
    assert.equal(gone.rejected, []);
    assert.equal(await owner.datasets.list(), []);
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('status, connected peers, dial and ping', async () => {
  const signal = AbortSignal.timeout(30_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 2, signal);
    const [a, b] = peers as [Peer, Peer];
    const st = a.status();
    assert.ok(st.started);
    assert.is(st.peerId, a.peerId);
    assert.ok(st.multiaddrs.every((m) => m.endsWith(`/p2p/${a.peerId}`)));
    assert.ok(a.connectedPeers().some((c) => c.peerId === b.peerId));
    assert.is(await a.dial(b.multiaddrs()[0]!, { signal }), b.peerId);
    assert.is(await a.dial(b.peerId, { signal }), b.peerId);
    const rtt = await a.ping(b.peerId, { signal });
    assert.ok(rtt >= 0);
    await a.dial('not a peer').then(
      () => assert.unreachable(),
      (err: Error) => assert.is(err.name, 'InvalidPeerAddressError'),
    );
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test.run();
