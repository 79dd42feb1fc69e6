/** RingTensor ops on every available kernel against the BigInt oracle, plus algebraic laws. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { availableKernels, RingTensor, setKernel, type KernelName } from '../../src/tensor/index.js';
import { EDGES, M, MOD, matmulRef, randomWords, signed } from '../helpers/bigint-ref.js';

const kernels = availableKernels();

test('the reference kernel is always available', () => {
  assert.ok(kernels.includes('reference'));
});

const eq = (t: RingTensor, expected: bigint[], msg: string) => assert.equal(t.toBigInts(), expected, msg);

for (const name of kernels) {
  const use = () => setKernel(name as KernelName);

  test(`[${name}] bitwise ops with a public word, across chunk boundaries and in place`, () => {
    use();
    for (const n of [0, 5, 16384, 40001]) {
      const av = randomWords(n, n + 7);
      const a = RingTensor.fromBigInts(av);
      for (const w of [0n, 1n, (1n << 63n) | 5n, MOD - 1n, -3n]) {
        const v = M(w);
        eq(
          a.and(w),
          av.map((x) => x & v),
          `and ${w} n=${n}`,
        );
        eq(
          a.or(w),
          av.map((x) => x | v),
          `or ${w} n=${n}`,
        );
        eq(
          a.xor(w),
          av.map((x) => x ^ v),
          `xor ${w} n=${n}`,
        );
      }
      const inPlace = RingTensor.fromBigInts(av);
      inPlace.xor(7n, inPlace);
      eq(
        inPlace,
        av.map((x) => x ^ 7n),
        `xor in place n=${n}`,
      );
    }
  });

  test(`[${name}] elementwise ops equal BigInt on random and edge values`, () => {
    use();
    for (const n of [0, 1, 2, 3, 7, 64, 65, 1001]) {
      const av = randomWords(n, n + 1);
      const bv = randomWords(n, n + 99);
      const a = RingTensor.fromBigInts(av);
      const b = RingTensor.fromBigInts(bv);
      eq(
        a.add(b),
        av.map((x, i) => M(x + bv[i]!)),
        `add n=${n}`,
      );
      eq(
        a.sub(b),
        av.map((x, i) => M(x - bv[i]!)),
        `sub n=${n}`,
      );
      eq(
        a.mul(b),
        av.map((x, i) => M(x * bv[i]!)),
        `mul n=${n}`,
      );
      eq(
        a.mulAdd(b, a),
        av.map((x, i) => M(x * bv[i]! + x)),
        `mulAdd n=${n}`,
      );
      eq(
        a.neg(),
        av.map((x) => M(-x)),
        `neg n=${n}`,
      );
      eq(
        a.and(b),
        av.map((x, i) => x & bv[i]!),
        `and n=${n}`,
      );
      eq(
        a.or(b),
        av.map((x, i) => x | bv[i]!),
        `or n=${n}`,
      );
      eq(
        a.xor(b),
        av.map((x, i) => x ^ bv[i]!),
        `xor n=${n}`,
      );
      eq(
        a.not(),
        av.map((x) => M(~x)),
        `not n=${n}`,
      );
      for (const s of [0n, 1n, MOD - 1n, 1n << 63n, 12345678901234567n]) {
        eq(
          a.add(s),
          av.map((x) => M(x + s)),
          `addScalar n=${n}`,
        );
        eq(
          a.sub(s),
          av.map((x) => M(x - s)),
          `subScalar n=${n}`,
        );
        eq(
          a.mul(s),
          av.map((x) => M(x * s)),
          `mulScalar n=${n}`,
        );
        eq(
          a.xor(s),
          av.map((x) => x ^ s),
          `xorScalar n=${n}`,
        );
        eq(
          a.and(s),
          av.map((x) => x & s),
          `andScalar n=${n}`,
        );
      }
      for (const k of [0, 1, 16, 31, 32, 63]) {
        const K = BigInt(k);
        eq(
          a.shl(k),
          av.map((x) => M(x << K)),
          `shl ${k} n=${n}`,
        );
        eq(
          a.shr(k),
          av.map((x) => x >> K),
          `shr ${k} n=${n}`,
        );
        eq(
          a.sar(k),
          av.map((x) => M(signed(x) >> K)),
          `sar ${k} n=${n}`,
        );
      }
    }
  });

  test(`[${name}] edge values pairwise`, () => {
    use();
    const av: bigint[] = [];
    const bv: bigint[] = [];
    for (const x of EDGES) {
      for (const y of EDGES) {
        av.push(x);
        bv.push(y);
      }
    }
    const a = RingTensor.fromBigInts(av);
    const b = RingTensor.fromBigInts(bv);
    eq(
      a.mul(b),
      av.map((x, i) => M(x * bv[i]!)),
      'mul',
    );
    eq(
      a.add(b),
      av.map((x, i) => M(x + bv[i]!)),
      'add',
    );
    eq(
      a.sub(b),
      av.map((x, i) => M(x - bv[i]!)),
      'sub',
    );
  });

  test(`[${name}] out may alias an input`, () => {
    use();
    const av = randomWords(33, 5);
    const bv = randomWords(33, 6);
    const a = RingTensor.fromBigInts(av);
    const b = RingTensor.fromBigInts(bv);
    a.mul(b, a);
    eq(
      a,
      av.map((x, i) => M(x * bv[i]!)),
      'mul in place',
    );
    b.mulAdd(b, b, b);
    eq(
      b,
      bv.map((x) => M(x * x + x)),
      'mulAdd fully aliased',
    );
  });

  test(`[${name}] matmul equals BigInt, 2-D and batched, odd and unit dimensions`, () => {
    use();
    for (const [m, k, n] of [
      [1, 1, 1],
      [1, 5, 1],
      [3, 1, 4],
      [2, 3, 4],
      [7, 9, 5],
      [17, 33, 65],
      [64, 64, 64],
      [0, 3, 2],
    ] as const) {
      const av = randomWords(m * k, m + k);
      const bv = randomWords(k * n, k + n + 3);
      const r = RingTensor.fromBigInts(av, [m, k]).matmul(RingTensor.fromBigInts(bv, [k, n]));
      assert.equal(r.shape, [m, n]);
      eq(r, matmulRef(av, bv, m, k, n), `matmul ${m}x${k}x${n}`);
    }
    // batched [2,3,4]·[2,4,5] and broadcast right operand [2,3,4]·[4,5]
    const av = randomWords(24, 11);
    const bv = randomWords(40, 12);
    const b2 = randomWords(20, 13);
    const A = RingTensor.fromBigInts(av, [2, 3, 4]);
    const batched = A.matmul(RingTensor.fromBigInts(bv, [2, 4, 5]));
    assert.equal(batched.shape, [2, 3, 5]);
    eq(
      batched,
      [
        ...matmulRef(av.slice(0, 12), bv.slice(0, 20), 3, 4, 5),
        ...matmulRef(av.slice(12), bv.slice(20), 3, 4, 5),
      ],
      'batched',
    );
    const shared = A.matmul(RingTensor.fromBigInts(b2, [4, 5]));
    eq(
      shared,
      [...matmulRef(av.slice(0, 12), b2, 3, 4, 5), ...matmulRef(av.slice(12), b2, 3, 4, 5)],
      'batched x 2-D',
    );
    assert.throws(() => A.matmul(RingTensor.fromBigInts(b2, [5, 4])), /inner dimensions/);
  });

  test(`[${name}] algebraic laws (property)`, () => {
    use();
    const word = fc.bigInt({ min: 0n, max: MOD - 1n });
    const vec = fc.array(fc.tuple(word, word, word), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(vec, (rows) => {
        const a = RingTensor.fromBigInts(rows.map((r) => r[0]));
        const b = RingTensor.fromBigInts(rows.map((r) => r[1]));
        const c = RingTensor.fromBigInts(rows.map((r) => r[2]));
        return (
          a.add(b).equals(b.add(a)) &&
          a.mul(b).equals(b.mul(a)) &&
          a.mul(b.add(c)).equals(a.mul(b).add(a.mul(c))) &&
          a.add(b).sub(b).equals(a) &&
          a.add(a.neg()).equals(RingTensor.zeros(a.shape)) &&
          a.xor(b).xor(b).equals(a) &&
          a.shl(3).equals(a.mul(8n))
        );
      }),
      { numRuns: 60 },
    );
  });
}

test('broadcasting follows tfjs rules', () => {
  setKernel('reference');
  const a = RingTensor.fromBigInts([1n, 2n, 3n, 4n, 5n, 6n], [2, 3]);
  eq(a.add(RingTensor.fromBigInts([10n, 20n, 30n], [3])), [11n, 22n, 33n, 14n, 25n, 36n], 'row');
  eq(a.mul(RingTensor.fromBigInts([2n, 3n], [2, 1])), [2n, 4n, 6n, 12n, 15n, 18n], 'column');
  assert.throws(() => a.add(RingTensor.fromBigInts([1n, 2n], [2])), /do not broadcast/);
});

test('layout: transpose, reshape, slice, concat, sum, im2col', () => {
  setKernel('reference');
  const v = randomWords(24, 3);
  const t = RingTensor.fromBigInts(v, [2, 3, 4]);
  const tt = t.transpose([2, 0, 1]);
  assert.equal(tt.shape, [4, 2, 3]);
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 3; j++)
      for (let k = 0; k < 4; k++) assert.is(tt.data[k * 6 + i * 3 + j], v[i * 12 + j * 4 + k]);
  const m = RingTensor.fromBigInts(randomWords(35 * 70, 4), [35, 70]);
  assert.ok(m.transpose().transpose().equals(m), '2-D blocked transpose round-trips');
  assert.is(m.transpose().data[1 * 35 + 2], m.data[2 * 70 + 1]);
  assert.equal(t.reshape([6, -1]).shape, [6, 4]);
  assert.throws(() => t.reshape([5, 5]), /cannot reshape/);
  const s = t.slice(1, 1, 3);
  assert.equal(s.shape, [2, 2, 4]);
  assert.equal(s.toBigInts(), [...v.slice(4, 12), ...v.slice(16, 24)]);
  assert.throws(() => t.slice(1, 2, 4), /out of range/);
  assert.ok(RingTensor.concat([t.slice(1, 0, 1), t.slice(1, 1, 3)], 1).equals(t), 'concat undoes slice');
  assert.throws(() => RingTensor.concat([t, m], 0), /concat/);
  const sum1 = t.sum(1);
  assert.equal(sum1.shape, [2, 4]);
  assert.is(sum1.data[5], M(v[12 + 1]! + v[16 + 1]! + v[20 + 1]!));
  assert.equal(t.sum(0, true).shape, [1, 3, 4]);
  assert.equal(t.sum().toBigInts(), [M(v.reduce((x, y) => x + y, 0n))]);
  // im2col: 1x3x3x1 input, 2x2 kernel, valid -> 4 patches of 4
  const img = RingTensor.fromBigInts([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n], [1, 3, 3, 1]);
  const { patches, oh, ow } = img.im2col({ kernelSize: [2, 2] });
  assert.equal([oh, ow], [2, 2]);
  assert.equal(patches.toBigInts(), [1n, 2n, 4n, 5n, 2n, 3n, 5n, 6n, 4n, 5n, 7n, 8n, 5n, 6n, 8n, 9n]);
  const same = img.im2col({ kernelSize: [3, 3], padding: 'same' });
  assert.equal([same.oh, same.ow, ...same.patches.shape], [3, 3, 9, 9]);
  assert.equal(same.patches.toBigInts().slice(0, 9), [0n, 0n, 0n, 0n, 1n, 2n, 0n, 4n, 5n]);
});

test('bad shapes and data are clear errors', () => {
  assert.throws(() => new RingTensor([2, -1]), /shape\[1\]/);
  assert.throws(() => new RingTensor([2, 2], new BigUint64Array(3)), /needs 4 words/);
  assert.throws(() => RingTensor.fromBigInts([1n, 2n], [3]), /do not fill/);
  assert.throws(() => RingTensor.fromBigInts([1n]).shl(64), /shift amount/);
});

test.run();
