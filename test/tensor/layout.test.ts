/**
 * slice, concat and broadcastTo on raw word arrays against index-by-index references, over shapes
 * whose copied runs are shorter and longer than the word-by-word threshold, on arrays that are
 * views at an offset into a larger buffer, with words that use all 64 bits.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { broadcastTo, concat, slice } from '../../src/tensor/layout.js';
import { sizeOf, stridesOf, type Shape } from '../../src/tensor/shape.js';

const alloc = (n: number) => new BigUint64Array(n);

/** Deterministic words with high bits set, as a view 3 words into a larger buffer. */
function words(n: number, seed: number): BigUint64Array {
  const backing = new BigUint64Array(n + 5);
  let s = BigInt(seed) | 1n;
  for (let i = 0; i < backing.length; i++) {
    s = BigInt.asUintN(64, s * 6364136223846793005n + 1442695040888963407n);
    backing[i] = s;
  }
  return backing.subarray(3, 3 + n);
}

/** The multi-index of flat position i in `shape`. */
function unflat(i: number, shape: Shape): number[] {
  return stridesOf(shape).map((st, d) => Math.floor(i / st) % shape[d]!);
}

const flat = (idx: number[], shape: Shape) => idx.reduce((a, v, d) => a + v * stridesOf(shape)[d]!, 0);

const SHAPES: Shape[] = [[7], [3, 5], [4, 1, 6], [2, 3, 40], [5, 33], [3, 4, 10]];

test('slice = the reference, every axis, short and long runs', () => {
  for (const [k, shape] of SHAPES.entries()) {
    const data = words(sizeOf(shape), k + 1);
    for (let axis = 0; axis < shape.length; axis++) {
      const dim = shape[axis]!;
      for (const [start, end] of [
        [0, dim],
        [1, dim],
        [0, Math.max(1, dim - 1)],
        [Math.floor(dim / 2), dim],
      ] as const) {
        if (start >= end) continue;
        const got = slice(data, shape, axis, start, end, alloc);
        got.data.forEach((w, i) => {
          const idx = unflat(i, got.shape);
          idx[axis]! += start;
          assert.is(w, data[flat(idx, shape)]!, `shape ${shape} axis ${axis} [${start}, ${end}) at ${i}`);
        });
      }
    }
  }
});

test('concat = the reference, every axis, parts of several widths', () => {
  for (const [k, shape] of SHAPES.entries()) {
    for (let axis = 0; axis < shape.length; axis++) {
      const widths = [1, shape[axis]!, 17];
      const parts = widths.map((w, j) => {
        const s = shape.map((d, a) => (a === axis ? w : d));
        return { data: words(sizeOf(s), 100 * k + j), shape: s };
      });
      const got = concat(parts, axis, alloc);
      got.data.forEach((w, i) => {
        const idx = unflat(i, got.shape);
        let j = 0;
        while (idx[axis]! >= widths[j]!) idx[axis]! -= widths[j++]!;
        assert.is(w, parts[j]!.data[flat(idx, parts[j]!.shape)]!, `shape ${shape} axis ${axis} at ${i}`);
      });
    }
  }
});

test('broadcastTo = the reference, short and long inner rows', () => {
  for (const [from, to] of [
    [
      [1, 5],
      [4, 5],
    ],
    [
      [3, 1],
      [3, 20],
    ],
    [
      [2, 1, 40],
      [2, 3, 40],
    ],
    [[6], [2, 6]],
  ] as [Shape, Shape][]) {
    const data = words(sizeOf(from), 7);
    const got = broadcastTo(data, from, to, alloc);
    got.forEach((w, i) => {
      const idx = unflat(i, to).slice(to.length - from.length);
      assert.is(
        w,
        data[
          flat(
            idx.map((v, d) => (from[d] === 1 ? 0 : v)),
            from,
          )
        ]!,
        `${from} -> ${to} at ${i}`,
      );
    });
  }
});

test.run();
