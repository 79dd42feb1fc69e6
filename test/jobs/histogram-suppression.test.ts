/**
 * Small-cell suppression of histogram bins inside the MPC (`minCount`), on rep3 and additive,
 * against a plaintext reference of the rule: a bin is released only when every source has at
 * least minCount rows in it, and nothing is released when a source has between 1 and minCount - 1
 * rows outside the released bins. Suppressed bins reach the recipient as null; other parties get
 * nothing, and no data value is logged.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import weald from 'weald';
import { printOutput } from '../../src/cli/commands/job-print.js';
import type { JobProtocol } from '../../src/jobs/job/types.js';
import { ProgramBuilder } from '../../src/jobs/program/builder.js';
import type { Params, Program } from '../../src/jobs/program/types.js';
import { rng } from './helpers/data.js';
import { runSimulated } from './helpers/run-program.js';
import type { JobOutputValue } from '../../src/jobs/store.js';

const COLS = ['age', 'w'];
const EDGES = [0, 10, 20, 30, 40];
const PROTOCOLS: JobProtocol[] = ['rep3', 'additive'];

/** Rows [age, w] from ages (w is filler). */
function table(ages: readonly number[]): number[][] {
  return ages.map((a, i) => [a, (i % 7) + 0.25]);
}

/** `count` ages spread over [lo, lo + 9.5] (distinct decimals, so a logged one would show). */
function ages(lo: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => lo + 0.37 + ((i * 1.13) % 9));
}

function run(program: Program, tables: number[][][], protocol: JobProtocol) {
  return runSimulated(program, { tables, protocol });
}

/**
 * The plaintext rule: `union` lists the input index of each stacked segment (an input may repeat:
 * its segments add up); column 0; minCount k (0: exact counts).
 */
function reference(tables: number[][][], union: number[], edges: number[], k: number): (number | null)[] {
  const bins = edges.length - 1;
  const binOf = (v: number): number => edges.findIndex((lo, b) => b < bins && v >= lo && v < edges[b + 1]!);
  const per = new Map<number, { counts: number[]; rows: number }>();
  for (const s of union) {
    const entry = per.get(s) ?? { counts: new Array<number>(bins).fill(0), rows: 0 };
    per.set(s, entry);
    for (const r of tables[s]!) {
      const b = binOf(r[0]!);
      if (b >= 0) entry.counts[b]!++;
    }
    entry.rows += tables[s]!.length;
  }
  const total = Array.from({ length: bins }, (_, b) =>
    [...per.values()].reduce((t, e) => t + e.counts[b]!, 0),
  );
  if (k === 0) return total;
  const keep = total.map((_, b) => [...per.values()].every((e) => e.counts[b]! >= k));
  const isolates = [...per.values()].some((e) => {
    const left = e.rows - e.counts.reduce((t, c, b) => t + (keep[b] ? c : 0), 0);
    return left > 0 && left < k;
  });
  return total.map((c, b) => (keep[b] && !isolates ? c : null));
}

function histogramProgram(union: number[], cases: Record<string, Params>): Program {
  const b = new ProgramBuilder();
  const inputs = [...new Set(union)].sort().map((i) => b.input(`h${i + 1}`, COLS));
  const byIndex = new Map([...new Set(union)].sort().map((i, j) => [i, inputs[j]!]));
  const all = union.length === 1 ? byIndex.get(union[0]!)! : b.union(...union.map((i) => byIndex.get(i)!));
  for (const [name, params] of Object.entries(cases)) b.output(name, b.node('histogram', [all], params));
  return b.build();
}

function minCountOf(params: Params): number {
  return typeof params.minCount === 'number' ? params.minCount : 0;
}

async function check(
  tables: number[][][],
  union: number[],
  cases: Record<string, Params>,
  expected: Record<string, (number | null)[]> = {},
): Promise<void> {
  for (const protocol of PROTOCOLS) {
    const { results, out, recipient } = await run(histogramProgram(union, cases), tables, protocol);
    for (const [name, params] of Object.entries(cases)) {
      const ref = reference(tables, union, params.edges as number[], minCountOf(params));
      if (expected[name] !== undefined) assert.equal(ref, expected[name], `${name}: the reference itself`);
      assert.equal(out[name]!.values, ref, `${protocol} ${name}`);
      assert.equal(out[name]!.shape, [(params.edges as number[]).length - 1]);
    }
    results.forEach((r, i) => {
      if (i !== recipient) assert.is(r.outputs, undefined, `${protocol}: party ${i} must get nothing`);
    });
  }
}

// bins [0,10) [10,20) [20,30) [30,40); k = 3
// h1: 3 | 5 | 0 | 3, and 3 rows below the edges (R = 5 + 3)
// h2: 4 | 2 | 0 | 3, and 1 row above (R = 2 + 1 = 3)
// h3: 3 | 4 | 0 | 5 (R = 4)
const T1 = table([...ages(0, 3), ...ages(10, 5), ...ages(30, 3), -5.5, -6.25, -7.75]);
const T2 = table([...ages(0, 4), ...ages(10, 2), ...ages(30, 3), 41.5]);
const T3 = table([...ages(0, 3), ...ages(10, 4), ...ages(30, 5)]);

test('released, small-by-source and empty bins; minCount absent gives exact counts (3 sources)', async () => {
  await check(
    [T1, T2, T3],
    [0, 1, 2],
    {
      k3: { edges: EDGES, column: 'age', minCount: 3 },
      k0: { edges: EDGES, column: 'age', minCount: 0 },
      plain: { edges: EDGES, column: 'age' },
      k1: { edges: EDGES, column: 'age', minCount: 1 },
    },
    {
      k3: [10, null, null, 11],
      k0: [10, 11, 0, 11],
      plain: [10, 11, 0, 11],
      k1: [10, 11, null, 11],
    },
  );
});

test('a source with 1..minCount-1 rows outside the released bins suppresses every bin', async () => {
  // h3 has 2 rows above the edges; every bin has >= 3 rows of each source
  const t3 = table([...ages(0, 3), ...ages(10, 4), ...ages(20, 3), ...ages(30, 5), 45.5, 46.5]);
  const t1 = table([...ages(0, 3), ...ages(10, 5), ...ages(20, 4), ...ages(30, 3)]);
  const t2 = table([...ages(0, 4), ...ages(10, 3), ...ages(20, 3), ...ages(30, 3)]);
  await check(
    [t1, t2, t3],
    [0, 1, 2],
    { k3: { edges: EDGES, minCount: 3, column: 'age' }, k2: { edges: EDGES, minCount: 2, column: 'age' } },
    { k3: [null, null, null, null], k2: [10, 12, 10, 11] },
  );
  // the same through a suppressed bin: h2 has 2 rows in [20, 30) and none elsewhere outside
  const u2 = table([...ages(0, 4), ...ages(10, 3), ...ages(20, 2), ...ages(30, 3)]);
  await check(
    [t1, u2],
    [0, 1],
    { k3: { edges: EDGES, minCount: 3, column: 'age' } },
    { k3: [null, null, null, null] },
  );
});

test('two sources, a repeated source adds up, random data against the reference', async () => {
  const r = rng(7);
  const rand = (n: number, spread: number): number[][] =>
    table(Array.from({ length: n }, () => Math.round((r() * spread - 5) * 100) / 100));
  const a = rand(40, 50);
  const b = rand(25, 50);
  const edges = [0, 8, 16, 24, 32, 45];
  const cases = Object.fromEntries(
    [0, 1, 2, 3, 4, 6].map((k) => [`k${k}`, { edges, column: 'age', minCount: k }]),
  );
  await check([a, b], [0, 1], cases);
  await check([a, b], [0, 1, 0], { k4: { edges, column: 'age', minCount: 4 } });
  await check([a], [0], { k3: { edges, column: 'age', minCount: 3 }, k0: { edges, column: 'age' } });
});

test('nine sources (the AND over sources by a comparison instead of a product tree)', async () => {
  const r = rng(11);
  const tables = Array.from({ length: 9 }, (_, s) =>
    table(Array.from({ length: 12 + s }, () => Math.round(r() * 4000) / 100)),
  );
  const union = tables.map((_, i) => i);
  const cases = {
    k1: { edges: EDGES, column: 'age', minCount: 1 },
    k2: { edges: EDGES, column: 'age', minCount: 2 },
  };
  await check(tables, union, cases);
  // every source has 2 rows per bin but one, which has a single row in [20, 30): that bin is
  // suppressed, which leaves that one row of it outside the released bins, so every bin is
  const even = Array.from({ length: 9 }, (_, s) =>
    table([...ages(0, 2), ...ages(10, 2), ...ages(20, s === 4 ? 1 : 2), ...ages(30, 2)]),
  );
  await check(even, union, { k2: cases.k2 }, { k2: [null, null, null, null] });
});

test('no data value is logged, even with every namespace on', async () => {
  const lines: string[] = [];
  const previous = weald.disable();
  const previousLog = weald.log;
  weald.enable('peermpc:*');
  weald.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
  try {
    const { out } = await run(
      histogramProgram([0, 1, 2], { k3: { edges: EDGES, column: 'age', minCount: 3 } }),
      [T1, T2, T3],
      'rep3',
    );
    assert.equal(out.k3!.values, [10, null, null, 11]);
  } finally {
    weald.log = previousLog;
    weald.enable(previous);
  }
  assert.ok(lines.length > 0, 'the executor logs its steps');
  // every data value has a fraction; compare the numbers in each line (timestamps taken out)
  const secrets = new Set([T1, T2, T3].flatMap((t) => t.map((row) => row[0]!)));
  for (const line of lines) {
    const numbers = line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '').match(/-?\d+\.\d+/g) ?? [];
    for (const v of numbers) assert.not.ok(secrets.has(Number(v)), `a data value (${v}) is logged: ${line}`);
  }
});

test('the CLI prints a suppressed bin as "suppressed"; JSON keeps null', () => {
  const lines: string[] = [];
  const o: JobOutputValue = { name: 'h', shape: [3], values: [10, null, 11], labels: [['a', 'b', 'c']] };
  printOutput({ out: (t) => lines.push(t), err: () => undefined }, o);
  const text = lines.join('\n');
  assert.match(text, /b\s+suppressed/);
  assert.match(text, /a\s+10/);
  assert.equal(JSON.parse(JSON.stringify(o)).values, [10, null, 11]);
});

test.run();
