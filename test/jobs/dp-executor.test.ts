/**
 * Differentially private outputs on the MPC engine in one process: every input clipped to its
 * bounds inside the MPC (also a ring value a malicious owner shares near 2^63), noise from the
 * protocol's noise parties, each released value within its 95% interval of the plaintext
 * statistic of the clipped data, two identical jobs giving different values, the row count exact,
 * and the plan refusing what has no DP release.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clipInputs } from '../../src/jobs/executor/dp-release.js';
import { jobInputBounds, planDp } from '../../src/jobs/dp/plan.js';
import { ProgramBuilder } from '../../src/jobs/program/builder.js';
import type { Program } from '../../src/jobs/program/types.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import type { JobOutputValue } from '../../src/jobs/store.js';
import { rep3Protocol } from '../../src/protocols/rep3/index.js';
import { simulate } from '../../src/protocols/simulate.js';
import { RingTensor } from '../../src/tensor/index.js';
import { ols, patients } from './helpers/data.js';
import { assertNearInterval } from './helpers/dp-interval.js';
import { runSimulated } from './helpers/run-program.js';

const COLS = ['age', 'bmi', 'sbp'];
const BOUNDS: [number, number][] = [
  [20, 80],
  [15, 45],
  [90, 200],
];
const TABLES = [patients(120, 1), patients(150, 2), patients(90, 3)];
const clip = (v: number, j: number): number => Math.min(BOUNDS[j]![1], Math.max(BOUNDS[j]![0], v));
const CLIPPED = TABLES.flat().map((r) => r.map(clip));
const N = CLIPPED.length;
const MAG = { h1: [7, 6, 8], h2: [7, 6, 8], h3: [7, 6, 8] };

function program(): Program {
  const b = new ProgramBuilder();
  const all = b.union(b.input('h1', COLS), b.input('h2', COLS), b.input('h3', COLS));
  b.output('count', b.count(all));
  b.output('sum', b.sum(all));
  b.output('mean', b.mean(all));
  b.output('var', b.variance(all));
  b.output('std', b.std(all, 0));
  b.output('hist', b.histogram(all, [20, 40, 60, 80], 'age'));
  return b.build();
}

async function runDp(
  epsilon: number,
  delta?: number,
  protocol: 'rep3' | 'additive' = 'rep3',
): Promise<Record<string, JobOutputValue>> {
  const request = delta === undefined ? { epsilon } : { epsilon, delta };
  const { out } = await runSimulated(program(), {
    tables: TABLES,
    magnitudes: MAG,
    protocol,
    dp: { request, bounds: BOUNDS },
  });
  return out;
}

const col = (j: number): number[] => CLIPPED.map((r) => r[j]!);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const variance = (xs: number[], ddof: number): number => {
  const m = sum(xs) / xs.length;
  return sum(xs.map((x) => (x - m) ** 2)) / (xs.length - ddof);
};

/** The plaintext statistics of the clipped data, by output. */
const TRUTH: Record<string, number[]> = {
  count: [N],
  sum: [0, 1, 2].map((j) => sum(col(j))),
  mean: [0, 1, 2].map((j) => sum(col(j)) / N),
  var: [0, 1, 2].map((j) => variance(col(j), 1)),
  std: [0, 1, 2].map((j) => Math.sqrt(variance(col(j), 0))),
  hist: [20, 40, 60].map((lo) => col(0).filter((a) => a >= lo && a < lo + 20).length),
};

/** Every value near its interval (allowing the fixed-point resolution of the clipped data). */
function assertWithinIntervals(out: Record<string, JobOutputValue>): void {
  for (const [name, truth] of Object.entries(TRUTH)) {
    const o = out[name]!;
    assert.ok(o.dp !== undefined, `${name} carries its DP facts`);
    truth.forEach((t, i) => {
      assertNearInterval(t, o.dp!.interval95[i]!, `${name}[${i}]`, 1e-3 * Math.max(1, Math.abs(t)));
    });
  }
}

test('rep3, gaussian: count exact; sums, means, variances, std and bins near their intervals of the clipped truth', async () => {
  const out = await runDp(4, 1e-6);
  assert.equal(out.count!.values, [N]);
  assert.is(out.count!.dp!.noiseParties, 0);
  assert.is(out.sum!.dp!.noiseParties, 2, 'rep3: two parties draw (one tolerated corruption + 1)');
  assert.is(out.sum!.dp!.mechanism, 'gaussian');
  assertWithinIntervals(out);
  // the budget is split over the five noisy outputs
  const rhos = ['sum', 'mean', 'var', 'std', 'hist'].map((n) => out[n]!.dp!.rho);
  assert.ok(rhos.every((r) => Math.abs(r - rhos[0]!) < 1e-12));
});

test('two identical DP jobs give different values', async () => {
  const [a, b] = [await runDp(2, 1e-6), await runDp(2, 1e-6)];
  assert.not.equal(a.sum!.values, b.sum!.values);
  assert.not.equal(a.hist!.values, b.hist!.values);
});

test('additive, laplace: every compute party draws; values near their intervals', async () => {
  const out = await runDp(8, undefined, 'additive');
  assert.is(out.mean!.dp!.mechanism, 'laplace');
  assert.is(out.mean!.dp!.noiseParties, 3);
  assert.ok(out.mean!.dp!.epsilon! > 0);
  assertWithinIntervals(out);
});

test('clipping inside the MPC: out-of-bounds values, and ring values near 2^63, end within the bounds', async () => {
  const f = 16;
  const b = new ProgramBuilder();
  b.output('s', b.sum(b.input('h1', ['x'])));
  const checked = validateProgram(b.build(), { rows: { h1: 6 } });
  const lo = -5 * 2 ** f;
  const hi = 7 * 2 ** f;
  const raw = [2n ** 63n - 1n, -(2n ** 63n), 3n << 16n, BigInt(lo - 1), BigInt(hi + 1), 2n ** 63n - 3n];
  // near 2^63, x - lo wraps negative: the value reads as below lo (any of lo, hi would be safe)
  const expect = [lo, lo, 3 * 2 ** f, lo, hi, lo].map(BigInt);
  const results = await simulate(3, async (session) => {
    const p = rep3Protocol(session);
    const x = p.fromPublic(
      RingTensor.fromBigInts(
        raw.map((v) => BigInt.asUintN(64, v)),
        [6, 1],
      ),
      'A',
    );
    const values = new Map([['h1', x]]);
    await clipInputs(p, checked, values, { h1: { x: [-5, 7] } }, f);
    return (await p.reveal(values.get('h1')!, [0, 1, 2]))!.toSignedBigInts();
  });
  assert.equal(results[0], expect);
});

test('ols by sufficient statistics: coefficients near the clipped least squares, within their bootstrap intervals', async () => {
  const b = new ProgramBuilder();
  const all = b.union(b.input('h1', COLS), b.input('h2', COLS), b.input('h3', COLS));
  b.output('fit', b.node('ols', [all], { target: 'sbp', features: ['age', 'bmi'] }));
  const { out } = await runSimulated(b.build(), {
    tables: TABLES,
    magnitudes: MAG,
    dp: { request: { epsilon: 50, delta: 1e-6 }, bounds: BOUNDS },
  });
  const fit = out.fit!;
  assert.is(fit.dp!.intervalMethod, 'bootstrap');
  assert.equal(fit.labels, [['intercept', 'age', 'bmi']]);
  const truth = ols(CLIPPED, [0, 1], 2);
  truth.forEach((t, i) => {
    const [lo, hi] = fit.dp!.interval95[i]!;
    const v = fit.values[i]!;
    const half = (hi - lo) / 2;
    assert.ok(Math.abs(v - t) <= 3 * half + 1e-6, `coefficient ${i}: ${v} vs ${t} (interval ${lo}, ${hi})`);
  });
});

test('groupBy counts: noisy counts per level near their intervals of the exact counts', async () => {
  const codes = [1, 2, 3, 2, 2, 3, 1, 2, 3, 3, 3, 2].map((g, i) => [g, i]);
  const tables = [codes.slice(0, 6), codes.slice(6)];
  const b = new ProgramBuilder();
  const all = b.union(b.input('h1', ['g', 'i']), b.input('h2', ['g', 'i']));
  b.output('n', b.node('groupBy', [all], { by: 'g', levels: [1, 2, 3], agg: 'count' }));
  const { out } = await runSimulated(b.build(), {
    tables,
    magnitudes: { h1: [2, 4], h2: [2, 4] },
    dp: {
      request: { epsilon: 20, delta: 1e-6 },
      bounds: [
        [1, 3],
        [0, 15],
      ],
    },
  });
  const truth = [1, 2, 3].map((g) => codes.filter((r) => r[0] === g).length);
  assert.is(out.n!.dp!.noiseParties, 2);
  truth.forEach((t, i) => {
    assertNearInterval(t, out.n!.dp!.interval95[i]!, `level ${i + 1}`);
  });
});

test('the plan refuses what has no DP release, naming the output', () => {
  const b = new ProgramBuilder();
  const h = b.input('h1', COLS);
  b.output('fit', b.node('ols', [h], { target: 'sbp', features: ['age'], ridge: 1 }));
  b.output('hist', b.node('histogram', [h], { column: 'age', edges: [20, 50, 80], minCount: 5 }));
  b.output('q', b.node('quantile', [h], { column: 'age', q: [0.5], minCount: 5 }));
  const checked = validateProgram(b.build(), { rows: { h1: 100 }, magnitudes: { h1: [7, 6, 8] } });
  const plan = planDp(checked, jobInputBounds([{ name: 'h1', columns: COLS, bounds: BOUNDS }]), 16);
  assert.ok(!plan.ok);
  const reasons = plan.ok ? [] : plan.reasons;
  assert.ok(
    reasons.some((r) => r.startsWith('output fit (ols): ridge has no DP release')),
    reasons.join('\n'),
  );
  assert.ok(reasons.some((r) => r.includes('minCount')));
  assert.ok(reasons.some((r) => r.startsWith('output q')));
  const b2 = new ProgramBuilder();
  b2.output('m', b2.mean(b2.input('h1', COLS)));
  const c2 = validateProgram(b2.build(), { rows: { h1: 100 }, magnitudes: { h1: [7, 6, 8] } });
  const missing = planDp(
    c2,
    jobInputBounds([{ name: 'h1', columns: COLS, bounds: [BOUNDS[0]!, null, BOUNDS[2]!] }]),
    16,
  );
  assert.ok(!missing.ok && missing.reasons[0]!.includes('column bmi of input h1 declares no bounds'));
});

test('the plan refuses bounds narrower than one encoding unit (no sensitivity to calibrate to)', () => {
  const b = new ProgramBuilder();
  b.output('s', b.sum(b.input('h1', ['age'])));
  const checked = validateProgram(b.build(), { rows: { h1: 10 }, magnitudes: { h1: [7] } });
  const plan = planDp(
    checked,
    jobInputBounds([{ name: 'h1', columns: ['age'], bounds: [[100, 100.000001]] }]),
    16,
  );
  assert.ok(!plan.ok && plan.reasons[0]!.includes('narrower than the resolution'));
});

test('a union of an input with itself doubles the sensitivity (a row counts twice)', () => {
  const b = new ProgramBuilder();
  const h = b.input('h1', ['age']);
  b.output('s', b.sum(b.union(h, h)));
  b.output('s1', b.sum(h));
  const checked = validateProgram(b.build(), { rows: { h1: 10 }, magnitudes: { h1: [7] } });
  const plan = planDp(checked, jobInputBounds([{ name: 'h1', columns: ['age'], bounds: [[0, 100]] }]), 16);
  assert.ok(plan.ok);
  if (plan.ok) assert.is(plan.outputs[0]!.ringSensitivity[0], 2 * plan.outputs[1]!.ringSensitivity[0]!);
});

test.run();
