/**
 * Conformance, fixed-point and generic ops: fixed-point mul/matmul (and a chain of 10 products)
 * against float64 within a bound computed step by step; comparisons, ReLU, max/argmax exactly
 * against the encoded values (comparisons and ReLU also with a `bits` bound); sum/mean; the SharedTensor API against tfjs. Measured rounds and
 * bytes of each generic op equal the cost composed from the primitives' declarations.
 */
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { opCost } from '../../src/protocols/ops/cost.js';
import { eq, ge, gt, le, lt, relu } from '../../src/protocols/ops/compare.js';
import { inputFixed, matmulFixed, mulFixed, revealFixed } from '../../src/protocols/ops/fixed.js';
import { maxArgmax } from '../../src/protocols/ops/max.js';
import { mean } from '../../src/protocols/ops/reduce.js';
import type { Share } from '../../src/protocols/protocol.js';
import { SharedTensor } from '../../src/protocols/shared-tensor.js';
import { decodeFixed, encodeFixed, loadTf, RingTensor } from '../../src/tensor/index.js';
import { costErrors, reals, runAll, sgn } from './conformance-helpers.js';
import type { SuiteConfig } from './conformance-ring.js';

const F = 16;
const ULP = 2 ** -F;

/** Registers the fixed-point and generic-op tests on `t`. */
export function fixedTests(t: Test, cfg: SuiteConfig): void {
  const { make, parties } = cfg;
  const last = parties - 1;

  t('fixed point: 10 successive multiplications and a matmul stay within the stated bound', async () => {
    const n = 32;
    const x0 = reals(n, 1, -1.5, 1.5);
    const ys = Array.from({ length: 10 }, (_, i) => reals(n, 10 + i, -1.25, 1.25));
    const A = reals(6 * 16, 30, -4, 4);
    const B = reals(16 * 5, 31, -4, 4);
    const runs = await runAll(parties, make, async (c) => {
      const p = c.p;
      let x = await inputFixed(p, 0, x0, [n], F);
      for (const [i, y] of ys.entries()) {
        const ys_ = await inputFixed(p, i % parties, y, [n], F);
        x = await c.prim('mulTrunc', n, () => mulFixed(p, x, ys_, F), { bits: F });
      }
      const a = await inputFixed(p, last, A, [6, 16], F);
      const b = await inputFixed(p, 0, B, [16, 5], F);
      const ab = await c.prim('matmulTrunc', 30, () => matmulFixed(p, a, b, F), {
        k: 16,
        n: 5,
        operands: [96, 80],
        bits: F,
      });
      return { chain: await revealFixed(p, x, [0], F), mm: await revealFixed(p, ab, [0], F) };
    });
    assert.equal(costErrors(runs), []);
    const { chain, mm } = runs[0]!.value;
    // Bound, per step: e' = e*|y| + |x|*u/2 + e*u/2 + u (y's encoding error u/2, truncation < u).
    for (let i = 0; i < n; i++) {
      let x = x0[i]!;
      let e = ULP / 2;
      for (const y of ys) {
        e = e * Math.abs(y[i]!) + Math.abs(x) * (ULP / 2) + e * (ULP / 2) + ULP;
        x *= y[i]!;
      }
      assert.ok(
        Math.abs(chain![i]! - x) <= e,
        `chain element ${i}: error ${Math.abs(chain![i]! - x)} > bound ${e}`,
      );
    }
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 5; j++) {
        let want = 0;
        let bound = ULP;
        for (let k = 0; k < 16; k++) {
          want += A[i * 16 + k]! * B[k * 5 + j]!;
          bound += (Math.abs(A[i * 16 + k]!) + Math.abs(B[k * 5 + j]!)) * (ULP / 2) + ULP * ULP;
        }
        assert.ok(
          Math.abs(mm![i * 5 + j]! - want) <= bound,
          `matmul (${i},${j}) off by ${Math.abs(mm![i * 5 + j]! - want)}`,
        );
      }
    }
  });

  t('lt/gt/le/ge/eq against shared and public operands, and relu, are exact (edge values)', async () => {
    const xs = [0, 0, -1, 1, ULP, -ULP, 2.5, -2.5, 1e9, -1e9, 3, 7.25, 2 ** 40, -(2 ** 40), 5, -0.5];
    const ys = [
      0,
      ULP,
      -1,
      1 + ULP,
      0,
      0,
      -2.5,
      2.5,
      -1e9,
      1e9,
      3,
      7.25 - ULP,
      2 ** 40 - 1,
      2 ** 40,
      5,
      -0.25,
    ];
    const n = xs.length;
    const pub = encodeFixed([0.75], [], F);
    const runs = await runAll(parties, make, async (c) => {
      const p = c.p;
      const x = await inputFixed(p, 0, xs, [n], F);
      const y = await inputFixed(p, last, ys, [n], F);
      const out: bigint[][] = [];
      for (const [name, f] of [
        ['lt', lt],
        ['gt', gt],
        ['le', le],
        ['ge', ge],
        ['eq', eq],
      ] as const) {
        const want = opCost(p, name, n);
        out.push((await c.open(await c.costed(name, want, () => f(p, x, y)))).toBigInts());
        out.push((await c.open(await c.costed(`${name} public`, want, () => f(p, x, pub)))).toBigInts());
      }
      out.push((await c.open(await c.costed('relu', opCost(p, 'relu', n), () => relu(p, x)))).toBigInts());
      // The same with a bound every difference here keeps (|x - y| < 2^58 encoded): bits 63.
      const bits = 63;
      for (const [name, f] of [
        ['lt', lt],
        ['gt', gt],
        ['le', le],
        ['ge', ge],
      ] as const) {
        const want = opCost(p, name, n, 1, F, bits);
        out.push(
          (await c.open(await c.costed(`${name} bounded`, want, () => f(p, x, y, { bits })))).toBigInts(),
        );
      }
      const wantRelu = opCost(p, 'relu', n, 1, F, bits);
      out.push(
        (await c.open(await c.costed('relu bounded', wantRelu, () => relu(p, x, { bits })))).toBigInts(),
      );
      return out;
    });
    assert.equal(costErrors(runs), []);
    const ex = encodeFixed(xs, [n], F).toSignedBigInts();
    const ey = encodeFixed(ys, [n], F).toSignedBigInts();
    const ep = sgn(pub.data[0]!);
    const b = (v: boolean): bigint => (v ? 1n : 0n);
    const rels: ((a: bigint, c: bigint) => boolean)[] = [
      (a, c) => a < c,
      (a, c) => a > c,
      (a, c) => a <= c,
      (a, c) => a >= c,
      (a, c) => a === c,
    ];
    for (const run of runs) {
      rels.forEach((r, k) => {
        assert.equal(
          run.value[2 * k],
          ex.map((a, i) => b(r(a, ey[i]!))),
          `relation ${k} vs shared`,
        );
        assert.equal(
          run.value[2 * k + 1],
          ex.map((a) => b(r(a, ep))),
          `relation ${k} vs public`,
        );
      });
      assert.equal(
        run.value[10],
        ex.map((a) => BigInt.asUintN(64, a > 0n ? a : 0n)),
        'relu',
      );
      for (let k = 0; k < 4; k++) assert.equal(run.value[11 + k], run.value[2 * k], `relation ${k}, bits 63`);
      assert.equal(run.value[15], run.value[10], 'relu, bits 63');
    }
  });

  t('lt and relu on many values (several packed words, n not a multiple of 64)', async () => {
    for (const n of [65, 333, 1000]) {
      const xs = reals(n, 90 + n, -1e6, 1e6).map((v, i) => (i % 5 === 0 ? v * 1e-6 : v));
      const ys = reals(n, 91 + n, -1e6, 1e6).map((v, i) => (i % 7 === 0 ? xs[i]! : v));
      const runs = await runAll(parties, make, async (c) => {
        const p = c.p;
        const x = await inputFixed(p, 0, xs, [n], F);
        const y = await inputFixed(p, last, ys, [n], F);
        const l = await c.costed('lt', opCost(p, 'lt', n), () => lt(p, x, y));
        const r = await c.costed('relu', opCost(p, 'relu', n), () => relu(p, x));
        return [(await c.open(l)).toBigInts(), (await c.open(r)).toBigInts()];
      });
      assert.equal(costErrors(runs), []);
      const ex = encodeFixed(xs, [n], F).toSignedBigInts();
      const ey = encodeFixed(ys, [n], F).toSignedBigInts();
      const [l, r] = runs[0]!.value;
      assert.equal(
        l,
        ex.map((a, i) => (a < ey[i]! ? 1n : 0n)),
        `lt on ${n} values`,
      );
      assert.equal(
        r,
        ex.map((a) => BigInt.asUintN(64, a > 0n ? a : 0n)),
        `relu on ${n} values`,
      );
    }
  });

  t('sum, mean, max and argmax along axes (odd lengths, ties keep the first index)', async () => {
    const shape = [3, 5];
    const v = [1, 9, 9, -2, 0.5, -7, -7, -7, -7, -7, 0, 3.25, -1, 3.25, 2];
    const w = reals(2 * 7 * 3, 5, -100, 100);
    const runs = await runAll(parties, make, async (c) => {
      const p = c.p;
      const x = await inputFixed(p, 0, v, shape, F);
      const y = await inputFixed(p, last, w, [2, 7, 3], F);
      const res: { max: bigint[]; arg: bigint[]; shape: number[] }[] = [];
      for (const [t_, axis, rows, len] of [
        [x, 1, 3, 5],
        [x, 0, 5, 3],
        [y, 1, 6, 7],
        [y, -1, 14, 3],
      ] as [Share, number, number, number][]) {
        const r = await c.costed('argmax', opCost(p, 'argmax', rows, len), () =>
          maxArgmax(p, t_, axis, { withIndex: true }),
        );
        const m = await c.costed('max', opCost(p, 'max', rows, len), () => maxArgmax(p, t_, axis));
        const mv = (await c.open(m.max)).toBigInts();
        assert.equal((await c.open(r.max)).toBigInts(), mv, 'max with and without index agree');
        res.push({ max: mv, arg: (await c.open(r.argmax!)).toBigInts(), shape: [...m.max.shape] });
      }
      const s1 = (await c.open(await c.local('sum', () => p.sum(x, 1)))).toBigInts();
      const m0 = await revealFixed(
        p,
        await c.costed('mean', opCost(p, 'mean', 5, 3, F), () => mean(p, x, 0, F)),
        [0],
        F,
      );
      const mAll = await revealFixed(p, await mean(p, y, undefined, F), [0], F);
      return { res, s1, m0, mAll };
    });
    assert.equal(costErrors(runs), []);
    const ring = (vals: number[], sh: number[]): RingTensor => encodeFixed(vals, sh, F);
    const cases: [RingTensor, number][] = [
      [ring(v, shape), 1],
      [ring(v, shape), 0],
      [ring(w, [2, 7, 3]), 1],
      [ring(w, [2, 7, 3]), 2],
    ];
    const { res, s1, m0, mAll } = runs[0]!.value;
    cases.forEach(([tensor, axis], i) => {
      const want = refMaxArgmax(tensor, axis);
      assert.equal(res[i]!.max, want.max, `max case ${i}`);
      assert.equal(res[i]!.arg, want.arg, `argmax case ${i}`);
      assert.equal(res[i]!.shape, want.shape, `max shape case ${i}`);
    });
    assert.equal(s1, ring(v, shape).sum(1).toBigInts(), 'sum along axis 1 (exact)');
    // mean error bound: |mean| * 2^-(f+1) + 1 ulp (ops/reduce.ts), plus encoding error of inputs.
    const decoded = decodeFixed(ring(v, shape), F);
    for (let j = 0; j < 5; j++) {
      const want = (decoded[j]! + decoded[5 + j]! + decoded[10 + j]!) / 3;
      assert.ok(Math.abs(m0![j]! - want) <= Math.abs(want) * 2 ** -(F + 1) + ULP, `mean axis 0 col ${j}`);
    }
    const dw = decodeFixed(ring(w, [2, 7, 3]), F);
    const meanW = dw.reduce((a, b) => a + b, 0) / dw.length;
    assert.ok(Math.abs(mAll![0]! - meanW) <= Math.abs(meanW) * 2 ** -(F + 1) + ULP, 'mean of all');
  });

  t('SharedTensor: x.matmul(w).add(b).relu() and comparisons match tfjs', async () => {
    const tf = await loadTf();
    const xv = reals(4 * 6, 50, -3, 3);
    const wv = reals(6 * 3, 51, -2, 2);
    const bv = [0.5, -1, 2];
    const xs = tf.tensor(xv, [4, 6]);
    const ws = tf.tensor(wv, [6, 3]);
    const b = tf.tensor(bv);
    const runs = await runAll(parties, make, async (c) => {
      const x = await SharedTensor.input(c.p, 0, c.s.self === 0 ? xs : undefined, [4, 6]);
      const w = await SharedTensor.input(c.p, last, c.s.self === last ? ws : undefined, [6, 3]);
      const y = await x.matmul(w).add(b).relu().reveal([last]);
      const m = await x.max(1).reveal([last]);
      const am = await x.argMax(1).reveal([last]);
      const gt = await x.gt(0.5).reveal([last]);
      const notLast = await x.reveal([0]);
      return {
        y: y?.arraySync() as number[][] | undefined,
        m: m?.arraySync() as number[] | undefined,
        am: am?.arraySync() as number[] | undefined,
        gt: gt?.arraySync() as number[][] | undefined,
        got: notLast !== undefined,
      };
    });
    const want = tf.relu(xs.matMul(ws).add(b)).arraySync() as number[][];
    const r = runs[last]!.value;
    want.forEach((row, i) =>
      row.forEach((v, j) =>
        assert.ok(Math.abs(r.y![i]![j]! - v) <= 6 * 5 * ULP + 1e-4, `relu(xw+b) (${i},${j})`),
      ),
    );
    assert.equal(r.am, xs.argMax(1).arraySync(), 'argMax');
    (xs.max(1).arraySync() as number[]).forEach((v, i) =>
      assert.ok(Math.abs(r.m![i]! - v) <= ULP, `max ${i}`),
    );
    assert.equal(r.gt, xs.greater(0.5).cast('int32').arraySync() as number[][], 'gt');
    runs.forEach((run, party) => {
      assert.is(run.value.got, party === 0, `party ${party}: reveal([0]) gives a tensor only on party 0`);
      if (party !== last) assert.is(run.value.y, undefined, `party ${party} must not get the result`);
    });
  });
}

function refMaxArgmax(t: RingTensor, axis: number): { max: bigint[]; arg: bigint[]; shape: number[] } {
  const ax = axis < 0 ? axis + t.rank : axis;
  const len = t.shape[ax]!;
  const outer = t.shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = t.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const v = t.toSignedBigInts();
  const max: bigint[] = [];
  const arg: bigint[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = v[o * len * inner + i]!;
      let bi = 0;
      for (let j = 1; j < len; j++) {
        const x = v[(o * len + j) * inner + i]!;
        if (x > best) {
          best = x;
          bi = j;
        }
      }
      max.push(BigInt.asUintN(64, best));
      arg.push(BigInt(bi));
    }
  }
  return { max, arg, shape: t.shape.filter((_, i) => i !== ax) };
}
