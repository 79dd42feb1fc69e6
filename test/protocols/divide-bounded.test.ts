/**
 * divideBounded (a / b for b in a public range, Goldschmidt from a linear guess) on every protocol
 * against float64 division, within its documented bound (1 ulp + 2 ulp |a / b| + (k + 1) 2^(1-g)
 * ulp, below 2 ulp + 2 ulp |a / b| at f = 16), at the range's edges, with b broadcast along a row,
 * and its rounds; ranges and options it cannot serve are refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { divideBounded, divideBoundedRounds } from '../../src/protocols/ops/nonlinear/divide-bounded.js';
import { reciprocalBounded } from '../../src/protocols/ops/nonlinear/reciprocal.js';
import { linGrid, logGrid, runOp, type ProtoName } from './nonlinear-helpers.js';

const ULP = 2 ** -16;
const bound = (q: number) => 2 * ULP + 2 * ULP * Math.abs(q);

/** Rounds b to the fixed-point grid (what the parties hold). */
const grid = (v: number) => Math.round(v * 2 ** 16) / 2 ** 16;

for (const proto of ['plaintext', 'rep3', 'additive'] as ProtoName[]) {
  for (const [lo, hi] of [
    [1, 10],
    [0.5, 3],
    [1, 16],
    [1, 50],
  ] as const) {
    test(`${proto}: a / b for b in [${lo}, ${hi}], a in [-1, 1], edges included`, async () => {
      const b = [...logGrid(lo, hi, 120), lo, hi, lo + ULP, hi - ULP].map(grid);
      const a = b.map((_, i) => grid(Math.sin(i * 1.7)));
      a[0] = 1;
      a[1] = -1;
      a[2] = 0;
      const r = await runOp(
        proto,
        [
          { values: a, shape: [a.length] },
          { values: b, shape: [b.length] },
        ],
        (p, [x, y]) => divideBounded(p, x!, y!, lo, hi, { aBound: 1 }),
      );
      b.forEach((bi, i) => {
        const q = a[i]! / bi;
        const e = Math.abs(r.values[i]! - q);
        assert.ok(e <= bound(q), `${a[i]} / ${bi}: got ${r.values[i]}, error ${(e / ULP).toFixed(2)} ulp`);
      });
    });
  }

  test(`${proto}: a row's quotients share one denominator (b [rows, 1] broadcast to a [rows, K])`, async () => {
    const rows = 7;
    const K = 5;
    const a = Array.from({ length: rows * K }, (_, i) => grid(Math.abs(Math.cos(i * 0.9))));
    const b = Array.from({ length: rows }, (_, r) => grid(1 + 9 * Math.abs(Math.sin(r * 2.3))));
    const r = await runOp(
      proto,
      [
        { values: a, shape: [rows, K] },
        { values: b, shape: [rows, 1] },
      ],
      (p, [x, y]) => divideBounded(p, x!, y!, 1, 10),
    );
    assert.equal(r.shape, [rows, K]);
    a.forEach((ai, i) => {
      const q = ai / b[Math.floor(i / K)]!;
      assert.ok(Math.abs(r.values[i]! - q) <= bound(q), `${ai} / ${b[Math.floor(i / K)]}`);
    });
  });
}

test('rounds on rep3: 2 (k + 1), k the levels the range needs (4 for [1, 10], 7 for [1, 50])', async () => {
  assert.is(divideBoundedRounds(1, 10), 10);
  assert.is(divideBoundedRounds(1, 16), 12);
  assert.is(divideBoundedRounds(1, 50), 16);
  const xs = linGrid(1, 10, 4);
  const r = await runOp('rep3', [{ values: xs, shape: [xs.length] }], (p, [x]) =>
    divideBounded(p, x!, x!, 1, 10),
  );
  assert.is(r.rounds, 10);
});

/** Asserts that `p` rejects with a message matching `re` (simulate wraps a party's error). */
async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.ok(err !== undefined, `expected a rejection matching ${re}`);
  assert.match(err.message, re);
}

test('refused: bad bounds, a range too wide for a linear guess, too many fractional bits', async () => {
  const run = (lo: number, hi: number, f = 16, aBound = 1) =>
    runOp(
      'plaintext',
      [{ values: [1], shape: [1] }],
      (p, [x]) => divideBounded(p, x!, x!, lo, hi, { fractionalBits: f, aBound }),
      f,
    );
  for (const [lo, hi] of [
    [0, 10],
    [-1, 10],
    [10, 1],
    [1, 1],
    [1, Infinity],
    [Number.NaN, 2],
  ])
    await rejects(run(lo!, hi!), /0 < lo < hi/);
  // [1, 100]: its roundings, amplified by 1 / (1 - e0), would pass the bound; [1, 1e5]: too many levels
  await rejects(run(1, 100), /too wide/);
  await rejects(run(1, 1e5), /too wide/);
  await rejects(run(1, 10, 22), /fractional bits/);
  await rejects(run(1, 10, 16, 0), /aBound/);
});

test('large |a / b|: served at f = 12 for |a| <= 8 on [1, 10] within 2 ulp + 2 ulp |a / b|; refused where the roundings of e, scaled by |a / b|, could pass it', async () => {
  const f = 12;
  const ulp = 2 ** -f;
  const g12 = (v: number) => Math.round(v * 2 ** f) / 2 ** f;
  const b = [...logGrid(1, 10, 60), 1, 10].map(g12);
  const a = b.map((_, i) => g12(8 * Math.sin(i * 1.3)));
  a[0] = 8;
  a[1] = -8;
  const r = await runOp(
    'rep3',
    [
      { values: a, shape: [a.length] },
      { values: b, shape: [b.length] },
    ],
    (p, [x, y]) => divideBounded(p, x!, y!, 1, 10, { fractionalBits: f, aBound: 8 }),
    f,
  );
  b.forEach((bi, i) => {
    const q = a[i]! / bi;
    const e = Math.abs(r.values[i]! - q);
    assert.ok(e <= 2 * ulp + 2 * ulp * Math.abs(q), `${a[i]} / ${bi}: error ${(e / ulp).toFixed(2)} ulp`);
  });
  // a review's case: |a / b| up to 2048 made 597 ulp of error where 563 were allowed
  assert.throws(
    () => divideBoundedRounds(4, 54, { fractionalBits: 12, aBound: 8192 }),
    /\|a \/ b\| up to 2048/,
  );
  assert.throws(() => divideBoundedRounds(1, 10, { aBound: 16 }), /too few bits/);
});

test('rounds and reciprocalBounded refuse a range that is not 0 < lo < hi (no plan, no fallback to 0)', async () => {
  for (const [lo, hi] of [
    [10, 1],
    [5, 5],
    [0, 1],
    [1, Infinity],
  ])
    assert.throws(() => divideBoundedRounds(lo!, hi!), /0 < lo < hi/);
  const run = (lo: number, hi: number) =>
    runOp('plaintext', [{ values: [2], shape: [1] }], (p, [x]) => reciprocalBounded(p, x!, lo, hi));
  await rejects(run(1000, 1), /reciprocalBounded needs a divisor range 0 < lo < hi/);
  await rejects(run(3, 3), /0 < lo < hi/);
  const ok = await run(1, 4);
  assert.ok(Math.abs(ok.values[0]! - 0.5) <= 3 * ULP);
});

test.run();
