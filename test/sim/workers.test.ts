/**
 * simulateNetwork with its peers spread over two worker threads (workers.ts): peers of different
 * threads find each other (ports joined by the main thread), every dataset is found from every
 * peer, a job whose parties sit in both threads equals the plaintext answer, a peer that leaves
 * is stopped in its own thread; the same scenario and seed release the same values as in one
 * thread (up to fixed-point truncation, which depends on the random shares); bad worker
 * settings are refused by name.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simulateNetwork } from '../../src/sim/simulate.js';
import { ScenarioError } from '../../src/sim/scenario.js';

const scenario = {
  peers: 12,
  seed: 5,
  searches: 'all' as const,
  // owners 0, 1, 2 and requester 11: both threads take part (peer i runs in worker i mod 2)
  jobs: [{ requester: 11, datasets: ['data-0', 'data-1', 'data-2'], stats: ['count', 'mean', 'variance'] }],
  churn: [{ at: 100, peer: 7, action: 'leave' as const }],
};

test('12 peers over 2 worker threads: all found, the job right, churn applied, same values as one thread', async () => {
  const r = await simulateNetwork(scenario, { workers: 2 });
  const d = r.discovery;
  assert.is(d.searches + d.skipped, 36, 'every peer searched for each of the 3 datasets');
  assert.ok(d.skipped <= 3, `skipped ${d.skipped}: only the peer that left`);
  assert.is(d.found, d.searches, `found ${d.found} of ${d.searches}`);
  const job = r.jobs[0]!;
  assert.is(job.state, 'done', job.error);
  assert.is(job.correct, true, `max error ${job.maxError}`);
  assert.ok(job.parties.length >= 3 && job.parties.every((p) => p.bytesSent > 0 && p.rounds > 0));
  assert.equal(
    r.churn.map((c) => [c.peer, c.action, c.error]),
    [[7, 'leave', undefined]],
  );
  assert.ok(r.rssMiB > 0 && r.startMs > 0);
  const one = await simulateNetwork({ ...scenario, searches: 0, churn: [] });
  // the same values up to fixed-point truncation, whose error depends on the random shares
  const values = (res: typeof job.result): (number | null)[] => res!.flatMap((o) => o.values);
  const [a, b] = [values(job.result), values(one.jobs[0]!.result)];
  assert.is(a.length, b.length);
  a.forEach((v, k) => {
    const w = b[k] ?? null;
    assert.ok(v !== null && w !== null, `value ${k}: released`);
    assert.ok(Math.abs(v! - w!) <= 1e-4 * Math.max(1, Math.abs(v!)), `value ${k}: ${v} vs ${w}`);
  });
});

test('worker settings that cannot work are refused by name', async () => {
  try {
    await simulateNetwork({ peers: 4, transport: 'tcp' }, { workers: 2 });
    assert.unreachable('tcp with workers');
  } catch (err) {
    assert.instance(err, ScenarioError);
    assert.match((err as Error).message, /transport/);
  }
  for (const workers of [-1, 1.5, 65])
    try {
      await simulateNetwork({ peers: 4 }, { workers });
      assert.unreachable(`workers ${workers}`);
    } catch (err) {
      assert.instance(err, RangeError);
      assert.match((err as Error).message, /workers/);
    }
});

test.run();
