/**
 * exp, sigmoid, tanh, reciprocal/divide, log and softmax on every protocol, against tfjs, over each
 * function's documented range and at its edges, within the documented bound (docs/ML.md).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as nl from '../../src/protocols/ops/nonlinear/index.js';
import type { Protocol, Share } from '../../src/protocols/protocol.js';
import { loadTf } from '../../src/tensor/index.js';
import { linGrid, logGrid, runOp, type ProtoName } from './nonlinear-helpers.js';

const tf = await loadTf();
type T = ReturnType<typeof tf.tensor1d>;
const ULP = 2 ** -16;

interface Case {
  name: string;
  xs: number[];
  op: (p: Protocol<Share>, x: Share) => Promise<Share>;
  ref: (x: T) => T;
  /** Allowed |error| for the expected value. */
  bound: (want: number) => number;
}

const cases: Case[] = [
  {
    name: 'exp on [-2^22, 0] (edges: -2^22, -32, 0)',
    xs: [...linGrid(-40, 0, 300), -(2 ** 22) + 1, -1e5, -32, -31.99, -22.2, -ULP, 0],
    op: (p, x) => nl.expNonPositive(p, x),
    ref: (x) => tf.exp(x),
    bound: () => 3 * ULP,
  },
  {
    name: 'exp on [-20, 5.54] (general)',
    xs: [...linGrid(-20, 5.54, 300), 5.545, 0, -ULP, ULP],
    op: (p, x) => nl.exp(p, x),
    ref: (x) => tf.exp(x),
    bound: (w) => 3 * ULP + 4e-5 * w,
  },
  {
    name: 'sigmoid on [-2^22, 2^22]',
    xs: [...linGrid(-40, 40, 300), -(2 ** 22) + 1, 2 ** 22 - 1, -1000, 1000, 0, ULP, -ULP],
    op: (p, x) => nl.sigmoid(p, x),
    ref: (x) => tf.sigmoid(x),
    bound: () => 4 * ULP,
  },
  {
    name: 'tanh on [-2^21, 2^21]',
    xs: [...linGrid(-20, 20, 300), -(2 ** 21), 2 ** 21, 0, ULP],
    op: (p, x) => nl.tanh(p, x),
    ref: (x) => tf.tanh(x),
    bound: () => 8 * ULP,
  },
  {
    name: 'reciprocal on [2^-8, 2^20)',
    xs: logGrid(2 ** -8, 2 ** 20 - ULP, 300),
    op: (p, x) => nl.reciprocal(p, x),
    ref: (x) => tf.reciprocal(x),
    bound: (w) => 4 * ULP + 4 * ULP * Math.abs(w),
  },
  {
    name: 'signed reciprocal on ±[2^-8, 2^20)',
    xs: [...logGrid(2 ** -8, 2 ** 20 - ULP, 150), ...logGrid(2 ** -8, 2 ** 20 - ULP, 150).map((v) => -v)],
    op: (p, x) => nl.reciprocal(p, x, { signed: true }),
    ref: (x) => tf.reciprocal(x),
    bound: (w) => 4 * ULP + 4 * ULP * Math.abs(w),
  },
  {
    name: 'reciprocalBounded on [1, 10] (a softmax denominator)',
    xs: [...linGrid(1, 10, 200), 1, 10, 1 + ULP, 10 - ULP],
    op: (p, x) => nl.reciprocalBounded(p, x, 1, 10),
    ref: (x) => tf.reciprocal(x),
    bound: (w) => 2 * ULP + 2 * ULP * Math.abs(w),
  },
  {
    name: 'reciprocalBounded on [0.5, 3]',
    xs: [...linGrid(0.5, 3, 200), 0.5, 3],
    op: (p, x) => nl.reciprocalBounded(p, x, 0.5, 3),
    ref: (x) => tf.reciprocal(x),
    bound: (w) => 2 * ULP + 2 * ULP * Math.abs(w),
  },
  {
    name: 'reciprocalBounded on [1, 1000] (too wide for the iteration: the bit-based reciprocal)',
    xs: [...logGrid(1, 1000, 100), 1, 1000],
    op: (p, x) => nl.reciprocalBounded(p, x, 1, 1000),
    ref: (x) => tf.reciprocal(x),
    bound: (w) => 4 * ULP + 4 * ULP * Math.abs(w),
  },
  {
    name: 'log on [2^-16, 2^20)',
    xs: logGrid(2 ** -16, 2 ** 20 - ULP, 300),
    op: (p, x) => nl.log(p, x),
    ref: (x) => tf.log(x),
    bound: () => 3 * ULP,
  },
];

function check(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  xs: readonly number[],
  what: string,
  bound: (w: number) => number,
) {
  for (let i = 0; i < xs.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    assert.ok(
      e <= bound(want[i]!),
      `${what}: x=${xs[i]} got ${got[i]} want ${want[i]} (error ${(e / ULP).toFixed(2)} ulp)`,
    );
  }
}

for (const proto of ['plaintext', 'rep3', 'additive'] as ProtoName[]) {
  for (const c of cases) {
    test(`${proto}: ${c.name}`, async () => {
      const want = c.ref(tf.tensor1d(c.xs, 'float32')).dataSync();
      const r = await runOp(proto, [{ values: c.xs, shape: [c.xs.length] }], (p, [x]) => c.op(p, x!));
      check(r.values, want, c.xs, `${proto} ${c.name}`, c.bound);
    });
  }

  test(`${proto}: softmax and logSoftmax with K = 1, 2, 3, 10, 64 (rows with large and equal logits)`, async () => {
    for (const K of [1, 2, 3, 10, 64]) {
      const rows = 20;
      const xs: number[] = [];
      for (let i = 0; i < rows * K; i++) xs.push(Math.round(Math.sin(i * 7.31) * 30 * 2 ** 16) / 2 ** 16);
      for (let k = 0; k < K; k++) xs[k] = 3; // a row of equal logits
      if (K > 1) xs[K] = 1000; // a dominant logit
      const x = tf.tensor2d(xs, [rows, K]);
      for (const max of ['tournament', 'pairwise'] as const) {
        const sm = await runOp(proto, [{ values: xs, shape: [rows, K] }], (p, [s]) =>
          nl.softmax(p, s!, { max }),
        );
        assert.equal(sm.shape, [rows, K]);
        check(sm.values, tf.softmax(x).dataSync(), xs, `${proto} softmax K=${K} ${max}`, () => 6 * ULP);
      }
      if (K > 1) {
        const ls = await runOp(proto, [{ values: xs, shape: [rows, K] }], (p, [s]) => nl.logSoftmax(p, s!));
        check(
          ls.values,
          tf.logSoftmax(x).dataSync(),
          xs,
          `${proto} logSoftmax K=${K}`,
          (w) => 6 * ULP + 2e-6 * Math.abs(w),
        );
      }
    }
  });

  test(`${proto}: expNonPositive of a positive x (outside its domain) is 0`, async () => {
    const xs = [ULP, 0.5, 5, 2 ** 20];
    const r = await runOp(proto, [{ values: xs, shape: [xs.length] }], (p, [x]) => nl.expNonPositive(p, x!));
    assert.equal([...r.values], [0, 0, 0, 0]);
  });

  test(`${proto}: divide`, async () => {
    const a = linGrid(-50, 50, 40);
    const b = logGrid(0.01, 1000, 40);
    const r = await runOp(
      proto,
      [
        { values: a, shape: [a.length] },
        { values: b, shape: [b.length] },
      ],
      (p, [x, y]) => nl.divide(p, x!, y!),
    );
    // |a| times reciprocal's bound, plus the product's ulp
    const bound = (v: number, w: number) => ULP + Math.abs(v) * (4 * ULP + 4 * ULP * Math.abs(1 / w));
    a.forEach((v, i) => assert.ok(Math.abs(r.values[i]! - v / b[i]!) <= bound(v, b[i]!), `${v}/${b[i]}`));
  });
}

test('rounds on rep3 (the figures docs/ML.md states)', async () => {
  const one = [{ values: [0.5, -1.5], shape: [2] }];
  const rounds = async (op: (p: Protocol<Share>, x: Share) => Promise<Share>) =>
    (await runOp('rep3', one, (p, [x]) => op(p, x!))).rounds;
  assert.is(await rounds((p, x) => nl.expNonPositive(p, p.mulPublic(x, 0n))), 23);
  assert.is(await rounds((p, x) => nl.expNegAbs(p, x).then((r) => r.value)), 24);
  assert.is(await rounds((p, x) => nl.exp(p, x)), 25);
  assert.is(await rounds((p, x) => nl.sigmoid(p, x)), 32);
  assert.is(await rounds((p, x) => nl.tanh(p, x)), 32);
  assert.is(await rounds((p, x) => nl.reciprocalBounded(p, p.addPublic(x, 1n << 18n), 1, 10)), 10);
  assert.is(await rounds((p, x) => nl.reciprocal(p, x, { signed: true })), 37);
  assert.is(await rounds((p, x) => nl.log(p, p.mulPublic(x, x.shape.length === 1 ? 0n : 0n))), 24);
  const logits = Array.from({ length: 20 }, (_, i) => Math.sin(i));
  const sm = await runOp('rep3', [{ values: logits, shape: [2, 10] }], (p, [x]) =>
    nl.softmax(p, x!, { max: 'pairwise' }),
  );
  assert.is(sm.rounds, 46); // max 13, exp 23, the division 10
  const st = await runOp('rep3', [{ values: logits, shape: [2, 10] }], (p, [x]) => nl.softmax(p, x!));
  assert.is(st.rounds, 73); // the tournament max takes 40
  const ls = await runOp('rep3', [{ values: logits, shape: [2, 10] }], (p, [x]) => nl.logSoftmax(p, x!));
  assert.is(ls.rounds, 87); // 40 + 23 + log's 24
});

for (const proto of ['rep3', 'additive', 'plaintext'] as ProtoName[]) {
  test(`${proto}: rowMax (pairwise) = tf.max, with ties and large values, K from 1 to 17`, async () => {
    for (const K of [1, 2, 3, 4, 7, 10, 16, 17]) {
      const rows = 12;
      const xs = Array.from({ length: rows * K }, (_, i) => Math.round(Math.sin(i * 3.7) * 5) / 2); // many ties
      xs[0] = 2 ** 30; // rows far apart: the keys' differences stay inside the ring
      xs[xs.length - 1] = -(2 ** 30);
      if (K > 1) xs[K] = -(2 ** 30);
      const r = await runOp(proto, [{ values: xs, shape: [3, 4, K] }], (p, [x]) => nl.rowMax(p, x!));
      assert.equal(r.shape, [3, 4, 1]);
      const want = tf.max(tf.tensor3d(xs, [3, 4, K]), -1).dataSync();
      assert.equal(Array.from(r.values), Array.from(want), `${proto} K=${K}`);
    }
  });
}

test("softmax max 'auto': pairwise (fewer rounds) while rows x K^2 is small, the tournament beyond; same values", async () => {
  const K = 10;
  const run = async (rows: number, max: 'auto' | 'pairwise' | 'tournament') => {
    const xs = Array.from({ length: rows * K }, (_, i) => Math.round(Math.sin(i * 1.3) * 8) / 4);
    return runOp('rep3', [{ values: xs, shape: [rows, K] }], (p, [x]) => nl.softmax(p, x!, { max }));
  };
  const small = 4; // 400 comparisons
  const big = Math.floor(nl.AUTO_PAIRWISE_ELEMENTS / (K * K)) + 1; // just past the budget
  const [sa, sp, st] = await Promise.all([
    run(small, 'auto'),
    run(small, 'pairwise'),
    run(small, 'tournament'),
  ]);
  assert.is(sa.rounds, sp.rounds);
  assert.ok(sa.rounds < st.rounds, `auto ${sa.rounds} rounds, tournament ${st.rounds}`);
  // values within the op's bound (truncations are randomised, so runs differ in the last ulps)
  for (let i = 0; i < sp.values.length; i++)
    assert.ok(Math.abs(sa.values[i]! - sp.values[i]!) <= 6 * ULP, `${i}`);
  const [ba, bt] = [await run(big, 'auto'), await run(big, 'tournament')];
  assert.is(ba.rounds, bt.rounds);
  for (let i = 0; i < bt.values.length; i++)
    assert.ok(Math.abs(ba.values[i]! - bt.values[i]!) <= 6 * ULP, `${i}`);
});

test('softmax is along the last axis only', async () => {
  try {
    await runOp('plaintext', [{ values: [1, 2, 3, 4], shape: [2, 2] }], (p, [x]) =>
      nl.softmax(p, x!, { axis: 0 }),
    );
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /last axis/);
  }
});

test('exp, sigmoid and softmax refuse 1 fractional bit (too few for the exponent) with a RangeError', async () => {
  for (const op of [nl.exp, nl.sigmoid, nl.softmax] as const) {
    const err = await runOp(
      'plaintext',
      [{ values: [0.5, 1], shape: [1, 2] }],
      (p, [x]) => op(p, x!, { fractionalBits: 1 }),
      1,
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.ok(err !== undefined, `${op.name} accepted f = 1`);
    assert.match(err.message, /fractional bit is too few/);
  }
});

test.run();
