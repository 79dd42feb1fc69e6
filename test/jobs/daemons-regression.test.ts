/**
 * Regression end to end with real daemons in separate processes on 127.0.0.1: the public diabetes
 * data split across three hospitals, `job run --ols` from the CLI (summary table printed, every
 * field in --json, matching float64), `--logit`, and a policy that allows the coefficients but not
 * the summary.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../src/polyfills.js';
import { cleanupAll, peermpc } from '../../scripts/demo-network.js';
import { setPolicy, startJobsNetwork, within, type JobsTestNetwork } from './helpers/daemons.js';
import { diabetes, refOls } from './helpers/ols-reference.js';
import { refLogit } from './helpers/logit-reference.js';

let t: JobsTestNetwork;
let columns: string[];
let rows: number[][];

test.before(async () => {
  t = await within(120_000, 'starting the network', startJobsNetwork);
  ({ columns, rows } = await diabetes());
  // a 0/1 outcome for the logistic model: progression above the median
  const cut = [...rows.map((r) => r[10]!)].sort((a, b) => a - b)[rows.length / 2]!;
  const parts = [rows.slice(0, 150), rows.slice(150, 300), rows.slice(300)];
  for (const [i, h] of t.hospitals.entries()) {
    const csv = join(t.net.root, `${h.name}-diabetes.csv`);
    const lines = parts[i]!.map((r) => [...r, r[10]! > cut ? 1 : 0].join(','));
    writeFileSync(csv, [[...columns, 'high'].join(','), ...lines].join('\n'));
    await h.client.addDataset({ csvPath: csv, name: 'diabetes' });
    await setPolicy({ ...h, name: 'diabetes' }, { approval: 'auto' });
  }
});

test.after(async () => {
  await t?.net.stop();
  await cleanupAll();
});

function datasets(): string[] {
  return t.hospitals.flatMap((h) => ['--dataset', `${h.peerId}/diabetes`]);
}

interface Out {
  name: string;
  shape: number[];
  values: number[];
  labels?: string[][];
}

test('--ols across three owners: the summary table and fit match float64; the table prints by term', () =>
  within(120_000, 'ols', async () => {
    const dd = ['--data-dir', t.scientist.dataDir];
    const features = columns.slice(0, 10);
    const run = await peermpc(
      ['job', 'run', ...datasets(), '--ols', `y~${features.join(',')}`, '--json', ...dd],
      {
        timeoutMs: 90_000,
      },
    );
    assert.is(run.code, 0, run.stderr);
    const res = JSON.parse(run.stdout) as { state: string; result: Out[] };
    assert.is(res.state, 'done');
    const ols = res.result.find((o) => o.name === 'ols')!;
    const fit = res.result.find((o) => o.name === 'ols_fit')!;
    const ref = refOls(rows, [...features.keys()], 10);
    assert.equal(ols.shape, [11, 6]);
    ref.coef.forEach((c, i) => {
      assert.ok(
        Math.abs(ols.values[i * 6]! - c) < 2e-2 * ref.se[i]!,
        `coef ${i}: ${ols.values[i * 6]} vs ${c}`,
      );
      assert.ok(Math.abs(ols.values[i * 6 + 3]! - ref.p[i]!) < 5e-3, `p ${i}`);
    });
    assert.ok(Math.abs(fit.values[0]! - ref.r2) < 1e-4, `r2 ${fit.values[0]} vs ${ref.r2}`);

    const human = await peermpc(['job', 'run', ...datasets(), '--ols', 'y~bmi,bp,s5', ...dd], {
      timeoutMs: 90_000,
    });
    assert.is(human.code, 0, human.stderr);
    assert.match(human.stdout, /coef\s+se\s+t\s+p\s+ci_low\s+ci_high/);
    assert.match(human.stdout, /intercept\s+-?[0-9]/);
    assert.match(human.stdout, /adj_r2/);
  }));

test('--logit: logistic regression of a 0/1 outcome matches the maximum-likelihood fit', () =>
  within(120_000, 'logit', async () => {
    const dd = ['--data-dir', t.scientist.dataDir];
    const run = await peermpc(['job', 'run', ...datasets(), '--logit', 'high~bmi,bp,s5', '--json', ...dd], {
      timeoutMs: 90_000,
    });
    assert.is(run.code, 0, run.stderr);
    const res = JSON.parse(run.stdout) as { result: Out[] };
    const logit = res.result.find((o) => o.name === 'logit')!;
    const cut = [...rows.map((r) => r[10]!)].sort((a, b) => a - b)[rows.length / 2]!;
    const data = rows.map((r) => [r[2]!, r[3]!, r[8]!, r[10]! > cut ? 1 : 0]);
    const ref = refLogit(data, [0, 1, 2], 3);
    ref.coef.forEach((c, i) =>
      assert.ok(
        Math.abs(logit.values[i * 6]! - c) <= 1e-3 * Math.max(Math.abs(c), ref.se[i]!, i === 0 ? 1 : 0),
        `coef ${i}: ${logit.values[i * 6]} vs ${c}`,
      ),
    );
    const iterations = res.result.find((o) => o.name === 'logit_fit')!.values[0]!;
    assert.ok(iterations >= 3 && iterations <= 25);
  }));

test('a policy can allow the coefficients and forbid the summary', () =>
  within(120_000, 'policy', async () => {
    for (const h of t.hospitals)
      await setPolicy({ ...h, name: 'diabetes' }, { approval: 'auto', outputs: ['ols'] });
    const dd = ['--data-dir', t.scientist.dataDir];
    try {
      const refused = await peermpc(['job', 'run', ...datasets(), '--ols', 'y~bmi,bp', '--json', ...dd], {
        timeoutMs: 90_000,
      });
      assert.is.not(refused.code, 0);
      assert.match(refused.stdout + refused.stderr, /olsSummary|olsFit/);
    } finally {
      for (const h of t.hospitals) await setPolicy({ ...h, name: 'diabetes' }, { approval: 'auto' });
    }
  }));

test.run();
