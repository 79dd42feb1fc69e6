/** Fixed-point encoding: round trips within 2^-f, negatives, range limits, NaN/Infinity, tfjs tensors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFixed, encodeFixed, fixedPointLimit, loadTf, RingTensor } from '../../src/tensor/index.js';

test('round-trips within 2^-(f+1) for float64 input, many magnitudes and f', () => {
  for (const f of [0, 8, 16, 20, 30]) {
    const limit = fixedPointLimit(f);
    const xs: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const mag = 10 ** ((i % 13) - 6);
      xs.push(Math.sin(i * 12.9898) * mag * (i % 2 ? 1 : -1));
    }
    xs.push(0, -0, 1, -1, 2 ** -f, -(2 ** -f), limit / 2, -limit / 2, -limit);
    const t = encodeFixed(xs, [xs.length], f);
    const back = decodeFixed(t, f);
    for (let i = 0; i < xs.length; i++) {
      const err = Math.abs(back[i]! - xs[i]!);
      // exact rounding, plus float64 precision of the decode for huge magnitudes
      assert.ok(err <= 2 ** -(f + 1) + Math.abs(xs[i]!) * 2 ** -52, `f=${f} i=${i} err=${err}`);
    }
  }
});

test("negatives are two's complement words", () => {
  const t = encodeFixed([-1, -0.5, 1.5], [3], 16);
  assert.equal(t.toSignedBigInts(), [-65536n, -32768n, 98304n]);
  assert.equal(t.data[0], (1n << 64n) - 65536n);
});

test('words beyond 2^53 between ordinary ones, from every kind of array', () => {
  const xs = [1, 2 ** 40 + 0.25, -2, -(2 ** 45), 0.5, 2 ** 37, -3.75];
  const want = xs.map((x) => BigInt(Math.round(x * 65536)));
  for (const arr of [xs, Float64Array.from(xs), Float32Array.from([1, -2, 0.5, -3.75])]) {
    const got = encodeFixed(arr, [arr.length], 16).toSignedBigInts();
    const ref = arr.length === xs.length ? want : [65536n, -131072n, 32768n, -245760n];
    assert.equal(got, ref);
  }
});

test('rounds to nearest', () => {
  const t = encodeFixed([0.3 / 65536, 0.7 / 65536, -0.7 / 65536], [3], 16);
  assert.equal(t.toSignedBigInts(), [0n, 1n, -1n]);
});

test('out of range, NaN and Infinity are RangeErrors naming the index, never the value', () => {
  const f = 16;
  const limit = fixedPointLimit(f);
  assert.throws(
    () => encodeFixed([0, 1, limit], [3], f),
    (e: Error) =>
      e instanceof RangeError && /element 2 /.test(e.message) && !e.message.includes(String(limit)),
  );
  assert.throws(() => encodeFixed([0, -limit * 1.0001], [2], f), /element 1 is outside/);
  assert.throws(() => encodeFixed([NaN], [1], f), /element 0 is NaN/);
  assert.throws(() => encodeFixed([1, 2, -Infinity], [3], f), /element 2 is infinite/);
  assert.throws(() => encodeFixed([1], [1], 63), /fractional bits/);
  // the largest representable magnitudes encode exactly at the boundary
  const edge = encodeFixed([-limit], [1], f);
  assert.equal(edge.data[0], 1n << 63n);
});

test('encodes and decodes tfjs tensors', async () => {
  const tf = await loadTf();
  const x = tf.tensor2d([
    [1.25, -2.5],
    [3.75, -1e-3],
  ]);
  const t = encodeFixed(x);
  assert.ok(t instanceof RingTensor);
  assert.equal(t.shape, [2, 2]);
  const back = decodeFixed(t);
  const orig = x.dataSync();
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(back[i]! - orig[i]!) <= 2 ** -17);
  x.dispose();
});

test.run();
