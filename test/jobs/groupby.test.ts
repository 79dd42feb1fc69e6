/**
 * `groupBy` on rep3 and additive against a float64 reference (helpers/groupby-reference.ts): counts
 * exact, sums within the inputs' fixed-point rounding, means within the division's stated error
 * (src/jobs/executor/count-divide.ts), over unions of several inputs and columns at scales 1e-4 to
 * 1e6; small groups suppressed inside the MPC (a one-row group; leftover rows that would isolate a
 * row by subtraction, from the row count or from a whole-column sum). Verdicts, validation, checks
 * and the CLI: groupby-checks.test.ts. `GROUPBY_BENCH=1` also times 10^5 rows x 10 groups x 3
 * columns on simulated rep3.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeDisclosure } from '../../src/jobs/disclosure/analyze.js';
import { rowsBehind } from '../../src/jobs/disclosure/types.js';
import { MEAN_RELATIVE_ERROR } from '../../src/jobs/executor/count-divide.js';
import type { JobProtocol } from '../../src/jobs/job/types.js';
import type { Params } from '../../src/jobs/program/types.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import { rng } from './helpers/data.js';
import { COLS, groupByReference, program, type GroupByCase } from './helpers/groupby-reference.js';
import { runSimulated } from './helpers/run-program.js';

const PROTOCOLS: JobProtocol[] = ['rep3', 'additive'];

/** The reference's view of a groupBy's params. */
function caseOf(params: Params): GroupByCase {
  const by = COLS.indexOf(params.by as string);
  const columns = Array.isArray(params.columns)
    ? (params.columns as string[]).map((c) => COLS.indexOf(c))
    : COLS.map((_, j) => j).filter((j) => j !== by && params.agg !== 'count');
  return {
    by,
    levels: params.levels as number[],
    columns,
    agg: params.agg as GroupByCase['agg'],
    minCount: (params.minCount as number | undefined) ?? 0,
  };
}

/** Runs `cases` on both protocols and compares each with the reference; returns the last outputs. */
async function check(
  tables: number[][][],
  union: number[],
  cases: Record<string, Params>,
  protocols = PROTOCOLS,
) {
  const mags = magnitudes(tables);
  const byInput = Object.fromEntries(tables.map((_, i) => [`h${i + 1}`, mags]));
  let last;
  for (const protocol of protocols) {
    const { out, results, recipient } = await runSimulated(program(union, cases), {
      tables,
      protocol,
      magnitudes: byInput,
    });
    for (const [name, params] of Object.entries(cases)) {
      const c = caseOf(params);
      const ref = groupByReference(tables, union, c);
      const got = out[name]!.values;
      assert.is(got.length, ref.values.length, `${protocol} ${name}: length`);
      got.forEach((v, i) => {
        const want = ref.values[i]!;
        const what = `${protocol} ${name}[${i}]: got ${v}, want ${want}`;
        if (want === null || v === null) return assert.is(v, want, what);
        const g = c.agg === 'count' ? i : Math.floor(i / c.columns.length);
        const ulp = c.agg === 'count' ? 0 : 2 ** (mags[c.columns[i % c.columns.length]!]! - 22);
        const tol = c.agg === 'mean' ? MEAN_RELATIVE_ERROR * Math.abs(want) + 4 * ulp : ref.counts[g]! * ulp;
        assert.ok(Math.abs(v - want) <= tol + 1e-12, what);
      });
    }
    results.forEach((r, i) => {
      if (i !== recipient) assert.is(r.outputs, undefined, `${protocol}: party ${i} must get nothing`);
    });
    last = out;
  }
  return last!;
}

/** `n` rows with codes drawn from `codes` and columns a, b, c at the given scales. */
function table(n: number, codes: number[], scales: number[], seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => [
    codes[Math.floor(r() * codes.length)]!,
    ...scales.map((s) => (r() * 2 - 0.7) * s),
  ]);
}

/** The smallest e with max |x| <= 2^e per column (what a description publishes). */
function magnitudes(tables: number[][][]): number[] {
  const rows = tables.flat();
  return COLS.map((_, j) => Math.ceil(Math.log2(Math.max(2 ** -30, ...rows.map((r) => Math.abs(r[j]!))))));
}

test('count, sum and mean over a union of three inputs match float64 (rep3, additive)', async () => {
  // code 7 is no level, 2.4 falls in level 2's cell [1.5, 2.5); level 6 is empty
  const codes = [1, 2, 3, 4, 5, 7, 2.4];
  const tables = [
    table(40, codes, [4, 1, 10], 1),
    table(30, codes, [4, 1, 10], 2),
    table(25, codes, [4, 1, 10], 3),
  ];
  const levels = [1, 2, 3, 4, 5, 6];
  const out = await check(tables, [0, 1, 2], {
    count: { by: 'region', levels, agg: 'count' },
    far: { by: 'region', levels: [-(2 ** 40), 3, 1000, 2 ** 40], agg: 'count' },
    sum: { by: 'region', levels, agg: 'sum' },
    mean: { by: 'region', levels, agg: 'mean' },
    meanB: { by: 'region', levels: [4, 2], agg: 'mean', columns: ['b'] },
  });
  assert.equal(out.count!.labels, [levels.map((l) => `region=${l}`)]);
  assert.equal(out.sum!.labels, [levels.map((l) => `region=${l}`), ['a', 'b', 'c']]);
  assert.equal(out.mean!.values.slice(15), [null, null, null], 'an empty group has no mean');
  assert.equal(out.sum!.values.slice(15), [0, 0, 0], 'an empty group sums to 0');
});

test('columns scaled by 1e-4, 1, 1e3 and 1e6, a repeated input and one input alone', async () => {
  const scales = [1e-4, 1e3, 1e6];
  const tables = [table(120, [1, 2, 3, 9], scales, 11), table(60, [1, 2, 3], scales, 12)];
  const cases = {
    sum: { by: 'region', levels: [1, 2, 3], agg: 'sum' },
    mean: { by: 'region', levels: [3, 1, 2], agg: 'mean', minCount: 2 },
  };
  await check(tables, [0, 1], cases);
  await check(tables, [0, 1, 0], { mean: cases.mean }, ['rep3']);
  await check([table(50, [1, 2], [1, 1, 1], 13)], [0], {
    count: { by: 'region', levels: [1, 2], agg: 'count' },
  });
});

test('means stay within the stated error from 1 to 3000 rows per group, near the bound', async () => {
  const sizes = [1, 2, 3, 5, 17, 100, 257, 1023, 1024, 1025, 3000];
  const r = rng(5);
  const rows = sizes.flatMap((n, g) =>
    Array.from({ length: n }, () => [g + 1, 61 + r() * 2.9, -63.9 + r() * 0.5, (r() - 0.5) * 100]),
  );
  const levels = sizes.map((_, g) => g + 1);
  await check([rows], [0], { mean: { by: 'region', levels, agg: 'mean' } }, ['rep3']);
});

test('minCount: a one-row group is suppressed; a released sum of -1 stays -1', async () => {
  const t1 = [
    [1, -1, 0, 0],
    [1, 0, 0, 0],
    [1, 0, 0, 0],
    [2, 5, 1, 1],
    [2, 6, 1, 1],
    [2, 7, 1, 1],
    [3, 42.5, 2, 2],
  ];
  const t2 = [
    [1, 0, 0, 0],
    [1, 0, 0, 0],
    [1, 0, 0, 0],
    [2, 1, 1, 1],
    [2, 1, 1, 1],
    [2, 1, 1, 1],
    [4, 1, 1, 1],
    [4, 1, 1, 1],
  ];
  // k = 2: level 3 (one row of h1, none of h2) is suppressed; h1 then has 1 row left over: nothing
  // k = 2 without level 3's row: h2's rows of level 4 (2 = k) are outside: released
  const out = await check([t1.slice(0, 6), t2], [0, 1], {
    sum: { by: 'region', levels: [1, 2, 3], agg: 'sum', columns: ['a'], minCount: 2 },
    count: { by: 'region', levels: [1, 2, 3], agg: 'count', minCount: 2 },
  });
  assert.equal(out.sum!.values, [-1, 21, null]);
  assert.equal(out.count!.values, [6, 6, null]);
  const all = await check([t1, t2], [0, 1], {
    sum: { by: 'region', levels: [1, 2, 3], agg: 'sum', columns: ['a'], minCount: 2 },
  });
  assert.equal(all.sum!.values, [null, null, null], 'the one row of level 3 would be isolated');
});

test('leftover rows: 1 to k-1 rows of an input outside the released groups suppress everything', async () => {
  const group = (code: number, n: number): number[][] =>
    Array.from({ length: n }, (_, i) => [code, i + 0.5, 1, 2]);
  const base = [...group(1, 3), ...group(2, 4)];
  const cases = (k: number) => ({ mean: { by: 'region', levels: [1, 2], agg: 'mean', minCount: k } });
  // two rows match no level: k = 3 isolates them, k = 2 does not
  const out3 = await check([[...base, [8, 100, 1, 1], [9, 200, 1, 1]], base], [0, 1], cases(3), ['rep3']);
  assert.ok(out3.mean!.values.every((v) => v === null));
  const out2 = await check([[...base, [8, 100, 1, 1], [9, 200, 1, 1]], base], [0, 1], cases(2), ['rep3']);
  assert.ok(out2.mean!.values.every((v) => v !== null));
});

test('attack: released group sums minus a whole-column sum leave at least minCount rows', async () => {
  // level 3 holds one row (a = 1000): alone outside the released groups, everything is suppressed
  const rows = [
    [1, 1, 0, 0],
    [1, 2, 0, 0],
    [1, 3, 0, 0],
    [2, 4, 0, 0],
    [2, 5, 0, 0],
    [2, 6, 0, 0],
    [3, 1000, 0, 0],
  ];
  const attack = (t: number[][]) =>
    runSimulated(
      program(
        [0],
        { groups: { by: 'region', levels: [1, 2, 3], agg: 'sum', columns: ['a'], minCount: 3 } },
        (b, all) => b.output('total', b.node('sum', [b.node('select', [all], { columns: ['a'] })])),
      ),
      { tables: [t], magnitudes: { h1: [2, 10, 0, 0] } },
    );
  const isolated = await attack(rows);
  assert.equal(isolated.out.groups!.values, [null, null, null]);
  // with 3 more rows outside the levels, the groups are released: the difference is 4 rows' sum
  const more = [...rows, [0, 7, 0, 0], [0, 8, 0, 0], [0, 9, 0, 0]];
  const { out } = await attack(more);
  const released = (out.groups!.values as number[]).filter((v) => v !== null);
  assert.equal(released.length, 2);
  const difference = out.total!.values[0]! - released.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(difference - (1000 + 7 + 8 + 9)) < 1e-3, `${difference}`);
  const checked = validateProgram(
    program(
      [0],
      { groups: { by: 'region', levels: [1, 2, 3], agg: 'sum', columns: ['a'], minCount: 3 } },
      (b, all) => b.output('total', b.node('sum', [b.node('select', [all], { columns: ['a'] })])),
    ),
    { rows: { h1: more.length } },
  );
  for (const o of analyzeDisclosure(checked).outputs) assert.ok(rowsBehind(o.deps.get('h1')!)! >= 3, o.name);
});

test('time: 10^5 rows x 10 groups x 3 columns, mean with minCount, simulated rep3', async () => {
  if (process.env.GROUPBY_BENCH !== '1') return;
  const n = 100_000;
  const rows = Array.from({ length: n }, (_, i) => [1 + (i % 10), (i % 17) * 0.5, -(i % 13), (i % 7) * 100]);
  for (const agg of ['count', 'sum', 'mean']) {
    const t0 = performance.now();
    const { results } = await runSimulated(
      program([0], { g: { by: 'region', levels: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], agg, minCount: 5 } }),
      { tables: [rows], magnitudes: { h1: [4, 4, 4, 10] } },
    );
    const ms = performance.now() - t0;
    console.log(`groupBy ${agg}: ${ms.toFixed(0)} ms (compute ${results[0]!.ms.compute.toFixed(0)} ms)`);
  }
});

test.run();
