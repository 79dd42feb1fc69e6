/**
 * Logistic regression in MPC (`logit`, `logitSummary`, `logitFit`) against a float64 Newton fit of
 * the uncentred design: the public breast cancer data (three owners), synthetic data on several
 * scales, and the refusals (a target that is not 0/1, separable data).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobProtocol } from '../../src/jobs/job/types.js';
import type { Params, Program } from '../../src/jobs/program/types.js';
import { analyzeDisclosure } from '../../src/jobs/disclosure/analyze.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import { normal, rng } from './helpers/data.js';
import { breastCancer, refLogit } from './helpers/logit-reference.js';
import { runSimulated } from './helpers/run-program.js';

const OPS = ['logit', 'logitSummary', 'logitFit'];

function magnitudes(rows: number[][]): number[] {
  return rows[0]!.map((_, j) =>
    Math.ceil(Math.log2(Math.max(...rows.map((r) => Math.abs(r[j]!)), 2 ** -40))),
  );
}

async function fit(tables: number[][][], columns: string[], params: Params, protocol: JobProtocol = 'rep3') {
  const names = tables.map((_, i) => `h${i + 1}`);
  const table = tables.length > 1 ? 'u' : 'h1';
  const program: Program = {
    version: 1,
    inputs: names.map((name) => ({ name, columns })),
    nodes: [
      ...(tables.length > 1 ? [{ id: 'u', op: 'union', args: names }] : []),
      ...OPS.map((op) => ({ id: op, op, args: [table], params })),
    ],
    outputs: OPS.map((op) => ({ name: op, node: op })),
  };
  const mags = magnitudes(tables.flat());
  const { out } = await runSimulated(program, {
    tables,
    protocol,
    magnitudes: Object.fromEntries(names.map((n) => [n, mags])),
  });
  return out;
}

function assertClose(
  out: Awaited<ReturnType<typeof fit>>,
  rows: number[][],
  k: number,
  coefTol: number,
): void {
  const ref = refLogit(
    rows,
    Array.from({ length: k }, (_, i) => i),
    k,
  );
  const sum = out.logitSummary!.values as number[];
  ref.coef.forEach((c, i) => {
    const got = out.logit!.values[i]!;
    // within coefTol of the MLE: the intercept in log-odds, a slope relative to itself or its se
    const scale = Math.max(Math.abs(c), ref.se[i]!, i === 0 ? 1 : 0);
    assert.ok(Math.abs(got - c) <= coefTol * scale, `coef[${i}] ${got} vs ${c}`);
    assert.ok(
      Math.abs(sum[i * 6 + 1]! - ref.se[i]!) <= 5e-3 * ref.se[i]!,
      `se[${i}] ${sum[i * 6 + 1]} vs ${ref.se[i]}`,
    );
    assert.ok(Math.abs(sum[i * 6 + 3]! - ref.p[i]!) < 2e-3, `p[${i}] ${sum[i * 6 + 3]} vs ${ref.p[i]}`);
  });
  const iterations = out.logitFit!.values[0]!;
  assert.ok(iterations >= 3 && iterations <= 25, `iterations ${iterations}`);
  assert.equal(out.logitFit!.values.slice(1), [rows.length, rows.length - k - 1]);
}

test('breast cancer (569 rows, three owners): radius, texture, smoothness -> benign matches the MLE', async () => {
  const rows = (await breastCancer()).map((r) => [r[0]!, r[1]!, r[4]!, r[30]!]);
  const out = await fit(
    [rows.slice(0, 200), rows.slice(200, 400), rows.slice(400)],
    ['radius', 'texture', 'smooth', 'benign'],
    {
      features: ['radius', 'texture', 'smooth'],
      target: 'benign',
    },
  );
  assertClose(out, rows, 3, 1e-3);
  assert.equal(out.logitSummary!.labels![1], ['coef', 'se', 'z', 'p', 'ci_low', 'ci_high']);
});

function synthetic(n: number, scales: number[], seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const x = scales.map(() => normal(r));
    const eta = 0.3 + x.reduce((s, v, j) => s + (j % 2 ? -0.8 : 0.6) * v, 0);
    const y = r() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
    return [...x.map((v, j) => (v + 2) * scales[j]!), y];
  });
}

for (const scale of [1e-4, 1, 1e3, 1e6]) {
  test(`synthetic, features at scale ${scale}: within 1e-3 of the MLE, p within 2e-3`, async () => {
    const rows = synthetic(800, [scale, 1, scale * 100], 11 + Math.round(Math.log10(scale)));
    const out = await fit([rows.slice(0, 400), rows.slice(400)], ['a', 'b', 'c', 'y'], {
      features: ['a', 'b', 'c'],
      target: 'y',
    });
    assertClose(out, rows, 3, 1e-3);
  });
}

test('additive (trusted dealer) gives the same fit', async () => {
  const rows = synthetic(400, [1, 10], 5);
  const out = await fit([rows], ['a', 'b', 'y'], { features: ['a', 'b'], target: 'y' }, 'additive');
  assertClose(out, rows, 2, 1e-3);
});

test('a target that is not 0/1 is refused, nothing released', async () => {
  const rows = synthetic(200, [1, 1], 3).map((r, i) => (i === 17 ? [r[0]!, r[1]!, 2] : r));
  await fit([rows], ['a', 'b', 'y'], { features: ['a', 'b'], target: 'y' }).then(
    () => assert.unreachable('a target of 2 must be refused'),
    (err: Error) => assert.match(err.message, /holds a value other than 0 and 1/),
  );
});

test('separable data (no maximum-likelihood estimate) fails instead of returning a huge coefficient', async () => {
  const r = rng(8);
  const rows = Array.from({ length: 200 }, () => {
    const a = normal(r);
    return [a, normal(r), a > 0 ? 1 : 0];
  });
  await fit([rows], ['a', 'b', 'y'], { features: ['a', 'b'], target: 'y', maxIterations: 12 }).then(
    () => assert.unreachable('separable data must fail'),
    (err: Error) => assert.match(err.message, /did not converge|too close to singular/),
  );
});

test("disclosure: a fit over a union with the requester's rows is row-level for the owner (the filter attack)", () => {
  // the requester's rows steer the sigmoid into a threshold; the score equation then releases the
  // sum of the owner's rows above it (review: one row's age and income recovered, auto-approved)
  const program = (union: boolean): Program => ({
    version: 1,
    inputs: [
      { name: 'd', columns: ['age', 'income', 'y'] },
      { name: 'mine', columns: ['age', 'income', 'y'] },
    ].slice(0, union ? 2 : 1),
    nodes: [
      ...(union ? [{ id: 'u', op: 'union', args: ['d', 'mine'] }] : []),
      {
        id: 'f',
        op: 'logitSummary',
        args: [union ? 'u' : 'd'],
        params: { features: ['age', 'income'], target: 'y' },
      },
    ],
    outputs: [{ name: 'f', node: 'f' }],
  });
  const dep = (union: boolean) =>
    analyzeDisclosure(validateProgram(program(union), { rows: { d: 30, mine: 840 } })).outputs[0]!.deps.get(
      'd',
    )!;
  const spanning = dep(true);
  assert.is(spanning.kind, 'row-level');
  assert.match(JSON.stringify(spanning), /filter of d's rows/);
  assert.equal(dep(false), { kind: 'aggregate', rows: 30, sensitivity: Infinity });
});

test.run();
