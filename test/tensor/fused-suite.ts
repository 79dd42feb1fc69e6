/**
 * The conformance suite of the fused rep3 ops (kernel.ts FusedOps), shared by the per-kernel test
 * files: each op against the reference kernel's literal loops, on odd lengths, every lane width,
 * shifts and truncation widths on each side of the lane edges, edge values, outputs that are the
 * very same arrays as inputs, and lane arrays at odd byte offsets. The reference loops are
 * themselves checked against the chains of elementwise ops the protocols ran before
 * (fused-composed.ts over the reference kernel), so every kernel is held to the old results.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FusedOps, LaneWidth, RingKernel } from '../../src/tensor/kernel.js';
import { composedFused } from '../../src/tensor/kernels/fused-composed.js';
import { referenceKernel } from '../../src/tensor/kernels/reference.js';

const MAX = (1n << 64n) - 1n;
const EDGES = [
  0n,
  1n,
  2n,
  (1n << 16n) - 1n,
  1n << 32n,
  (1n << 62n) - 1n,
  1n << 62n,
  (1n << 63n) - 1n,
  1n << 63n,
  MAX,
];
/** Odd and even lengths around the SIMD widths. */
export const FUSED_LENGTHS = [0, 1, 2, 3, 5, 7, 8, 9, 15, 17, 31, 33, 64, 65, 1001];
const LANES: LaneWidth[] = [1, 2, 4, 8];
/** Truncation widths on each side of every lane edge (as the protocol conformance suite). */
const BITS = [0, 1, 8, 9, 16, 17, 30, 33, 62];

/** Deterministic words (splitmix64) with an edge value at about one index in four. */
export function fusedWords(n: number, seed: number): BigUint64Array {
  const out = new BigUint64Array(n);
  let s = BigInt(seed) * 0x9e37_79b9_7f4a_7c15n;
  for (let i = 0; i < n; i++) {
    s = BigInt.asUintN(64, s + 0x9e37_79b9_7f4a_7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58_476d_1ce4_e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d0_49bb_1331_11ebn);
    z ^= z >> 31n;
    out[i] = (z & 3n) === 0n ? EDGES[Number((z >> 8n) % BigInt(EDGES.length))]! : z;
  }
  return out;
}

/** `count` bytes at byte offset `at` of a fresh buffer (odd offsets test unaligned lanes). */
function bytes(count: number, seed: number, at = 0): Uint8Array {
  const w = fusedWords(Math.ceil((count + at) / 8) + 1, seed);
  return new Uint8Array(w.buffer, at, count);
}

function expectSame(
  actual: ArrayLike<bigint | number>,
  expected: ArrayLike<bigint | number>,
  label: string,
): void {
  assert.is(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i])
      assert.unreachable(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

/** How a suite places word operands: plain arrays, or the kernel's own (resident) memory. */
export interface FusedSuiteOptions {
  /** Copies words where the kernel under test wants them (default: plain arrays). */
  place?: (a: BigUint64Array) => BigUint64Array;
  /** Wraps each test (e.g. to set a dispatch level); runs `fn` once by default. */
  around?: (fn: () => void) => void;
}

const ref = referenceKernel();
const chain = composedFused(ref);

/** Runs every fused op of `k` and of the old chains against the reference loops, on one setting. */
export function checkFused(k: FusedOps, place: (a: BigUint64Array) => BigUint64Array, label: string): void {
  for (const n of FUSED_LENGTHS) {
    const w = (seed: number) => place(fusedWords(n, n * 31 + seed));
    const [x0, x1, y0, y1, p, m] = [w(1), w(2), w(3), w(4), w(5), w(6)];
    for (const shift of [0, 1, 16, 47, 63]) {
      for (const [plus, minus] of [
        [p, m],
        [p, null],
        [null, m],
        [null, null],
      ] as const) {
        const want = new BigUint64Array(n);
        ref.mulAdd3(x0, x1, y0, y1, plus, minus, want, shift);
        const viaChain = new BigUint64Array(n);
        chain.mulAdd3(x0, x1, y0, y1, plus, minus, viaChain, shift);
        expectSame(viaChain, want, `${label} chain mulAdd3 n=${n}`);
        const got = place(new BigUint64Array(n));
        k.mulAdd3(x0, x1, y0, y1, plus, minus, got, shift);
        expectSame(got, want, `${label} mulAdd3 n=${n} shift=${shift}`);
        // out === each input in turn
        const args = [x0, x1, y0, y1, plus, minus];
        for (let which = 0; which < 6; which++) {
          const a = args.map((v) => (v === null ? null : place(new BigUint64Array(v))));
          const out = a[which];
          if (out === null || out === undefined) continue;
          k.mulAdd3(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, out, shift);
          expectSame(out, want, `${label} mulAdd3 n=${n} out=operand ${which}`);
        }
      }
    }
    for (const s of [0n, 1n, 1n << 48n, MAX, -(1n << 70n) - 3n]) {
      const want = new BigUint64Array(n);
      ref.subMulScalar(x0, x1, s, want);
      const direct = x0.map((v, i) => BigInt.asUintN(64, v - x1[i]! * s));
      expectSame(want, direct, `${label} reference subMulScalar`);
      const fresh = place(new BigUint64Array(n));
      k.subMulScalar(x0, x1, s, fresh);
      expectSame(fresh, want, `${label} subMulScalar n=${n} s=${s}`);
      const a = place(new BigUint64Array(x0));
      k.subMulScalar(a, x1, s, a);
      expectSame(a, want, `${label} subMulScalar n=${n} out=a`);
      const b = place(new BigUint64Array(x1));
      k.subMulScalar(x0, b, s, b);
      expectSame(b, want, `${label} subMulScalar n=${n} out=b`);
    }
    for (const lane of LANES) {
      for (const at of [0, 3]) checkLanes(k, place, n, lane, at, `${label} n=${n} lane=${lane} at=${at}`);
    }
  }
}

function checkLanes(
  k: FusedOps,
  place: (a: BigUint64Array) => BigUint64Array,
  n: number,
  lane: LaneWidth,
  at: number,
  label: string,
): void {
  const w = (seed: number) => place(fusedWords(n, n * 17 + lane * 5 + seed));
  for (const shift of [0, 1, 47, 63]) {
    const c = w(1);
    const v = bytes(2 * n * lane, 2, at);
    const want = new Uint8Array(n * lane);
    ref.selectLanes(c, shift, v, lane, want);
    const viaChain = new Uint8Array(n * lane);
    chain.selectLanes(c, shift, v, lane, viaChain);
    expectSame(viaChain, want, `${label} chain selectLanes`);
    const got = bytes(n * lane, 9, at).fill(7);
    k.selectLanes(c, shift, v, lane, got);
    expectSame(got, want, `${label} selectLanes shift=${shift}`);

    const t = w(3);
    const other = bytes(n * lane, 4, at);
    const s = 1n << BigInt(64 - Math.min(63, 8 * lane));
    const wantU = new BigUint64Array(n);
    ref.unwrapLanes(t, shift, v, other, lane, s, wantU);
    const chainU = new BigUint64Array(n);
    chain.unwrapLanes(t, shift, v, other, lane, s, chainU);
    expectSame(chainU, wantU, `${label} chain unwrapLanes`);
    const fresh = place(new BigUint64Array(n));
    k.unwrapLanes(t, shift, v, other, lane, s, fresh);
    expectSame(fresh, wantU, `${label} unwrapLanes shift=${shift}`);
    const inPlace = place(new BigUint64Array(t));
    k.unwrapLanes(inPlace, shift, v, other, lane, s, inPlace);
    expectSame(inPlace, wantU, `${label} unwrapLanes shift=${shift} out=t`);
  }
  for (const bits of BITS) {
    const [z, z2, r, ra, rb] = [w(11), w(12), w(13), w(14), w(15)];
    const [k1, k2] = [bytes(2 * n * lane, 16, at), bytes(2 * n * lane, 17, at)];
    const run = (
      f: FusedOps,
      alias: 'none' | 'z' | 'r',
    ): [BigUint64Array, Uint8Array, Uint8Array, BigUint64Array, BigUint64Array] => {
      const [zz, rr] = [place(new BigUint64Array(z)), place(new BigUint64Array(r))];
      const t0 = place(new BigUint64Array(n));
      const [m1, m2] = [bytes(2 * n * lane, 18, at), bytes(2 * n * lane, 19, at)];
      const cur = alias === 'z' ? zz : place(new BigUint64Array(n));
      const prev = alias === 'r' ? rr : alias === 'z' ? rr : place(new BigUint64Array(n));
      f.wrapSend(zz, z2, rr, ra, rb, k1, k2, bits, lane, t0, m1, m2, cur, prev);
      return [t0, m1, m2, cur, prev];
    };
    const want = run(ref, 'none');
    const names = ['t0', 'msg1', 'msg2', 'cur', 'prev'];
    run(chain, 'none').forEach((x, i) => expectSame(x, want[i]!, `${label} chain wrapSend ${names[i]}`));
    for (const alias of ['none', 'z', 'r'] as const) {
      run(k, alias).forEach((x, i) =>
        expectSame(x, want[i]!, `${label} wrapSend bits=${bits} ${names[i]} alias=${alias}`),
      );
    }
  }
}

/** Registers the fused-op tests of kernel `k` (named `name`). */
export function fusedSuite(name: string, k: RingKernel, opts: FusedSuiteOptions = {}): void {
  const place = opts.place ?? ((a: BigUint64Array) => a);
  const around = opts.around ?? ((fn: () => void) => fn());
  test(`[${name}] fused ops equal the reference loops and the old chains`, () => {
    around(() => checkFused(k, place, name));
  });
  test(`[${name}] fused ops: length and lane errors are RangeErrors`, () => {
    const [a, b] = [new BigUint64Array(4), new BigUint64Array(5)];
    const isRange = (e: unknown) => e instanceof RangeError;
    assert.throws(() => k.mulAdd3(a, a, a, a, null, null, b, 0), isRange);
    assert.throws(() => k.mulAdd3(a, a, a, a, b, null, a, 0), isRange);
    assert.throws(() => k.mulAdd3(a, a, a, a, null, null, a, 64), isRange);
    assert.throws(() => k.subMulScalar(a, b, 1n, a), isRange);
    assert.throws(() => k.selectLanes(a, 0, new Uint8Array(12), 2, new Uint8Array(8)), isRange);
    assert.throws(() => k.selectLanes(a, 0, new Uint8Array(24), 3 as LaneWidth, new Uint8Array(12)), isRange);
    assert.throws(() => k.unwrapLanes(a, 0, new Uint8Array(16), new Uint8Array(7), 2, 1n, a), isRange);
    const l = new Uint8Array(16);
    assert.throws(() => k.wrapSend(a, a, a, a, a, l, l, 63, 2, a, l, l, a, a), isRange);
    assert.throws(() => k.wrapSend(a, a, a, a, b, l, l, 16, 2, a, l, l, a, a), isRange);
    assert.throws(() => k.wrapSend(a, a, a, a, a, l, new Uint8Array(15), 16, 2, a, l, l, a, a), isRange);
  });
}
