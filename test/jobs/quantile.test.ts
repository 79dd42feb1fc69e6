/**
 * The quantile op, on rep3 and additive, against a plaintext reference that implements its
 * definition literally: the smallest grid point g_m = -2^(6+f) + m units (m = 1..2^(7+f)) of the
 * column as held (scaled to its magnitude bound, fixed point) with count(x <= g_m) >= r, r the
 * smallest rank with r / n >= q (type 1, inverted CDF). Results must equal it exactly, and
 * numpy's 'inverted_cdf' (as numpy computes it) within one grid step, 2^-22 of the column's bound.
 * Columns scaled by 1e-4, 1, 1e3 and 1e6; even and odd n; ties; q near 0 and 1; unions of several
 * owners; suppression by minCount (the attacks a requester could try: the minimum, the maximum, a
 * union with its own crafted rows); validation errors; the CLI's --quantiles.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import weald from 'weald';
import { buildRequest, quantilesValue } from '../../src/cli/commands/job-run.js';
import { analyzeDisclosure } from '../../src/jobs/disclosure/analyze.js';
import { rowsBehind } from '../../src/jobs/disclosure/types.js';
import { ImpossibleResultError, ProgramValidationError } from '../../src/jobs/errors.js';
import { checkOutputs } from '../../src/jobs/executor/output-checks.js';
import type { JobProtocol } from '../../src/jobs/job/types.js';
import { verifySignedJob } from '../../src/jobs/job/verify.js';
import { evaluatePolicies, type PolicyContext } from '../../src/jobs/policy/check.js';
import { parsePolicy } from '../../src/jobs/policy/types.js';
import { quantileRank } from '../../src/jobs/program/ops-quantile.js';
import { shorthandProgram } from '../../src/jobs/program/shorthand.js';
import type { Params, Program } from '../../src/jobs/program/types.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import type { SignedDatasetDescription } from '../../src/node/types.js';
import { runCli } from '../cli-helpers.js';
import { normal, rng } from './helpers/data.js';
import { COLUMNS, demoJob, identity } from './helpers/keys.js';
import {
  F,
  magnitude,
  numpyInvertedCdf,
  numpyRank,
  program,
  rankOf,
  reference,
} from './helpers/quantile-reference.js';
import { runSimulated } from './helpers/run-program.js';

const PROTOCOLS: JobProtocol[] = ['rep3', 'additive'];
const LEVELS = [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999];

interface Case {
  /** Tables by input index (row-major). */
  tables: number[][][];
  columns: string[];
  /** Input indices of the union (one: that input alone). */
  union: number[];
  /** Quantile params by node id. */
  cases: Record<string, Params>;
}

/** Runs a case on both protocols; checks every output against the reference; returns rep3's. */
async function check({ tables, columns, union, cases }: Case): Promise<Record<string, (number | null)[]>> {
  const pooled = union.flatMap((i) => tables[i]!);
  const mags = columns.map((_, j) => magnitude(pooled.map((r) => r[j]!)));
  const names = [...new Set(union)].sort();
  const got: Record<string, (number | null)[]> = {};
  for (const protocol of PROTOCOLS) {
    const { out, results, recipient } = await runSimulated(program(columns, union, cases), {
      tables: names.map((i) => tables[i]!),
      protocol,
      magnitudes: Object.fromEntries(names.map((i) => [`h${i + 1}`, mags])),
    });
    for (const [id, params] of Object.entries(cases)) {
      const j = columns.indexOf(params.column as string);
      const bySource = names.map((s) =>
        union.filter((i) => i === s).flatMap((i) => tables[i]!.map((r) => r[j]!)),
      );
      const qs = params.q as number[];
      const want = reference(bySource, qs, mags[j]!, (params.minCount as number | undefined) ?? 0);
      assert.equal(out[id]!.values, want, `${protocol} ${id}`);
      assert.equal(out[id]!.labels, [qs.map((q) => `q${q}`)]);
      if (protocol === 'rep3') got[id] = out[id]!.values;
    }
    results.forEach((r, i) => {
      if (i !== recipient) assert.is(r.outputs, undefined, `${protocol}: party ${i} must get nothing`);
    });
  }
  return got;
}

/** One column per scale: values near scale * (2 + N(0, 1)), rounded to 6 significant digits. */
function scaledTable(n: number, scales: readonly number[], seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => scales.map((s) => Number((s * (2 + normal(r))).toPrecision(6))));
}

const SCALES = [1e-4, 1, 1e3, 1e6];
const SCALED_COLUMNS = ['tiny', 'unit', 'thousands', 'millions'];

for (const n of [41, 40]) {
  test(`n = ${n}: exact against the definition and within a grid step of numpy, columns scaled by 1e-4, 1, 1e3, 1e6`, async () => {
    const table = scaledTable(n, SCALES, n);
    const cases = Object.fromEntries(SCALED_COLUMNS.map((c) => [c, { column: c, q: LEVELS }]));
    const got = await check({ tables: [table], columns: SCALED_COLUMNS, union: [0], cases });
    SCALED_COLUMNS.forEach((c, j) => {
      const values = table.map((r) => r[j]!);
      const step = 2 ** (magnitude(values) - 22);
      LEVELS.forEach((q, i) => {
        assert.is(numpyRank(n, q), rankOf(q, n), `numpy's float rank agrees for ${q}`);
        const e = Math.abs(got[c]![i]! - numpyInvertedCdf(values, q));
        assert.ok(e <= step, `${c} q${q}: ${e} > one grid step ${step}`);
      });
      // q = 0.5: the middle value for odd n, the lower of the two middle values for even n
      const sorted = [...values].sort((a, b) => a - b);
      const median = got[c]![LEVELS.indexOf(0.5)]!;
      assert.ok(Math.abs(median - sorted[Math.ceil(n / 2) - 1]!) <= step, `${c} median`);
    });
  });
}

test('ties, all-equal columns, q near 0 and 1 (the minimum and the maximum), the grid edges ±2^e', async () => {
  const ties = [1, 1, 1, 2, 2, 3, 3, 3, 3, 7]; // n = 10: rank 3 is a 1, rank 4 a 2
  const same = new Array<number>(10).fill(-2.5);
  const edges = [-8, -8, 1, 2, 3, 8, 8, 4, 5, 6]; // |x| <= 2^3 with both bounds reached
  const table = ties.map((t, i) => [t, same[i]!, edges[i]!]);
  const q = [1e-6, 0.3, 0.31, 0.4, 0.5, 0.6, 0.999999];
  const got = await check({
    tables: [table],
    columns: ['ties', 'same', 'edges'],
    union: [0],
    cases: {
      ties: { column: 'ties', q },
      same: { column: 'same', q },
      edges: { column: 'edges', q: [0.1, 0.2, 0.5, 0.95] },
    },
  });
  assert.equal(got.ties, [1, 1, 2, 2, 2, 3, 7]);
  assert.equal(
    got.same,
    q.map(() => -2.5),
  );
  // -8 = -2^3 lies below the grid (-2^3, 2^3]: released one step (2^(3-22)) above; +8 exactly
  assert.equal(got.edges, [-8 + 2 ** -19, -8 + 2 ** -19, 3, 8]);
});

test('several owners (a union of three, and one repeated) with and without minCount', async () => {
  const r = rng(3);
  const draw = (n: number, mean: number): number[][] =>
    Array.from({ length: n }, () => [Math.round((mean + 15 * normal(r)) * 100) / 100, r()]);
  const tables = [draw(30, 50), draw(25, 53), draw(14, 48)];
  const q = [0.05, 0.25, 0.5, 0.75, 0.95];
  const got = await check({
    tables,
    columns: ['age', 'w'],
    union: [0, 1, 2],
    cases: {
      plain: { column: 'age', q },
      k3: { column: 'age', q, minCount: 3 },
      k6: { column: 'age', q, minCount: 6 },
    },
  });
  assert.equal([got.k3![0], got.k3![4]], [null, null], 'the 4th smallest and largest of 69 rows');
  assert.ok(got.k3![2] !== null, 'the median is released');
  await check({
    tables,
    columns: ['age', 'w'],
    union: [0, 1, 0],
    cases: { k4: { column: 'age', q, minCount: 4 } },
  });
});

/** A victim's table: `n` rows of [income]. */
function victim(n: number): number[][] {
  const r = rng(99);
  return Array.from({ length: n }, () => [Math.round(30_000 + 50_000 * r())]);
}

test("attack: the minimum and the maximum of an owner's table come back suppressed with minCount", async () => {
  const v = victim(40);
  const got = await check({
    tables: [v],
    columns: ['income'],
    union: [0],
    cases: { q: { column: 'income', q: [1 / 40, 0.5, 1 - 1 / 80], minCount: 5 } },
  });
  assert.is(got.q![0], null, 'the minimum');
  assert.is(got.q![2], null, 'the maximum');
  assert.ok(got.q![1] !== null, 'the median is released');
});

test("attack: a union with the requester's own rows crafted to isolate the owner's smallest row", async () => {
  const v = victim(40);
  // 5 rows below every income and 60 above: rank 6 is the victim's smallest income
  const crafted = [...new Array<number>(5).fill(-1e5), ...new Array<number>(60).fill(1e5)].map((x) => [x]);
  const q = [6 / 105, 7 / 105, 0.5];
  const got = await check({
    tables: [v, crafted],
    columns: ['income'],
    union: [0, 1],
    cases: { plain: { column: 'income', q }, k5: { column: 'income', q, minCount: 5 } },
  });
  assert.is(got.plain![0], Math.min(...v.map((x) => x[0]!)), 'without minCount the row comes out');
  assert.equal(
    got.k5,
    [null, null, null],
    "every level lacks 5 of the owner's rows below, or the requester's above",
  );
  // without minCount the analysis calls it row-level for both inputs; with it, 5 rows each side
  const checked = validateProgram(program(['income'], [0, 1], { plain: { column: 'income', q } }), {
    rows: { h1: 40, h2: 65 },
    magnitudes: { h1: [17], h2: [17] },
  });
  const dep = analyzeDisclosure(checked).outputs[0]!.deps.get('h1')!;
  assert.is(dep.kind, 'row-level');
  const safe = validateProgram(program(['income'], [0, 1], { k: { column: 'income', q, minCount: 5 } }), {
    rows: { h1: 40, h2: 65 },
    magnitudes: { h1: [17], h2: [17] },
  });
  assert.is(rowsBehind(analyzeDisclosure(safe).outputs[0]!.deps.get('h1')!), 5);
  const twice = validateProgram(program(['income'], [0, 0], { k: { column: 'income', q, minCount: 5 } }), {
    rows: { h1: 40 },
    magnitudes: { h1: [17] },
  });
  assert.is(analyzeDisclosure(twice).outputs[0]!.deps.get('h1')!.kind, 'row-level', 'a repeated source');
});

test('a quantile without minCount feeds engine ops in natural units (an interquartile range)', async () => {
  const v = victim(50);
  const prog: Program = {
    version: 1,
    inputs: [{ name: 'h1', columns: ['income'] }],
    nodes: [
      { id: 'q1', op: 'quantile', args: ['h1'], params: { column: 'income', q: [0.25] } },
      { id: 'q3', op: 'quantile', args: ['h1'], params: { column: 'income', q: [0.75] } },
      { id: 'iqr', op: 'sub', args: ['q3', 'q1'] },
    ],
    outputs: [{ name: 'iqr', node: 'iqr' }],
  };
  const { out } = await runSimulated(prog, { tables: [v], magnitudes: { h1: [17] } });
  const [q1, q3] = reference([v.map((r) => r[0]!)], [0.25, 0.75], 17) as number[];
  assert.equal(out.iqr!.values, [q3! - q1!]);
});

test('validation: levels, column, minCount against the rows, a magnitude, and where a quantile may go', () => {
  const problem = (params: Params, rows = 20, magnitudes: boolean = true): string => {
    const prog = program(['age', 'w'], [0], { q: params });
    try {
      validateProgram(prog, { rows: { h1: rows }, ...(magnitudes ? { magnitudes: { h1: [7, 7] } } : {}) });
    } catch (err) {
      assert.instance(err, ProgramValidationError);
      return (err as Error).message;
    }
    throw new Error(`${JSON.stringify(params)} validated`);
  };
  const age = (q: unknown, more: Params = {}): Params => ({ column: 'age', q: q as number[], ...more });
  assert.match(problem(age([0.5, 0])), 'node "q": quantile: param "q": 0 is not strictly between 0 and 1');
  assert.match(problem(age([1])), 'param "q": 1 is not strictly between 0 and 1');
  assert.match(problem(age([-0.5])), 'param "q": -0.5 is not strictly between 0 and 1');
  assert.match(problem(age([1.5])), 'param "q": 1.5 is not strictly between 0 and 1');
  assert.match(problem(age([])), 'param "q" must be a non-empty array of finite numbers');
  assert.match(problem(age(['0.5'])), 'param "q" must be a non-empty array of finite numbers');
  assert.match(problem(age([0.5, 0.5])), 'param "q" repeats 0.5');
  assert.match(problem(age(Array.from({ length: 17 }, (_, i) => (i + 1) / 20))), 'more than 16 entries');
  assert.match(
    problem({ column: 'salary', q: [0.5] }),
    'quantile: column "salary" is not in the table (has age, w)',
  );
  assert.match(problem({ q: [0.5] }), 'quantile: param "column" is required');
  assert.match(problem(age([0.5], { minCount: 11 })), 'minCount 11 needs at least 22 rows of each input');
  assert.match(
    problem(age([0.5], { minCount: -1 })),
    'param "minCount" must be a finite number in [0, 1000000000]',
  );
  assert.match(problem(age([0.5], { bins: 3 })), 'unknown param "bins"');
  assert.match(problem(age([0.5]), 0), 'quantile: needs at least one row');
  assert.match(problem(age([0.5]), 20, false), 'quantile: column "age" has no magnitude bound');
  const fed: Program = {
    version: 1,
    inputs: [{ name: 'h1', columns: ['age'] }],
    nodes: [
      { id: 'q', op: 'quantile', args: ['h1'], params: { column: 'age', q: [0.5], minCount: 2 } },
      { id: 'twice', op: 'scale', args: ['q'], params: { factor: 2 } },
    ],
    outputs: [{ name: 'twice', node: 'twice' }],
  };
  assert.throws(
    () => validateProgram(fed, { rows: { h1: 20 }, magnitudes: { h1: [7] } }),
    /node "twice": argument "q" is a quantile with minCount.*it can only be an output/,
  );
  // checked on its own (no rows bound), a program needs no magnitudes
  validateProgram(program(['age'], [0], { q: age([0.5]) }));
});

test('ranks: ceil(q * n), where q * n within rounding of an integer is that integer', () => {
  assert.is(quantileRank(0.07, 100), 7, '0.07 * 100 = 7.000000000000001 in float64 (numpy: 8)');
  assert.is(numpyRank(100, 0.07), 8);
  assert.is(quantileRank(0.1, 10), 1);
  assert.is(quantileRank(7 / 105, 105), 7);
  assert.is(quantileRank(0.5, 7), 4);
  assert.is(quantileRank(1e-9, 1000), 1);
  assert.is(quantileRank(0.999999, 100), 100);
  for (let n = 1; n <= 120; n++) {
    for (let j = 1; j < 1000; j += 7)
      assert.is(quantileRank(j / 1000, n), Math.ceil((j * n) / 1000), `${j}/1000 of ${n}`);
    for (let j = 1; j < n; j++) assert.is(quantileRank(j / n, n), j, `${j}/${n}`);
  }
});

test('the recipient refuses quantiles beyond the bound or decreasing in q', () => {
  const checked = validateProgram(program(['age'], [0], { q: { column: 'age', q: [0.25, 0.5, 0.75] } }), {
    rows: { h1: 20 },
    magnitudes: { h1: [7] },
  });
  const out = (values: (number | null)[]) => [{ name: 'q', shape: [3], values }];
  checkOutputs(checked, out([10, 20, 128]), F);
  checkOutputs(checked, out([null, 20, 20.5]), F);
  assert.throws(
    () => checkOutputs(checked, out([10, 30, 20]), F),
    (e: unknown) => e instanceof ImpossibleResultError,
  );
  assert.throws(() => checkOutputs(checked, out([10, 20, 129]), F), /magnitude bound/);
});

/** An owner's policy context for `dataset` "patients" of `rows` rows (approval auto, minRows 10). */
function policyContext(self: string, parties: string[], rows: number): PolicyContext {
  return {
    self,
    datasets: (name) => (name === 'patients' ? { columns: COLUMNS, rows } : undefined),
    policy: (dataset) => parsePolicy({ computeParties: parties, approval: 'auto', dataset }),
  };
}

test("policy: an owner's auto approval refuses the minimum of a union unless minCount covers minRows", async () => {
  const requester = await identity();
  const owners = [await identity(), await identity(), requester]; // the requester owns h3
  const ask = async (params: Params): Promise<string> => {
    const job = await demoJob(requester, owners, [100, 200, 300], {
      program: program(COLUMNS, [0, 1, 2], { q: { column: 'age', ...params } }),
    });
    const parties = owners.map((o) => o.peerId);
    const d = evaluatePolicies(await verifySignedJob(job), policyContext(owners[0]!.peerId, parties, 100));
    return `${d.decision}: ${d.reasons.join('; ')}`;
  };
  assert.match(await ask({ q: [1 / 600] }), /^refuse: .*stands behind single rows .*quantile.*one row of h1/);
  assert.match(await ask({ q: [0.5] }), /^refuse: .*single rows/);
  assert.match(
    await ask({ q: [1 / 600], minCount: 5 }),
    /^refuse: .*stands behind 5 rows, fewer than the minimum of 10/,
  );
  assert.match(await ask({ q: [1 / 600, 0.5], minCount: 10 }), /^auto: $/);
});

test('the CLI: --quantiles builds a quantile node with minCount, and bad levels are refused', async () => {
  assert.equal(quantilesValue('income:0.25,0.5,0.75'), { column: 'income', q: [0.25, 0.5, 0.75] });
  for (const bad of ['income', 'income:', 'income:0.5,1', 'income:0,0.5', 'income:x', ':0.5'])
    assert.throws(() => quantilesValue(bad), /levels strictly between 0 and 1/, bad);
  const found = [7, 25].map(
    (minRows, i) =>
      ({
        description: {
          owner: `owner${i}`,
          name: 'incomes',
          columns: [{ name: 'income' }, { name: 'age' }],
          policy: { minRows },
        },
      }) as unknown as SignedDatasetDescription,
  );
  const request = (more: object) =>
    buildRequest({ quantiles: { column: 'income', q: [0.5, 0.9] }, wait: true, ...more }, found);
  const node = (more: object) => request(more).program.nodes.find((n) => n.op === 'quantile');
  assert.equal(node({})?.params, { column: 'income', q: [0.5, 0.9], minCount: 25 });
  assert.equal(node({ minCount: 40 })?.params?.minCount, 40);
  assert.equal(
    shorthandProgram({
      inputs: [{ name: 'h', columns: ['income'] }],
      quantiles: { column: 'income', q: [0.5] },
    }).outputs,
    [{ name: 'quantiles', node: 'quantiles_node' }],
  );
  const cli = await runCli(['job', 'run', '--quantiles', 'income:0.5,1.5', '--data-dir', '/nonexistent']);
  assert.is(cli.code, 2, cli.stderr);
  assert.match(cli.stderr, 'levels strictly between 0 and 1');
});

test('1e5 values: the median on rep3 in one process', async () => {
  const r = rng(5);
  const values = Array.from({ length: 100_000 }, () => Math.round((58_000 + 29_000 * normal(r)) * 100) / 100);
  const e = magnitude(values);
  const started = performance.now();
  const { out, results } = await runSimulated(
    program(['income'], [0], { m: { column: 'income', q: [0.5] } }),
    {
      tables: [values.map((v) => [v])],
      magnitudes: { h1: [e] },
    },
  );
  console.log(
    `quantile, 1e5 rows, rep3 simulated: ${Math.round(performance.now() - started)} ms (compute ${Math.round(results[0]!.ms.compute)} ms)`,
  );
  assert.equal(out.m!.values, reference([values], [0.5], e));
});

test('no data value is logged, even with every namespace on', async () => {
  const lines: string[] = [];
  const previous = weald.disable();
  const previousLog = weald.log;
  weald.enable('peermpc:*');
  weald.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
  const v = victim(30).map(([x]) => [x! + 0.37]);
  try {
    await runSimulated(program(['income'], [0], { q: { column: 'income', q: [0.5], minCount: 3 } }), {
      tables: [v],
      magnitudes: { h1: [17] },
    });
  } finally {
    weald.log = previousLog;
    weald.enable(previous);
  }
  assert.ok(lines.length > 0, 'the executor logs its steps');
  const secrets = new Set(v.map((row) => row[0]!));
  for (const line of lines) {
    const numbers = line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '').match(/-?\d+\.\d+/g) ?? [];
    for (const x of numbers) assert.not.ok(secrets.has(Number(x)), `a data value (${x}) is logged: ${line}`);
  }
});

test.run();
