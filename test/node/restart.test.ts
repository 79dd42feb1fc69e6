/**
 * Restart: a peer stopped and created again from the same data directory keeps its peer id, its
 * datasets (values and signed descriptions), its access lists and its DHT state, and its datasets
 * are still found by the others. A description signed before policy summaries existed (or while
 * the policy changed with the daemon down) carries the effective policy once the job service starts.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { jobServiceForPeer } from '../../src/jobs/service/for-peer.js';
import { datasetNameCid } from '../../src/node/catalog/keys.js';
import { verifySignedDescription } from '../../src/node/dataset/description.js';
import { createPeer, type Peer, type SignedDatasetDescription } from '../../src/node/peer.js';
import {
  internals,
  removeDir,
  SAMPLE_CSV,
  startPeers,
  stopAll,
  tempDir,
  testInit,
  waitFor,
  writeText,
} from './net-helpers.js';

/** Whether `peer`'s local provider store lists `provider` for dataset name `name` (no network query). */
async function holdsProvider(peer: Peer, name: string, provider: string): Promise<boolean> {
  const self = peer.peerId;
  const events = internals(peer).node.services.dht.findProviders(await datasetNameCid(name), {
    signal: AbortSignal.timeout(2_000),
  });
  try {
    for await (const ev of events) {
      // the local store answers first (events `from` this peer), before any network query
      if (!('from' in ev) || ev.from.toString() !== self) return false;
      if (ev.name === 'PROVIDER') return ev.providers.some((p) => p.id.toString() === provider);
    }
  } catch {
    // timeout: not held
  }
  return false;
}

test('restart keeps peer id, datasets, access lists, DHT records and advertisement', async () => {
  const signal = AbortSignal.timeout(90_000);
  const root = tempDir();
  let peers: (Peer | undefined)[] = [];
  try {
    peers = await startPeers(root, 4, signal);
    const owner = peers[1]!;
    const csv = writeText(root, 'd.csv', SAMPLE_CSV);
    const added = await owner.datasets.add({ csvPath: csv, name: 'kept', tags: ['restart'] }, { signal });
    const denied = peers[3]!.peerId;
    await owner.access.deny([denied]);
    const id = owner.peerId;
    const valuesBefore = await owner.datasets.readValues('kept');
    // a provider record the owner holds for someone else's key, to check DHT state survives
    await peers[2]!.datasets.add({ csvPath: csv, name: 'other' }, { signal });
    await waitFor(
      () => holdsProvider(owner, 'other', peers[2]!.peerId),
      signal,
      'provider record at the owner',
    );

    await owner.stop();
    peers[1] = undefined;
    // while it is down, search reports it unreachable (its provider records are still out there)
    const down = await peers[0]!.datasets.search('kept', { signal, timeoutMs: 4_000 });
    assert.equal(down.found, []);

    const again = await createPeer(testInit(join(root, 'p1'), { bootstrap: [peers[0]!.multiaddrs()[0]!] }));
    peers[1] = again;
    assert.is(again.peerId, id, 'same peer id');
    const list = await again.datasets.list();
    assert.equal(
      list.map((d) => d.signed),
      [added.signed],
      'same signed description',
    );
    assert.equal(await again.datasets.readValues('kept'), valuesBefore);
    assert.equal(again.access.get().deny, [denied], 'access lists persisted');
    // the on-disk datastore kept the DHT state: the provider record it holds for peer 2's dataset
    assert.ok(await holdsProvider(again, 'other', peers[2]!.peerId), 'provider record survived the restart');
    await waitFor(() => again.status().connectedPeers >= 1, signal, 'reconnection');
    await waitFor(
      async () => {
        const r = await peers[0]!.datasets.search('restart', { signal, timeoutMs: 3_000 });
        return r.found.length === 1 && r.found[0]!.description.owner === id;
      },
      signal,
      'the restarted dataset to be found again',
    );
    const byName = await peers[2]!.datasets.search('kept', { signal });
    assert.equal(byName.found, [added.signed]);
    await waitFor(
      async () => (await again.datasets.get('kept'))?.advertised === true,
      signal,
      're-advertisement',
    );
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('the peer store persists: restarted without bootstrap peers, a peer reconnects to the ones it knew', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  let peers: (Peer | undefined)[] = [];
  try {
    peers = await startPeers(root, 3, signal);
    await waitFor(() => peers[2]!.status().connectedPeers >= 2, signal, 'a full mesh');
    await peers[2]!.stop();
    const again = await createPeer(testInit(join(root, 'p2'))); // no bootstrap list at all
    peers[2] = again;
    await waitFor(() => again.status().connectedPeers >= 2, signal, 'reconnection from the stored peers');
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('a peer restarted alone keeps its state and advertises once a peer appears', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  const peers: (Peer | undefined)[] = [];
  try {
    const dir = join(root, 'solo');
    const solo = await createPeer(testInit(dir));
    peers.push(solo);
    const csv = writeText(root, 'd.csv', SAMPLE_CSV);
    const added = await solo.datasets.add({ csvPath: csv, name: 'lonely', tags: ['alone'] }, { signal });
    assert.not.ok(added.advertised, 'nobody to advertise to');
    await solo.stop();
    const again = await createPeer(testInit(dir));
    peers[0] = again;
    const late = await createPeer(testInit(join(root, 'late'), { bootstrap: [again.multiaddrs()[0]!] }));
    peers.push(late);
    await waitFor(
      async () => (await again.datasets.get('lonely'))?.advertised === true,
      signal,
      'advertisement',
    );
    // provider records travel asynchronously (ADD_PROVIDER has no answer): poll the search
    let found: SignedDatasetDescription[] = [];
    await waitFor(
      async () => {
        found = (await late.datasets.search('alone', { signal, timeoutMs: 3_000 })).found;
        return found.length > 0;
      },
      signal,
      'the dataset to be found',
    );
    assert.equal(found, [added.signed]);
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('start and stop honour their signal: an aborted start leaves nothing running, an aborted stop rejects and the stop goes on', async () => {
  const root = tempDir();
  try {
    const dir = join(root, 'abort');
    const aborted = AbortSignal.abort(new Error('start aborted'));
    await createPeer(testInit(dir), { signal: aborted }).then(
      () => assert.unreachable('an aborted start must reject'),
      (err: Error) => assert.is(err.message, 'start aborted'),
    );
    // the data directory is free again: the datastore was closed
    const peer = await createPeer(testInit(dir));
    const stopping = peer.stop({ signal: AbortSignal.abort(new Error('stop aborted')) });
    await stopping.then(
      () => assert.unreachable('an aborted stop must reject'),
      (err: Error) => assert.is(err.message, 'stop aborted'),
    );
    await peer.stop(); // waits for the stop already under way
    assert.is(peer.status().started, false);
    assert.is(internals(peer).node.status, 'stopped');
  } finally {
    removeDir(root);
  }
});

test('at start, the job service re-signs every local description with its effective policy summary', async () => {
  const signal = AbortSignal.timeout(60_000);
  const dir = tempDir();
  let peer: Peer | undefined;
  try {
    peer = await createPeer(testInit(dir), { signal });
    const csv = writeText(dir, 'd.csv', SAMPLE_CSV);
    // as an older peermpc wrote it: the fixed placeholder
    const old = await peer.datasets.add(
      { csvPath: csv, name: 'old', policy: { approval: 'manual' } },
      { signal },
    );
    await peer.datasets.add({ csvPath: csv, name: 'plain' }, { signal });
    await peer.stop();
    // the policy was set while the daemon was down
    mkdirSync(join(dir, 'jobs'), { recursive: true });
    const policy = {
      dataset: 'old',
      requesters: ['*'],
      ops: ['*'],
      outputs: ['mean'],
      minRows: 2,
      approval: 'auto',
    };
    writeFileSync(join(dir, 'jobs', 'policies.json'), JSON.stringify({ version: 1, policies: [policy] }));
    peer = await createPeer(testInit(dir), { signal });
    const p = peer;
    const service = jobServiceForPeer(p, dir);
    try {
      const summary = async (name: string) => (await p.datasets.get(name))!.signed.description.policy;
      await waitFor(async () => (await summary('old')).minRows === 2, signal, 'the healed description');
      assert.equal(await summary('old'), {
        approval: 'auto',
        default: false,
        requestersRestricted: false,
        requesters: ['*'],
        ops: ['*'],
        outputs: ['mean'],
        minRows: 2,
        computeParties: ['self'], // a policy file from before the field: auto trusts only itself
      });
      await waitFor(async () => (await summary('plain')).default === true, signal, 'the default summary');
      assert.is((await summary('plain')).minRows, 10);
      const healed = await p.datasets.show(p.peerId, 'old', { signal });
      await verifySignedDescription(healed, p.peerId, { owner: p.peerId, name: 'old' });
      assert.is(healed.description.created, old.signed.description.created);
      assert.equal(await p.datasets.readValues('old'), await p.datasets.readValues('plain'));
      // a policy change through the service is published before it returns
      const res = await service.removePolicy('old');
      assert.ok(res.removed && res.published);
      assert.is((await summary('old')).default, true);
    } finally {
      service.stop();
    }
  } finally {
    await stopAll([peer]);
    removeDir(dir);
  }
});

test.run();
