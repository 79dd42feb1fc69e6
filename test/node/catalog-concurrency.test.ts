/**
 * Many catalog requests to one peer at once (issue 11): 200 concurrent `show` calls all succeed,
 * queued at most CATALOG_REQUESTS_PER_PEER at a time (before, 197 of 200 failed past the remote
 * handler's stream limit); an owner that never answers: a show queued behind requests in flight
 * fails after the queue wait (`timeouts.catalogQueueWaitMs`) with a CatalogRequestError that says
 * so, while those in flight fail on their own request timeout; the queue itself in isolation,
 * with aborts while waiting.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CATALOG_REQUESTS_PER_PEER, PerPeerLimit } from '../../src/node/catalog/per-peer-limit.js';
import { CATALOG_PROTOCOL } from '../../src/node/catalog/protocol.js';
import { CatalogRequestError } from '../../src/node/errors.js';
import type { Peer } from '../../src/node/peer.js';
import { internals, removeDir, SAMPLE_CSV, startPeers, stopAll, tempDir, writeText } from './net-helpers.js';

test('200 concurrent shows of one remote dataset all succeed', async () => {
  const signal = AbortSignal.timeout(90_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 2, signal);
    await peers[0]!.datasets.add({ csvPath: writeText(root, 'd.csv', SAMPLE_CSV), name: 'd' }, { signal });
    const shows = await Promise.allSettled(
      Array.from({ length: 200 }, () => peers[1]!.datasets.show(peers[0]!.peerId, 'd', { signal })),
    );
    const failed = shows.filter((s) => s.status === 'rejected');
    assert.is(failed.length, 0, String((failed[0] as PromiseRejectedResult | undefined)?.reason));
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('an owner that never answers: a show queued behind the requests in flight gives up after the queue wait', async () => {
  const signal = AbortSignal.timeout(90_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 2, signal, (i) =>
      i === 1 ? { timeouts: { catalogRequestMs: 4_000, catalogQueueWaitMs: 300 } } : {},
    );
    // the owner takes every catalog stream and never answers
    const owner = internals(peers[0]!).node;
    await owner.unhandle(CATALOG_PROTOCOL);
    await owner.handle(CATALOG_PROTOCOL, () => {}, { maxInboundStreams: 64 });
    const settled: string[] = [];
    const track = (label: string, p: Promise<unknown>): Promise<unknown> =>
      p.then(
        () => settled.push(`${label}: answered`),
        (err: Error) => {
          settled.push(label);
          throw err;
        },
      );
    const inFlight = Array.from({ length: CATALOG_REQUESTS_PER_PEER }, (_, i) =>
      track(`in flight ${i}`, peers[1]!.datasets.show(peers[0]!.peerId, 'd', { signal })),
    );
    const queued = track('queued', peers[1]!.datasets.show(peers[0]!.peerId, 'd', { signal }));
    const err = await queued.then(
      () => assert.unreachable('the queued show was answered'),
      (e: unknown) => e,
    );
    assert.instance(err, CatalogRequestError);
    assert.match((err as Error).message, /still queued behind this peer's other requests to it after 300 ms/);
    assert.equal(settled, ['queued'], 'the queued show fails first, while the others are still in flight');
    const rest = await Promise.allSettled(inFlight);
    for (const r of rest) {
      assert.is(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as Error;
      assert.not.match(e.message, /still queued/, e.message);
    }
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('the per-peer queue: at most max at once per key, others in order, an abort leaves the queue', async () => {
  const limit = new PerPeerLimit(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const task = (i: number) => async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    order.push(i);
    running--;
    return i;
  };
  const aborted = new AbortController();
  const all = [0, 1, 2, 3].map((i) => limit.run('p', task(i)));
  const dropped = limit.run('p', task(9), { signal: aborted.signal }).then(
    () => 'ran',
    (e: Error) => e.message,
  );
  aborted.abort(new Error('gave up'));
  const other = limit.run('q', task(7)); // another peer is not queued behind p
  assert.equal(await Promise.all(all), [0, 1, 2, 3]);
  assert.is(await dropped, 'gave up');
  assert.is(await other, 7);
  assert.is(peak, 3); // two for p plus one for q
  assert.not.ok(order.includes(9));
});

test.run();
