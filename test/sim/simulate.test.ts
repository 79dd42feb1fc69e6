/**
 * simulateNetwork on 30 real peers in this process (memory transport): every dataset is found
 * from every peer, a rep3 job over three owners equals the plaintext answer, a peer that leaves
 * during discovery does not break the others' searches, and the report has its documented shape.
 * Shaping is checked for real: with 20 ms on every link a job takes at least its rounds times
 * 20 ms.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simulateNetwork } from '../../src/sim/simulate.js';
import { ScenarioError } from '../../src/sim/scenario.js';
import type { SimReport } from '../../src/sim/report.js';

let report: SimReport;

test('30 peers: every dataset found from every peer, a job equal to the plaintext answer, churn', async () => {
  report = await simulateNetwork({
    peers: 30,
    seed: 3,
    searches: 'all',
    jobs: [
      { requester: 29, datasets: ['data-0', 'data-1', 'data-2'], stats: ['count', 'sum', 'mean', 'std'] },
    ],
    churn: [{ at: 200, peer: 17, action: 'leave' }],
  });
  const d = report.discovery;
  assert.is(d.searches + d.skipped, 90, 'every peer searched for each of the 3 datasets');
  assert.ok(d.skipped <= 3, `skipped ${d.skipped}: only the peer that left`);
  assert.is(d.found, d.searches, `found ${d.found} of ${d.searches}`);
  assert.is(d.successRate, 1);
  const job = report.jobs[0]!;
  assert.is(job.state, 'done', job.error);
  assert.is(job.correct, true, `max error ${job.maxError}`);
  assert.equal(job.result!.find((r) => r.name === 'count')!.values, [300]);
  assert.ok(job.parties.length >= 3 && job.parties.every((p) => p.bytesSent > 0 && p.rounds > 0));
  assert.equal(
    report.churn.map((c) => [c.peer, c.action, c.error]),
    [[17, 'leave', undefined]],
  );
});

test('the report: numbers where numbers belong, no synthetic rows', () => {
  for (const k of ['startMs', 'connectedMs', 'rssMiB'] as const)
    assert.ok(Number.isFinite(report[k]) && report[k] > 0, k);
  assert.is(report.peers, 30);
  assert.is(report.transport, 'memory');
  const d = report.discovery;
  assert.ok(d.p50Ms <= d.p95Ms && d.p95Ms <= d.maxMs);
  assert.is(d.latenciesMs.length, d.searches);
  const json = JSON.stringify(report);
  assert.not.match(json, /age,sbp/, 'no CSV text in the report');
});

test('shaping is real: 20 ms per link makes a job take at least rounds x 20 ms', async () => {
  const r = await simulateNetwork({
    peers: 6,
    searches: 0,
    links: { default: { latencyMs: 20 } },
    jobs: [{ requester: 5, datasets: ['data-0', 'data-1', 'data-2'], stats: ['mean'] }],
  });
  const job = r.jobs[0]!;
  assert.is(job.state, 'done', job.error);
  assert.is(job.correct, true);
  const rounds = Math.max(...job.parties.map((p) => p.rounds));
  // the rounds include the session's set-up round, in the connect phase
  const compute = Math.max(
    ...job.parties.map(
      (p) => (p.ms.connect ?? 0) + (p.ms.input ?? 0) + (p.ms.compute ?? 0) + (p.ms.output ?? 0),
    ),
  );
  assert.ok(compute >= rounds * 20, `${rounds} rounds took ${compute.toFixed(0)} ms with 20 ms links`);
});

test('a bad scenario is refused before any peer starts, naming the field', async () => {
  try {
    await simulateNetwork({ peers: 5, jobs: [{ requester: 1, datasets: ['data-9'] }] });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, ScenarioError);
    assert.match((err as Error).message, /^jobs\[0\]\.datasets\[0\]: unknown dataset 'data-9'/);
  }
});

test.run();
