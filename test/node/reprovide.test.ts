/**
 * Advertisement lifetime with provider records that expire within seconds: the owner re-provides
 * before expiry (so the dataset stays findable long after its first records expired), and after
 * `remove` it stops, so the other peers' records of it expire and are dropped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { datasetNameCid } from '../../src/node/catalog/keys.js';
import type { Peer } from '../../src/node/peer.js';
import {
  internals,
  removeDir,
  SAMPLE_CSV,
  startPeers,
  stopAll,
  tempDir,
  waitFor,
  writeText,
} from './net-helpers.js';

/** Whether `peer`'s local provider store lists `provider` for dataset `name` (no network query). */
async function holdsProvider(peer: Peer, name: string, provider: string): Promise<boolean> {
  const events = internals(peer).node.services.dht.findProviders(await datasetNameCid(name), {
    signal: AbortSignal.timeout(2_000),
  });
  try {
    for await (const ev of events) {
      if (!('from' in ev) || ev.from.toString() !== peer.peerId) return false;
      if (ev.name === 'PROVIDER') return ev.providers.some((p) => p.id.toString() === provider);
    }
  } catch {
    // timeout: not held
  }
  return false;
}

test('re-provided before expiry while present; records expire after remove', async () => {
  const signal = AbortSignal.timeout(90_000);
  const root = tempDir();
  let peers: Peer[] = [];
  const validity = 4_000;
  try {
    peers = await startPeers(root, 3, signal, () => ({
      dht: {
        initialQuerySelfInterval: 100,
        provideValidityMs: validity,
        reprovideThresholdMs: 3_000,
        reprovideIntervalMs: 500,
      },
    }));
    const [owner, x, y] = peers as [Peer, Peer, Peer];
    await owner.datasets.add({ csvPath: writeText(root, 'd.csv', SAMPLE_CSV), name: 'fresh' }, { signal });
    await waitFor(() => holdsProvider(x, 'fresh', owner.peerId), signal, 'first provider record');
    // three validity periods later the records would be long gone without re-providing
    await new Promise((r) => setTimeout(r, 3 * validity));
    assert.ok(await holdsProvider(x, 'fresh', owner.peerId), 'record renewed at x');
    const res = await y.datasets.search('fresh', { signal });
    assert.is(res.found.length, 1);

    await owner.datasets.remove('fresh', { signal });
    await waitFor(
      async () =>
        !(await holdsProvider(x, 'fresh', owner.peerId)) && !(await holdsProvider(y, 'fresh', owner.peerId)),
      signal,
      'the records to expire',
    );
    assert.not.ok(await holdsProvider(owner, 'fresh', owner.peerId), 'the owner dropped its own record');
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test.run();
