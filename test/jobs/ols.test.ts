/**
 * Exact least squares in MPC (`ols`, `olsSummary`, `olsFit`) against float64 (an independent
 * Gauss-Jordan solve of the uncentred normal equations): the public diabetes data split across
 * three owners, synthetic well-conditioned problems on every scale, ridge, and the refusals (too
 * collinear, an exact fit, a finished result used as an argument).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobProtocol } from '../../src/jobs/job/types.js';
import type { Params, Program } from '../../src/jobs/program/types.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import { normal, rng } from './helpers/data.js';
import { diabetes, refOls, type OlsReference } from './helpers/ols-reference.js';
import { runSimulated } from './helpers/run-program.js';

/** The smallest e with max |x| <= 2^e, per column. */
function magnitudes(rows: number[][]): number[] {
  return rows[0]!.map((_, j) =>
    Math.ceil(Math.log2(Math.max(...rows.map((r) => Math.abs(r[j]!)), 2 ** -40))),
  );
}

function program(columns: string[], inputs: number, params: Params, ops: string[]): Program {
  const names = Array.from({ length: inputs }, (_, i) => `h${i + 1}`);
  const table = inputs > 1 ? 'u' : 'h1';
  return {
    version: 1,
    inputs: names.map((name) => ({ name, columns })),
    nodes: [
      ...(inputs > 1 ? [{ id: 'u', op: 'union', args: names }] : []),
      ...ops.map((op) => ({ id: op, op, args: [table], params })),
    ],
    outputs: ops.map((op) => ({ name: op, node: op })),
  };
}

async function fit(
  tables: number[][][],
  columns: string[],
  params: Params,
  ops = ['ols', 'olsSummary', 'olsFit'],
  protocol: JobProtocol = 'rep3',
) {
  const mags = magnitudes(tables.flat());
  const { out } = await runSimulated(program(columns, tables.length, params, ops), {
    tables,
    protocol,
    magnitudes: Object.fromEntries(tables.map((_, i) => [`h${i + 1}`, mags])),
  });
  return out;
}

const rel = (got: number, want: number, scale = Math.abs(want)): number => Math.abs(got - want) / scale;

/** Worst relative errors of an MPC summary against the reference. */
function compare(out: Awaited<ReturnType<typeof fit>>, ref: OlsReference) {
  const k = ref.coef.length;
  const sum = out.olsSummary!.values as number[];
  const row = (i: number) => sum.slice(i * 6, i * 6 + 6);
  const seScale = (i: number) => ref.se[i]!;
  const w = { coef: 0, olsCoef: 0, se: 0, p: 0, t: 0, r2: 0, rse: 0, vif: 0 };
  for (let i = 0; i < k; i++) {
    // coefficient error relative to its standard error (what a reader compares it with) and to itself
    w.coef = Math.max(w.coef, rel(row(i)[0]!, ref.coef[i]!, seScale(i)));
    w.olsCoef = Math.max(w.olsCoef, rel(out.ols!.values[i]!, ref.coef[i]!, seScale(i)));
    w.se = Math.max(w.se, rel(row(i)[1]!, ref.se[i]!));
    w.t = Math.max(w.t, Math.abs(row(i)[2]! - ref.t[i]!));
    w.p = Math.max(w.p, Math.abs(row(i)[3]! - ref.p[i]!));
  }
  const fitv = out.olsFit!.values as number[];
  w.r2 = Math.abs(fitv[0]! - ref.r2);
  w.rse = rel(fitv[2]!, ref.rse);
  ref.vif.forEach((v, j) => (w.vif = Math.max(w.vif, rel(fitv[7 + j]!, v))));
  return w;
}

test('diabetes (442 rows, 10 collinear features, three owners): ols, summary and fit match float64', async () => {
  const { columns, rows } = await diabetes();
  const tables = [rows.slice(0, 150), rows.slice(150, 300), rows.slice(300)];
  const features = columns.slice(0, 10);
  const out = await fit(tables, columns, { features, target: 'y' });
  const ref = refOls(rows, [...features.keys()], 10);
  const w = compare(out, ref);
  // VIFs up to 59 (s1, s2): the correlation matrix's rounding (about 2^-16) is amplified by them,
  // so coefficients are within 2e-2 of their standard error, p-values within 5e-3
  assert.ok(w.coef < 2e-2 && w.olsCoef < 2e-2, `coefficients off by ${w.coef}, ${w.olsCoef} standard errors`);
  assert.ok(w.se < 2e-3, `se ${w.se}`);
  assert.ok(w.p < 5e-3, `p ${w.p}`);
  assert.ok(w.r2 < 1e-4 && w.rse < 1e-3 && w.vif < 5e-3, JSON.stringify(w));
  assert.equal(out.olsSummary!.shape, [11, 6]);
  assert.equal(out.olsSummary!.labels, [
    ['intercept', ...features],
    ['coef', 'se', 't', 'p', 'ci_low', 'ci_high'],
  ]);
  const fitv = out.olsFit!.values as number[];
  assert.equal(fitv.slice(5, 7), [442, 431]);
  assert.ok(Math.abs(fitv[1]! - ref.adjR2) < 1e-4 && Math.abs(fitv[3]! - ref.f) / ref.f < 1e-3);
  assert.equal(
    out.olsFit!.labels![0]!.slice(7),
    features.map((f) => `vif_${f}`),
  );
});

/** y = 3 + sum_j (j + 1) x_j / scale_j * scale_y + noise, features independent: VIFs near 1. */
function synthetic(n: number, scales: number[], seed: number): number[][] {
  const r = rng(seed);
  const k = scales.length - 1;
  return Array.from({ length: n }, () => {
    const x = Array.from({ length: k }, () => 1 + normal(r));
    const y = 3 + x.reduce((s, v, j) => s + (j % 2 ? -1 : 1) * (j + 1) * 0.3 * v, 0) + 0.5 * normal(r);
    return [...x.map((v, j) => v * scales[j]!), y * scales[k]!];
  });
}

for (const scale of [1e-4, 1, 1e3, 1e6, 1e9]) {
  test(`well-conditioned problems at scale ${scale}: coefficients within 1e-4 relative, p within 1e-3`, async () => {
    // the features at `scale`, the target at another scale, so that units mix
    const scales = [scale, scale * 10, 1, scale];
    const rows = synthetic(600, scales, Math.round(Math.log10(scale) + 20));
    const columns = ['a', 'b', 'c', 'y'];
    const out = await fit([rows.slice(0, 300), rows.slice(300)], columns, {
      features: ['a', 'b', 'c'],
      target: 'y',
    });
    const ref = refOls(rows, [0, 1, 2], 3);
    ref.coef.forEach((c, i) =>
      assert.ok(rel(out.ols!.values[i]!, c) < 1e-4, `coef[${i}] ${out.ols!.values[i]} vs ${c}`),
    );
    const w = compare(out, ref);
    assert.ok(w.p < 1e-3 && w.se < 1e-3 && w.r2 < 1e-4, JSON.stringify(w));
  });
}

test('additive (trusted dealer) gives the same fit', async () => {
  const rows = synthetic(300, [1, 1, 1, 100], 7);
  const out = await fit(
    [rows],
    ['a', 'b', 'c', 'y'],
    { features: ['a', 'b', 'c'], target: 'y' },
    ['ols'],
    'additive',
  );
  const ref = refOls(rows, [0, 1, 2], 3);
  ref.coef.forEach((c, i) => assert.ok(rel(out.ols!.values[i]!, c) < 1e-4, `coef[${i}]`));
});

test('ridge: the standardized penalty, against a float64 ridge solve', async () => {
  const rows = synthetic(400, [1, 2, 3, 10], 3);
  const lambda = 0.5;
  const out = await fit(
    [rows],
    ['a', 'b', 'c', 'y'],
    { features: ['a', 'b', 'c'], target: 'y', ridge: lambda },
    ['ols'],
  );
  // reference: (C_xx + lambda I) w = c_xy on the correlation matrix, mapped back to units
  const n = rows.length;
  const mean = [0, 1, 2, 3].map((j) => rows.reduce((s, r) => s + r[j]!, 0) / n);
  const sd = [0, 1, 2, 3].map((j) =>
    Math.sqrt(rows.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / (n - 1)),
  );
  const corr = (i: number, j: number) =>
    rows.reduce((s, r) => s + (r[i]! - mean[i]!) * (r[j]! - mean[j]!), 0) / (n - 1) / sd[i]! / sd[j]!;
  const g = [0, 1, 2].map((i) => [0, 1, 2].map((j) => corr(i, j) + (i === j ? lambda : 0)));
  const { invert } = await import('./helpers/ols-reference.js');
  const inv = invert(g);
  const wz = inv.map((row) => row.reduce((s, v, j) => s + v * corr(j, 3), 0));
  const beta = wz.map((v, j) => (v * sd[3]!) / sd[j]!);
  const intercept = mean[3]! - beta.reduce((s, b, j) => s + b * mean[j]!, 0);
  [intercept, ...beta].forEach((c, i) =>
    assert.ok(rel(out.ols!.values[i]!, c) < 1e-4, `ridge coef[${i}] ${out.ols!.values[i]} vs ${c}`),
  );
});

test('too collinear for fixed point: the job fails with the reason, nothing is released', async () => {
  const r = rng(5);
  const rows = Array.from({ length: 200 }, () => {
    const a = normal(r);
    return [a, a + 1e-3 * normal(r), normal(r), a + normal(r)];
  });
  await fit([rows], ['a', 'b', 'c', 'y'], { features: ['a', 'b', 'c'], target: 'y' }, ['ols']).then(
    () => assert.unreachable('an ill-conditioned solve must fail'),
    (err: Error) => assert.match(err.message, /too collinear to solve in fixed point/),
  );
});

test('an exact fit is refused by the summary (standard errors of ~0 would be imprecise)', async () => {
  const r = rng(9);
  const rows = Array.from({ length: 100 }, () => {
    const a = normal(r);
    const b = normal(r);
    return [a, b, 2 * a - b + 1];
  });
  const out = await fit([rows], ['a', 'b', 'y'], { features: ['a', 'b'], target: 'y' }, ['ols']);
  assert.ok(rel(out.ols!.values[1]!, 2) < 1e-4);
  await fit([rows], ['a', 'b', 'y'], { features: ['a', 'b'], target: 'y' }, ['olsSummary']).then(
    () => assert.unreachable('the summary of an exact fit must fail'),
    (err: Error) => assert.match(err.message, /too close to exact/),
  );
});

test('validation: a finished result is no argument; too few rows; a target among the features', () => {
  const base = program(['a', 'y'], 1, { features: ['a'], target: 'y' }, ['olsSummary']);
  base.nodes.push({ id: 'x', op: 'scale', args: ['olsSummary'], params: { factor: 2 } });
  base.outputs = [{ name: 'x', node: 'x' }];
  assert.throws(() => validateProgram(base, { rows: { h1: 10 } }), /finished by the recipient/);
  assert.throws(
    () =>
      validateProgram(program(['a', 'y'], 1, { features: ['a'], target: 'y' }, ['olsSummary']), {
        rows: { h1: 2 },
      }),
    /needs at least 3 rows/,
  );
  assert.throws(
    () =>
      validateProgram(program(['a', 'y'], 1, { features: ['a', 'y'], target: 'y' }, ['ols']), {
        rows: { h1: 9 },
      }),
    /also a feature/,
  );
  assert.throws(
    () =>
      validateProgram(program(['a', 'y'], 1, { features: ['a'], target: 'y', ridge: 1 }, ['olsSummary']), {
        rows: { h1: 9 },
      }),
    /ridge/,
  );
});

test.run();
