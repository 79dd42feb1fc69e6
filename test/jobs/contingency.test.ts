/**
 * `contingency` and `chiSquare` on rep3 and additive against plaintext references
 * (helpers/contingency-reference.ts): exact counts over unions of several owners, codes that match
 * no level counted in no cell, small-cell suppression inside the MPC (by source, and the leftover
 * rows that subtraction from the row count or from one level's margin would isolate), codes of
 * magnitude 1e3 and 1e6, the statistic within its stated error bound of float64, p within 1e-3 of
 * a numerical integral, the textbook example, the minExpected guard and a suppressed test.
 * Validation, output checks and disclosure verdicts: contingency-checks.test.ts.
 * `CONTINGENCY_BENCH=1` also times 10^5 rows on simulated rep3.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgramBuilder } from '../../src/jobs/program/builder.js';
import { rng } from './helpers/data.js';
import {
  BASE,
  checkTables,
  checkTests,
  COLS,
  program,
  PROTOCOLS,
  rep,
  run,
  table,
} from './helpers/contingency-run.js';
import { runSimulated } from './helpers/run-program.js';

test('contingency: exact counts over three owners; codes matching no level are in no cell', async () => {
  const r = rng(3);
  const codes = (n: number): [number, number][] =>
    Array.from({ length: n }, () => [Math.floor(r() * 3), Math.floor(r() * 4)] as [number, number]);
  // sex 2 and smoker 3 match no level; 0.4 rounds into level 0, 1.6 into no level ([0.5, 1.5) is 1)
  const tables = [table([...codes(30), [0.4, 1], [1.6, 0]]), table(codes(25)), table(codes(20))];
  await checkTables(tables, [0, 1, 2], {
    all: BASE,
    swapped: { ...BASE, rows: 'smoker', rowLevels: [0, 1, 2, 3], columns: 'sex', columnLevels: [1] },
  });
  await checkTables(tables, [0, 2, 0], { repeated: BASE });
});

// levels sex {0, 1} x smoker {0, 1, 2}; k = 3
test('contingency: cells below minCount rows of any owner are suppressed', async () => {
  const a = table([
    ...rep(4, 0, 0),
    ...rep(3, 0, 1),
    ...rep(2, 0, 2),
    ...rep(5, 1, 0),
    ...rep(3, 1, 1),
    ...rep(4, 1, 2),
  ]);
  const b = table([
    ...rep(3, 0, 0),
    ...rep(5, 0, 1),
    ...rep(2, 0, 2),
    ...rep(3, 1, 0),
    ...rep(1, 1, 1),
    ...rep(3, 1, 2),
  ]);
  // (0, 2) and (1, 1) are small for b; b's remainder in row 0 is then 2 rows: every cell goes
  await checkTables(
    [a, b],
    [0, 1],
    { k3: { ...BASE, minCount: 3 } },
    { k3: [null, null, null, null, null, null] },
  );
  // a's small cells form a rectangle: its remainders are 4 (row 0), 3 (row 1), 4 and 3 (columns
  // 1, 2), 7 overall, b's 6, 6, 6, 6, 12: the other cells are released
  const a2 = table([
    ...rep(5, 0, 0),
    ...rep(2, 0, 1),
    ...rep(2, 0, 2),
    ...rep(5, 1, 0),
    ...rep(2, 1, 1),
    ...rep(1, 1, 2),
  ]);
  const b2 = table([
    ...rep(3, 0, 0),
    ...rep(3, 0, 1),
    ...rep(3, 0, 2),
    ...rep(4, 1, 0),
    ...rep(3, 1, 1),
    ...rep(3, 1, 2),
  ]);
  await checkTables(
    [a2, b2],
    [0, 1],
    { k3: { ...BASE, minCount: 3 }, k1: { ...BASE, minCount: 1 }, k0: BASE },
    { k3: [8, null, null, 9, null, null], k1: [8, 5, 5, 9, 5, 4], k0: [8, 5, 5, 9, 5, 4] },
  );
});

test("contingency: the leftover-rows attack (row count, a level's margin) suppresses every cell", async () => {
  const full = [
    ...rep(5, 0, 0),
    ...rep(5, 0, 1),
    ...rep(5, 0, 2),
    ...rep(5, 1, 0),
    ...rep(5, 1, 1),
    ...rep(5, 1, 2),
  ];
  const k3 = { ...BASE, minCount: 3 };
  const none = [null, null, null, null, null, null];
  // one row with a code outside the levels: the public row count minus the cells would isolate it
  await checkTables([table([...full, [7, 0]])], [0], { k3 }, { k3: none });
  // 4 rows outside the cells overall (enough for the row count), but 2 with sex 1: the margin
  // sex = 1 (a histogram or groupBy count released elsewhere) minus row 1's cells would isolate
  // them; with 3 such rows the cells are released
  await checkTables([table([...full, [1, 9], [1, 9], [9, 9], [9, 9]])], [0], { k3 }, { k3: none });
  await checkTables([table([...full, [1, 9], [1, 9], [1, 9]])], [0], { k3 }, { k3: [5, 5, 5, 5, 5, 5] });
  // two suppressed cells of 2 rows in row 0 (4 left there and overall) but alone in their columns
  const cols = [
    ...rep(5, 0, 0),
    ...rep(2, 0, 1),
    ...rep(2, 0, 2),
    ...rep(5, 1, 0),
    ...rep(5, 1, 1),
    ...rep(5, 1, 2),
  ];
  await checkTables([table(cols)], [0], { k3 }, { k3: none });
});

test('contingency across a join: each row counts for both inputs', async () => {
  const pairs = [
    ...rep(5, 0, 0),
    ...rep(4, 0, 1),
    ...rep(6, 1, 0),
    ...rep(2, 1, 1),
    [1, 8] as [number, number],
  ];
  const b = new ProgramBuilder();
  const d = b.select(b.input('h1', COLS), ['sex']);
  const e = b.select(b.input('h2', COLS), ['smoker', 'w']);
  const j = b.join(d, e);
  const params = { rows: 'sex', rowLevels: [0, 1], columns: 'smoker', columnLevels: [0, 1] };
  b.output('k0', b.node('contingency', [j], params));
  b.output('k2', b.node('contingency', [j], { ...params, minCount: 2 }));
  b.output('k3', b.node('contingency', [j], { ...params, minCount: 3 }));
  const tables = [table(pairs), table(pairs)];
  for (const protocol of PROTOCOLS) {
    const { out } = await runSimulated(b.build(), {
      tables,
      protocol,
      magnitudes: { h1: [4, 4, 3], h2: [4, 4, 3] },
    });
    assert.equal(out.k0!.values, [5, 4, 6, 2], protocol);
    // k = 3: the cell (1, 1) is suppressed and leaves 2 + 1 rows of row level 1: all suppressed
    assert.equal(out.k3!.values, [null, null, null, null], protocol);
    // k = 2: every cell kept; 1 row (sex 1, smoker 8) outside them: all suppressed
    assert.equal(out.k2!.values, [null, null, null, null], protocol);
  }
  const clean = [table(pairs.slice(0, -1)), table(pairs.slice(0, -1))];
  const { out } = await runSimulated(b.build(), {
    tables: clean,
    magnitudes: { h1: [4, 4, 3], h2: [4, 4, 3] },
  });
  assert.equal(out.k2!.values, [5, 4, 6, 2]);
});

test('codes of magnitude 1e3 and 1e6 (scaled columns)', async () => {
  for (const [base, mag] of [
    [1000, 10],
    [999_999, 20],
  ] as const) {
    const r = rng(base);
    const pairs = Array.from(
      { length: 60 },
      () => [base + Math.floor(r() * 2), base + Math.floor(r() * 4) - 1] as [number, number],
    );
    const params = {
      rows: 'sex',
      rowLevels: [base, base + 1],
      columns: 'smoker',
      columnLevels: [base - 1, base, base + 1],
    };
    await checkTables([table(pairs)], [0], { big: params, k2: { ...params, minCount: 2 } }, {}, [
      mag,
      mag,
      3,
    ]);
    await checkTests([table(pairs)], [0], { big: { ...params, minExpected: 1 } }, [mag, mag, 3]);
  }
});

test('chiSquare: within the stated bound of float64, p within 1e-3 of the integral (several owners)', async () => {
  const r = rng(17);
  const draw = (n: number, lean: number): [number, number][] =>
    Array.from({ length: n }, () => {
      const sex = r() < 0.45 ? 1 : 0;
      const u = r() + lean * sex;
      return [sex, u < 0.5 ? 0 : u < 0.9 ? 1 : r() < 0.1 ? 9 : 2];
    });
  const weak = [table(draw(120, 0.05)), table(draw(90, 0.1)), table(draw(60, 0))];
  const strong = [table(draw(150, 0.5)), table(draw(100, 0.6))];
  const worst1 = await checkTests(weak, [0, 1, 2], { weak: BASE });
  const worst2 = await checkTests(strong, [0, 1], { strong: BASE, k5: { ...BASE, minExpected: 10 } });
  console.log(
    `chiSquare: worst error / bound ${Math.max(worst1.ratio, worst2.ratio).toFixed(4)}, relative ${Math.max(worst1.relative, worst2.relative).toExponential(2)}`,
  );
});

test('chiSquare: the textbook example (650 residents; chi2 = 24.57, df = 6, p = 0.0004)', async () => {
  const counts = [
    [90, 60, 104, 95],
    [30, 50, 51, 20],
    [30, 40, 45, 35],
  ];
  const pairs = counts.flatMap((row, i) => row.flatMap((v, j) => rep(v, i, j)));
  const params = { rows: 'sex', rowLevels: [0, 1, 2], columns: 'smoker', columnLevels: [0, 1, 2, 3] };
  await checkTests([table(pairs)], [0], { book: params });
  const [{ out }] = await run([table(pairs)], [0], { book: { op: 'chiSquare', params } });
  const [stat, df, p] = out!.book!.values as number[];
  assert.ok(Math.abs(stat! - 24.571) < 0.01, `statistic ${stat}`);
  assert.is(df, 6);
  assert.ok(Math.abs(p! - 0.0004098) < 1e-5, `p ${p}`);
});

test('chiSquare: an expected count below minExpected fails the job, naming the node', async () => {
  const pairs = [...rep(30, 0, 0), ...rep(30, 1, 1), ...rep(30, 0, 1), ...rep(2, 1, 2), ...rep(2, 0, 2)];
  for (const protocol of PROTOCOLS) {
    const prog = program([0], { t: { op: 'chiSquare', params: BASE } });
    const err = await runSimulated(prog, {
      tables: [table(pairs)],
      protocol,
      magnitudes: { h1: [2, 2, 3] },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(err, Error, protocol);
    assert.match(
      String((err as Error).message),
      /chiSquare1.*chiSquare: an expected count is below minExpected \(5\)/,
    );
  }
});

test('chiSquare: with minCount, a small cell makes the statistic and p null (df stays)', async () => {
  const pairs = [
    ...rep(40, 0, 0),
    ...rep(35, 1, 1),
    ...rep(30, 0, 1),
    ...rep(20, 1, 0),
    ...rep(9, 1, 2),
    ...rep(12, 0, 2),
  ];
  const cases = { k10: { ...BASE, minCount: 10 }, k5: { ...BASE, minCount: 5 } };
  const named = Object.fromEntries(
    Object.entries(cases).map(([k, params]) => [k, { op: 'chiSquare', params }]),
  );
  for (const { protocol, out } of await run([table(pairs)], [0], named)) {
    assert.equal(out.k10!.values, [null, 2, null], protocol);
    assert.ok(out.k5!.values[0] !== null && out.k5!.values[2] !== null, protocol);
  }
  await checkTests([table(pairs)], [0], { k5: cases.k5 });
});

test('timing: 10^5 rows, 2 x 3 levels (CONTINGENCY_BENCH=1)', async () => {
  if (process.env.CONTINGENCY_BENCH !== '1') return;
  const r = rng(5);
  const pairs = Array.from(
    { length: 100_000 },
    () => [Math.floor(r() * 2), Math.floor(r() * 3)] as [number, number],
  );
  const prog = program([0], {
    t: { op: 'chiSquare', params: BASE },
    c: { op: 'contingency', params: { ...BASE, minCount: 10 } },
  });
  const t0 = performance.now();
  const { results } = await runSimulated(prog, { tables: [table(pairs)], magnitudes: { h1: [2, 2, 3] } });
  console.log(
    `10^5 rows, rep3: ${(performance.now() - t0).toFixed(0)} ms (compute ${results[0]!.ms.compute.toFixed(0)} ms)`,
  );
});

test.run();
