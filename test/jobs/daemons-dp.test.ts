/**
 * Differential privacy end to end with real daemons in separate processes on 127.0.0.1 (three
 * hospitals with column bounds and budgets, a scientist): DP jobs give noisy values within their
 * intervals of the plaintext statistic, two identical jobs differ, the job that would exceed the
 * budget is refused by every owner with what is left, `GET /budget` shows the spends, the CLI's
 * `job run --dp` prints each value's noise and interval and `budget show` the spends, a hospital
 * killed right after its spend keeps it across a restart, and no exact value appears in any
 * audit log or daemon output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../src/polyfills.js';
import { rhoOfEpsilonDelta } from '../../src/jobs/dp/accountant.js';
import type { JobRecord } from '../../src/jobs/store.js';
import { cleanupAll, peermpc } from '../../scripts/demo-network.js';
import { startDaemonProcess } from '../node/daemon-helpers.js';
import {
  allRows,
  JOB_COLUMNS,
  jobRequest,
  setPolicy,
  startJobsNetwork,
  waitForState,
  within,
  type JobsTestNetwork,
} from './helpers/daemons.js';
import { assertNearInterval } from './helpers/dp-interval.js';

let t: JobsTestNetwork;
const BOUNDS = { age: [0, 120], bmi: [10, 60], systolic_bp: [80, 230], glucose: [50, 360] };
const BUDGET = { epsilon: 1.5, delta: 1e-6 };
const ASK = { epsilon: 1, delta: 1e-6 };

test.before(async () => {
  t = await within(120_000, 'starting the network', startJobsNetwork);
  for (const h of t.hospitals) {
    await h.client.request('PATCH', `/datasets/${h.name}`, { bounds: BOUNDS });
    await setPolicy(h, { approval: 'auto', budget: BUDGET });
  }
});

test.after(async () => {
  await t?.net.stop();
  await cleanupAll();
});

async function runDp(): Promise<JobRecord> {
  const body = { ...jobRequest(t, ['mean']), dp: ASK };
  const r = await t.scientist.client.request<JobRecord>('POST', '/jobs', body);
  return waitForState(t.scientist, r.id, ['done', 'failed', 'rejected'], 60_000);
}

/** The exact means of the job's columns over the three hospitals. */
function exactMeans(): number[] {
  const rows = allRows(t);
  return JOB_COLUMNS.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length);
}

test('DP jobs: noisy means near their intervals; two identical jobs differ; the next one exceeds the budget everywhere', () =>
  within(240_000, 'dp jobs', async () => {
    const exact = exactMeans();
    const a = await runDp();
    assert.is(a.state, 'done', JSON.stringify(a.error));
    const b = await runDp();
    assert.is(b.state, 'done', JSON.stringify(b.error));
    const [ma, mb] = [a.result![0]!, b.result![0]!];
    assert.ok(ma.dp !== undefined && ma.dp.mechanism === 'gaussian' && ma.dp.noiseParties === 2);
    assert.not.equal(ma.values, mb.values);
    exact.forEach((e, j) => {
      assertNearInterval(e, ma.dp!.interval95[j]!, `mean ${JOB_COLUMNS[j]}`);
      assert.ok(ma.values[j] !== e, 'a DP value is not the exact one');
    });
    // what fits: floor(budget rho / job rho) jobs; this test asks one more than fits
    const fits = Math.floor(
      rhoOfEpsilonDelta(BUDGET.epsilon, BUDGET.delta) / rhoOfEpsilonDelta(ASK.epsilon, ASK.delta),
    );
    for (let i = 2; i < fits; i++) assert.is((await runDp()).state, 'done');
    const over = await runDp();
    assert.is(over.state, 'rejected');
    for (const h of t.hospitals) {
      const d = over.approvals[h.peerId];
      assert.ok(d?.reason?.includes('privacy budget exceeded'), `${h.name}: ${JSON.stringify(d)}`);
      assert.ok(d?.reason?.includes('left'));
    }
    const budget = await t.hospitals[0]!.client.request<{ datasets: unknown[] }>('GET', '/budget');
    assert.match(JSON.stringify(budget), t.scientist.peerId);
  }));

test('no exact value in any audit log or daemon output', () => {
  for (const d of [...t.hospitals, t.scientist]) {
    const text = readFileSync(join(d.dataDir, 'audit.log'), 'utf8') + d.output();
    if (d !== t.scientist) assert.match(text, 'dp.spent');
    for (const e of exactMeans()) {
      for (const s of [e.toString(), e.toFixed(6)])
        assert.not.ok(text.includes(s), `${d.name} wrote an exact mean (${s})`);
    }
  }
});

test('the CLI: job run --dp prints each value with its noise and interval; budget show what was spent', () =>
  within(120_000, 'cli', async () => {
    for (const h of t.hospitals)
      await setPolicy(h, { approval: 'auto', budget: { epsilon: 50, delta: 1e-6 } });
    const dd = ['--data-dir', t.scientist.dataDir];
    const bad = await peermpc([
      'job',
      'run',
      '--search',
      'patients',
      '--stats',
      'mean',
      '--dp',
      'epsilon=0',
      ...dd,
    ]);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, 'dp.epsilon');
    const run = await peermpc(
      [
        'job',
        'run',
        '--search',
        'patients',
        '--columns',
        'age,bmi',
        '--stats',
        'count,mean',
        '--dp',
        'epsilon=1,delta=1e-6',
        ...dd,
      ],
      { timeoutMs: 60_000 },
    );
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stdout, 'differentially private: discrete Gaussian noise from 2 parties');
    assert.match(run.stdout, '95% intervals');
    assert.match(run.stdout, 'public row count');
    const h0 = t.hospitals[0]!;
    const described = await peermpc(['dataset', 'show', `${h0.peerId}/${h0.name}`, ...dd]);
    assert.is(described.code, 0, described.stderr);
    assert.match(described.stdout, 'privacy budget');
    assert.match(described.stdout, 'bounds [0, 120]');
    const shown = await peermpc(['budget', 'show', '--data-dir', t.hospitals[0]!.dataDir]);
    assert.is(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, t.scientist.peerId.slice(0, 12));
  }));

test('a hospital killed right after its spend keeps the spend across a restart', () =>
  within(180_000, 'crash after spend', async () => {
    for (const h of t.hospitals)
      await setPolicy(h, { approval: 'auto', budget: { epsilon: 50, delta: 1e-6 } });
    const h = t.hospitals[2]!;
    const ledger = join(h.dataDir, 'jobs', 'budget.jsonl');
    const before = readFileSync(ledger, 'utf8').split('\n').filter(Boolean).length;
    const body = { ...jobRequest(t, ['mean']), dp: ASK };
    const r = await t.scientist.client.request<JobRecord>('POST', '/jobs', body);
    for (let i = 0; i < 2_000; i++) {
      if (readFileSync(ledger, 'utf8').includes(r.id)) break;
      await new Promise((res) => setTimeout(res, 5));
    }
    assert.ok(readFileSync(ledger, 'utf8').includes(r.id), 'the spend was written');
    await h.kill();
    const again = await startDaemonProcess(h.dataDir);
    try {
      const lines = readFileSync(ledger, 'utf8').split('\n').filter(Boolean);
      assert.is(lines.length, before + 1);
      const shown = await again.client.request<unknown>('GET', '/budget');
      assert.match(JSON.stringify(shown), t.scientist.peerId);
    } finally {
      await again.stop();
    }
  }));

test.run();
