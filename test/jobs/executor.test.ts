/**
 * The executor on the MPC engine in one process (simulate): every op against a float64 plaintext
 * reference within the fixed-point bound, on rep3 (and additive, plaintext), outputs reaching the
 * recipient only, and missing nonlinear ops failing before any communication.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OpUnavailableError } from '../../src/jobs/errors.js';
import type { NonlinearOps } from '../../src/jobs/executor/context.js';
import { jobProtocol } from '../../src/jobs/executor/protocol-factory.js';
import { runProgram, type RunProgramResult } from '../../src/jobs/executor/run.js';
import type { JobProtocol } from '../../src/jobs/job/types.js';
import { ProgramBuilder } from '../../src/jobs/program/builder.js';
import { linregLearningRate } from '../../src/jobs/program/ops-stats.js';
import type { Program } from '../../src/jobs/program/types.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import { simulate } from '../../src/protocols/simulate.js';
import type { JobOutputValue } from '../../src/jobs/store.js';
import { corr, cov, covarianceError, linregGd, means, ols, patients } from './helpers/data.js';
import { fakeJob, runSimulated } from './helpers/run-program.js';

const COLS = ['age', 'bmi', 'sbp'];
const TABLES = [patients(120, 1), patients(150, 2), patients(90, 3)];
const ALL = TABLES.flat();

async function run(
  program: Program,
  options: { protocol?: JobProtocol; nonlinear?: NonlinearOps; tables?: number[][][] } = {},
): Promise<{ results: RunProgramResult[]; out: Record<string, JobOutputValue> }> {
  return runSimulated(program, { ...options, tables: options.tables ?? TABLES });
}

function close(
  actual: readonly (number | null)[],
  expected: readonly number[],
  tol: number,
  what: string,
): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    assert.ok(
      a !== null && Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)),
      `${what}[${i}]: got ${a}, expected ${e} (tol ${tol})`,
    );
  });
}

function threeInputs(b: ProgramBuilder): ReturnType<ProgramBuilder['input']>[] {
  return [b.input('h1', COLS), b.input('h2', COLS), b.input('h3', COLS)];
}

test('union: count, sum, mean, variance, covariance match plaintext; only the recipient gets them', async () => {
  const b = new ProgramBuilder();
  const all = b.union(...threeInputs(b));
  b.output('count', b.count(all));
  b.output('sum', b.sum(all));
  b.output('mean', b.mean(all));
  b.output('var', b.variance(all));
  b.output('cov', b.covariance(all));
  b.output('cov0', b.covariance(all, 0));
  const { results, out } = await run(b.build());
  close(out.count!.values, [ALL.length], 0, 'count');
  close(
    out.sum!.values,
    [0, 1, 2].map((j) => ALL.reduce((s, r) => s + r[j]!, 0)),
    1e-5,
    'sum',
  );
  close(out.mean!.values, means(ALL), 1e-4, 'mean');
  const c = cov(ALL);
  close(
    out.var!.values,
    [0, 1, 2].map((i) => c[i]![i]!),
    2e-3,
    'variance',
  );
  assert.ok(covarianceError(out.cov!.values, c) <= 1e-3, 'covariance');
  assert.ok(covarianceError(out.cov0!.values, cov(ALL, 0)) <= 1e-3, 'covariance ddof 0');
  assert.equal(out.mean!.labels, [COLS]);
  assert.equal(out.cov!.shape, [3, 3]);
  results.forEach((r, i) => {
    if (i !== 3) assert.is(r.outputs, undefined, `party ${i} must get nothing`);
  });
});

test('correlation, std and linreg (engine rsqrt) match plaintext', async () => {
  const b = new ProgramBuilder();
  const all = b.union(...threeInputs(b));
  b.output('corr', b.correlation(all));
  b.output('std', b.std(all));
  b.output('fit', b.linreg(all, { features: ['age', 'bmi'], target: 'sbp' }));
  const { out } = await run(b.build());
  close(out.corr!.values, corr(ALL).flat(), 2e-4, 'correlation');
  const c = cov(ALL);
  close(
    out.std!.values,
    [0, 1, 2].map((i) => Math.sqrt(c[i]![i]!)),
    2e-4,
    'std',
  );
  const gd = linregGd(ALL, [0, 1], 2, 100, linregLearningRate(2));
  close(out.fit!.values, gd, 1e-3, 'linreg vs float GD');
  close(out.fit!.values, ols(ALL, [0, 1], 2), 5e-2, 'linreg vs OLS');
});

test('select, join, histogram and engine ops', async () => {
  const b = new ProgramBuilder();
  const h1 = b.input('h1', COLS);
  const left = b.select(h1, ['age']);
  const right = b.select(h1, ['sbp', 'bmi']);
  const j = b.join(left, right);
  b.output('m', b.mean(j));
  b.output('hist', b.histogram(h1, [20, 40, 50, 60, 90], 'age'));
  const scaled = b.scale(b.sub(h1, b.mean(h1)), 0.1);
  b.output('gram', b.matmul(b.transpose(scaled), scaled));
  b.output('relu', b.sum(b.node('relu', [b.sub(h1, b.constant([50, 27, 140], [3]))])));
  b.output('prod', b.mean(b.mul(h1, h1)));
  const { out } = await run(b.build(), { tables: [TABLES[0]!] });
  const t = TABLES[0]!;
  const m = means(t);
  close(out.m!.values, [m[0]!, m[2]!, m[1]!], 1e-4, 'join of selects');
  const hist = [20, 40, 50, 60].map(
    (lo, k) => t.filter((r) => r[0]! >= lo && r[0]! < [40, 50, 60, 90][k]!).length,
  );
  close(out.hist!.values, hist, 0, 'histogram');
  const c = cov(t, 0).map((row) => row.map((v) => v * t.length * 0.01));
  close(out.gram!.values, c.flat(), 2e-3, 'gram');
  const relu = [50, 27, 140].map((c0, j) => t.reduce((s, r) => s + Math.max(0, r[j]! - c0), 0));
  close(out.relu!.values, relu, 1e-4, 'relu');
  close(
    out.prod!.values,
    [0, 1, 2].map((j) => t.reduce((s, r) => s + r[j]! * r[j]!, 0) / t.length),
    1e-4,
    'mul',
  );
});

test('reciprocal, div, exp and sigmoid (engine nonlinear functions) match plaintext', async () => {
  const b = new ProgramBuilder();
  const h1 = b.input('h1', COLS);
  const age = b.select(h1, ['age']);
  b.output('recip', b.sum(b.node('reciprocal', [age])));
  b.output('div', b.sum(b.node('div', [b.select(h1, ['sbp']), age])));
  b.output('exp', b.sum(b.node('exp', [b.scale(age, 0.05)])));
  b.output('sig', b.sum(b.node('sigmoid', [b.scale(b.sub(age, b.constant([50], [1])), 0.1)])));
  const { out } = await run(b.build(), { tables: [TABLES[0]!] });
  const t = TABLES[0]!;
  const sum = (f: (r: number[]) => number) => t.reduce((s, r) => s + f(r), 0);
  close(out.recip!.values, [sum((r) => 1 / r[0]!)], 1e-3, 'sum of 1/age');
  close(out.div!.values, [sum((r) => r[2]! / r[0]!)], 1e-3, 'sum of sbp/age');
  close(out.exp!.values, [sum((r) => Math.exp(r[0]! * 0.05))], 1e-3, 'sum of exp(age/20)');
  close(out.sig!.values, [sum((r) => 1 / (1 + Math.exp(-(r[0]! - 50) * 0.1)))], 1e-3, 'sum of sigmoid');
});

test('additive and plaintext protocols give the same answers', async () => {
  const b = new ProgramBuilder();
  const all = b.union(...threeInputs(b));
  b.output('mean', b.mean(all));
  b.output('cov', b.covariance(all));
  for (const protocol of ['additive', 'plaintext'] as const) {
    const { out } = await run(b.build(), { protocol });
    close(out.mean!.values, means(ALL), 1e-4, `${protocol} mean`);
    assert.ok(covarianceError(out.cov!.values, cov(ALL)) <= 1e-3, `${protocol} cov`);
  }
});

test('an op whose nonlinear function is missing fails before any communication, naming the op', async () => {
  const b = new ProgramBuilder();
  b.output('c', b.correlation(b.union(...threeInputs(b))));
  const checked = validateProgram(b.build(), { rows: { h1: 120, h2: 150, h3: 90 } });
  const job = fakeJob('rep3', TABLES, COLS);
  const outcomes = await simulate(4, async (session) => {
    const before = session.stats.bytesSent;
    try {
      await runProgram({
        protocol: jobProtocol(job, session),
        checked,
        owners: { h1: 0, h2: 1, h3: 2 },
        recipient: 3,
        fractionalBits: 16,
        nonlinear: {},
        values: { [`h${session.self + 1}`]: TABLES[session.self]?.flat() ?? [] },
      });
      return { error: undefined, sent: session.stats.bytesSent - before };
    } catch (err) {
      return { error: err as Error, sent: session.stats.bytesSent - before };
    }
  });
  for (const o of outcomes) {
    assert.instance(o.error, OpUnavailableError);
    assert.match(o.error!.message, /correlation.*rsqrt/);
    assert.is(o.sent, 0);
  }
});

test.run();
