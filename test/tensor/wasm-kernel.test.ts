// The WebAssembly SIMD kernel against the reference kernel and BigInt: every op on random and edge
// values, odd lengths and blocking edges, resident and non-resident operands, aliasing, and the
// resident memory itself (growth never detaches views, exhaustion falls back, blocks are freed
// explicitly and on garbage collection, subarrays keep their block alive).
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelUnavailableError, type RingKernel } from '../../src/tensor/kernel.js';
import { referenceKernel } from '../../src/tensor/kernels/reference.js';
import { loadWasmKernel, type WasmKernel } from '../../src/tensor/kernels/wasm.js';

setFlagsFromString('--expose-gc');
/** uvu's `throws` takes a predicate (a class would be called as a function). */
const isRange = (e: unknown): boolean => e instanceof RangeError;
const isUnavailable = (e: unknown): boolean => e instanceof KernelUnavailableError;
const gc = runInNewContext('gc') as () => void;

const MAX = (1n << 64n) - 1n;
const EDGES = [
  0n,
  1n,
  2n,
  3n,
  (1n << 32n) - 1n,
  1n << 32n,
  (1n << 32n) + 1n,
  (1n << 53n) + 1n,
  (1n << 63n) - 1n,
  1n << 63n,
  (1n << 63n) + 1n,
  0xffff_ffff_0000_0001n,
  MAX - 1n,
  MAX,
];
const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 1000, 1001, 4099];
const SCALARS = [
  0n,
  1n,
  2n,
  1n << 63n,
  MAX,
  -1n,
  -7n,
  (1n << 64n) + 3n,
  -(1n << 70n) - 5n,
  0x9e37_79b9_7f4a_7c15n,
];

/** Deterministic words (splitmix64), with an edge value at about one index in four. */
function words(n: number, seed: number): BigUint64Array {
  const out = new BigUint64Array(n);
  let s = BigInt(seed) * 0x9e37_79b9_7f4a_7c15n;
  for (let i = 0; i < n; i++) {
    s = BigInt.asUintN(64, s + 0x9e37_79b9_7f4a_7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58_476d_1ce4_e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d0_49bb_1331_11ebn);
    z ^= z >> 31n;
    out[i] = z % 4n === 0n ? EDGES[Number((z >> 8n) % BigInt(EDGES.length))]! : z;
  }
  return out;
}

const ref = referenceKernel();
const wasm = loadWasmKernel();

/** A copy of `src` that is resident in `k` (or plain when `resident` is false). */
function place(k: WasmKernel, src: BigUint64Array, resident: boolean): BigUint64Array {
  const v = resident ? k.alloc(src.length) : new BigUint64Array(src.length);
  v.set(src);
  return v;
}

function same(actual: BigUint64Array, expected: BigUint64Array, msg: string): void {
  assert.is(actual.length, expected.length, `${msg}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i])
      assert.unreachable(`${msg}: word ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

type BinaryOp = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor';
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'and', 'or', 'xor'];
const SHIFTS = ['shl', 'shrLogical', 'shrArithmetic'] as const;

/** Operand placements: all resident, none, and mixed. */
const PLACEMENTS: [string, boolean[]][] = [
  ['resident', [true, true, true, true]],
  ['plain', [false, false, false, false]],
  ['mixed', [true, false, true, false]],
  ['mixed2', [false, true, false, true]],
];

test('the kernel loads, describes itself and starts empty', () => {
  assert.is(wasm.name, 'wasm');
  assert.ok(wasm.description.includes('SIMD'));
  const s = wasm.stats();
  assert.ok(s.capacityBytes > 0 && s.maxBytes >= s.capacityBytes);
  assert.is(s.liveBlocks, 0);
});

test('binary elementwise ops equal the reference on every length and placement', () => {
  for (const n of LENGTHS) {
    const av = words(n, n + 1);
    const bv = words(n, n + 1000);
    for (const [where, res] of PLACEMENTS) {
      for (const op of BINARY) {
        const a = place(wasm, av, res[0]!);
        const b = place(wasm, bv, res[1]!);
        const out = place(wasm, new BigUint64Array(n), res[2]!);
        wasm[op](a, b, out);
        const expected = new BigUint64Array(n);
        ref[op](av, bv, expected);
        same(out, expected, `${op} n=${n} ${where}`);
        same(a, av, `${op} n=${n} ${where}: a unchanged`);
        same(b, bv, `${op} n=${n} ${where}: b unchanged`);
      }
    }
  }
});

test('binary ops against BigInt on every pair of edge values', () => {
  const av = new BigUint64Array(EDGES.length * EDGES.length);
  const bv = new BigUint64Array(av.length);
  EDGES.forEach((x, i) =>
    EDGES.forEach((y, j) => ((av[i * EDGES.length + j] = x), (bv[i * EDGES.length + j] = y))),
  );
  const a = place(wasm, av, true);
  const b = place(wasm, bv, true);
  const out = wasm.alloc(av.length);
  const big: Record<BinaryOp, (x: bigint, y: bigint) => bigint> = {
    add: (x, y) => x + y,
    sub: (x, y) => x - y,
    mul: (x, y) => x * y,
    and: (x, y) => x & y,
    or: (x, y) => x | y,
    xor: (x, y) => x ^ y,
  };
  for (const op of BINARY) {
    wasm[op](a, b, out);
    for (let i = 0; i < av.length; i++) {
      assert.is(out[i], BigInt.asUintN(64, big[op](av[i]!, bv[i]!)), `${op}(${av[i]}, ${bv[i]})`);
    }
  }
  wasm.mulAdd(a, b, a, out);
  for (let i = 0; i < av.length; i++) assert.is(out[i], BigInt.asUintN(64, av[i]! * bv[i]! + av[i]!));
});

test('mulAdd, neg and not equal the reference on every length and placement', () => {
  for (const n of LENGTHS) {
    const av = words(n, 3 * n + 7);
    const bv = words(n, 3 * n + 8);
    const cv = words(n, 3 * n + 9);
    for (const [where, res] of PLACEMENTS) {
      const a = place(wasm, av, res[0]!);
      const b = place(wasm, bv, res[1]!);
      const c = place(wasm, cv, res[2]!);
      const out = place(wasm, new BigUint64Array(n), res[3]!);
      const expected = new BigUint64Array(n);
      wasm.mulAdd(a, b, c, out);
      ref.mulAdd(av, bv, cv, expected);
      same(out, expected, `mulAdd n=${n} ${where}`);
      wasm.neg(a, out);
      ref.neg(av, expected);
      same(out, expected, `neg n=${n} ${where}`);
      wasm.not(b, out);
      ref.not(bv, expected);
      same(out, expected, `not n=${n} ${where}`);
    }
  }
});

test('scalar ops equal the reference for edge scalars (taken mod 2^64)', () => {
  for (const n of [0, 1, 2, 3, 5, 64, 65, 1001]) {
    const av = words(n, 77 + n);
    for (const resident of [true, false]) {
      const a = place(wasm, av, resident);
      const out = place(wasm, new BigUint64Array(n), !resident);
      const expected = new BigUint64Array(n);
      for (const s of SCALARS) {
        wasm.addScalar(a, s, out);
        ref.addScalar(av, s, expected);
        same(out, expected, `addScalar n=${n} s=${s}`);
        wasm.mulScalar(a, s, out);
        ref.mulScalar(av, s, expected);
        same(out, expected, `mulScalar n=${n} s=${s}`);
      }
    }
  }
  const one = place(wasm, new BigUint64Array([MAX]), true);
  wasm.mulScalar(one, MAX, one);
  assert.is(one[0], 1n, '(2^64-1)^2 = 1 mod 2^64');
  wasm.addScalar(one, -(1n << 64n) - 1n, one);
  assert.is(one[0], 0n, '1 + (-(2^64) - 1) = 0 mod 2^64');
});

test('shifts equal the reference for every amount, and reject bad amounts', () => {
  for (const n of [1, 2, 3, 4, 5, 17, 65]) {
    const av = words(n, 500 + n);
    av[0] = 1n << 63n;
    av[n - 1] = MAX;
    for (const resident of [true, false]) {
      const a = place(wasm, av, resident);
      const out = place(wasm, new BigUint64Array(n), resident);
      const expected = new BigUint64Array(n);
      for (let k = 0; k < 64; k++) {
        for (const op of SHIFTS) {
          wasm[op](a, k, out);
          ref[op](av, k, expected);
          same(out, expected, `${op} n=${n} k=${k} resident=${resident}`);
        }
      }
    }
  }
  const a = wasm.alloc(3);
  for (const bad of [-1, 64, 1.5, Number.NaN]) {
    for (const op of SHIFTS) assert.throws(() => wasm[op](a, bad, a), isRange, `${op} by ${bad}`);
  }
});

test('out may alias any input', () => {
  for (const n of [1, 3, 4, 9, 1001]) {
    const av = words(n, 900 + n);
    const bv = words(n, 901 + n);
    const cv = words(n, 902 + n);
    for (const resident of [true, false]) {
      for (const op of BINARY) {
        const expected = new BigUint64Array(n);
        ref[op](av, bv, expected);
        let a = place(wasm, av, resident);
        wasm[op](a, place(wasm, bv, resident), a);
        same(a, expected, `${op} out=a n=${n} resident=${resident}`);
        const b = place(wasm, bv, resident);
        wasm[op](place(wasm, av, resident), b, b);
        same(b, expected, `${op} out=b n=${n} resident=${resident}`);
        a = place(wasm, av, resident);
        ref[op](av, av, expected);
        wasm[op](a, a, a);
        same(a, expected, `${op} out=a=b n=${n} resident=${resident}`);
      }
      const expected = new BigUint64Array(n);
      ref.mulAdd(av, bv, cv, expected);
      for (const which of [0, 1, 2]) {
        const ops = [place(wasm, av, resident), place(wasm, bv, resident), place(wasm, cv, resident)];
        wasm.mulAdd(ops[0]!, ops[1]!, ops[2]!, ops[which]!);
        same(ops[which]!, expected, `mulAdd out=operand ${which} n=${n} resident=${resident}`);
      }
      const a = place(wasm, av, resident);
      wasm.shrArithmetic(a, 5, a);
      ref.shrArithmetic(av, 5, expected);
      same(a, expected, `shrArithmetic in place n=${n}`);
      const s = place(wasm, av, resident);
      wasm.mulScalar(s, 0xdead_beefn, s);
      ref.mulScalar(av, 0xdead_beefn, expected);
      same(s, expected, `mulScalar in place n=${n}`);
    }
  }
});

test('operands at unaligned offsets: resident subarrays and plain views into larger buffers', () => {
  const n = 37;
  const av = words(n, 11);
  const bv = words(n, 12);
  const expected = new BigUint64Array(n);
  ref.mul(av, bv, expected);
  for (const shift of [1, 2, 3]) {
    const ra = wasm.alloc(n + 4);
    const rb = wasm.alloc(n + 4);
    const ro = wasm.alloc(n + 4);
    const a = ra.subarray(shift, shift + n);
    const b = rb.subarray(shift + 1, shift + 1 + n);
    const out = ro.subarray(3 - shift, 3 - shift + n);
    a.set(av);
    b.set(bv);
    assert.ok(wasm.isResident(a) && wasm.isResident(out), 'subarrays of resident views are resident');
    wasm.mul(a, b, out);
    same(out, expected, `resident subarrays, shift ${shift}`);
    const big = new BigUint64Array(3 * n + 8);
    const pa = big.subarray(shift, shift + n);
    const pb = big.subarray(n + 4, 2 * n + 4);
    const po = big.subarray(2 * n + 5, 3 * n + 5);
    pa.set(av);
    pb.set(bv);
    wasm.mul(pa, pb, po);
    same(po, expected, `plain subarrays, shift ${shift}`);
  }
});

test('length mismatches throw RangeError', () => {
  const a = wasm.alloc(4);
  const b = wasm.alloc(5);
  assert.throws(() => wasm.add(a, b, a), isRange);
  assert.throws(() => wasm.mulAdd(a, a, b, a), isRange);
  assert.throws(() => wasm.neg(a, b), isRange);
  assert.throws(() => wasm.mulScalar(a, 3n, b), isRange);
  assert.throws(() => wasm.shl(a, 3, new BigUint64Array(3)), isRange);
  assert.throws(() => wasm.matmul(a, b, a, 2, 2, 2), isRange);
  assert.throws(() => wasm.alloc(-1), isRange);
});

/** Matmul shapes: dimensions of 1, non-square, odd, and past the 256 x 256 blocking in k and n. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 5, 1],
  [1, 1, 7],
  [7, 1, 1],
  [2, 3, 4],
  [3, 2, 5],
  [4, 4, 4],
  [4, 1, 9],
  [5, 7, 3],
  [8, 8, 1],
  [9, 16, 2],
  [13, 17, 19],
  [16, 31, 33],
  [33, 64, 65],
  [64, 64, 64],
  [6, 300, 5],
  [8, 260, 517],
  [5, 513, 258],
];

test('matmul equals the reference on every shape and placement', () => {
  let seed = 1;
  for (const [m, k, n] of SHAPES) {
    const av = words(m * k, seed++);
    const bv = words(k * n, seed++);
    const expected = new BigUint64Array(m * n);
    ref.matmul(av, bv, expected, m, k, n);
    for (const [where, res] of PLACEMENTS) {
      const a = place(wasm, av, res[0]!);
      const b = place(wasm, bv, res[1]!);
      const out = place(wasm, words(m * n, 99), res[2]!); // garbage in out must be overwritten
      wasm.matmul(a, b, out, m, k, n);
      same(out, expected, `matmul ${m}x${k}x${n} ${where}`);
      same(a, av, `matmul ${m}x${k}x${n} ${where}: a unchanged`);
      same(b, bv, `matmul ${m}x${k}x${n} ${where}: b unchanged`);
    }
  }
});

test('matmul against a BigInt dot product, with edge values in every position', () => {
  const m = 9;
  const k = 14;
  const n = 11;
  const av = new BigUint64Array(m * k).map((_, i) => EDGES[i % EDGES.length]!);
  const bv = new BigUint64Array(k * n).map((_, i) => EDGES[(i * 5 + 3) % EDGES.length]!);
  const out = wasm.alloc(m * n);
  wasm.matmul(place(wasm, av, true), place(wasm, bv, true), out, m, k, n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0n;
      for (let p = 0; p < k; p++) s += av[i * k + p]! * bv[p * n + j]!;
      assert.is(out[i * n + j], BigInt.asUintN(64, s), `c[${i},${j}]`);
    }
  }
});

test('matmul with an empty dimension, and with out aliasing an input', () => {
  const z = wasm.alloc(6);
  z.fill(5n);
  wasm.matmul(new BigUint64Array(0), new BigUint64Array(0), z, 2, 0, 3);
  same(z, new BigUint64Array(6), 'k = 0 gives zeros');
  wasm.matmul(new BigUint64Array(0), wasm.alloc(12), new BigUint64Array(0), 0, 4, 3);
  wasm.matmul(wasm.alloc(8), new BigUint64Array(0), new BigUint64Array(0), 2, 4, 0);
  // Not allowed by the contract, but must not corrupt: out is a.
  const av = words(16, 5);
  const bv = words(16, 6);
  const expected = new BigUint64Array(16);
  ref.matmul(av, bv, expected, 4, 4, 4);
  for (const resident of [true, false]) {
    const a = place(wasm, av, resident);
    wasm.matmul(a, place(wasm, bv, resident), a, 4, 4, 4);
    same(a, expected, `out = a, resident=${resident}`);
  }
});

test('property: mulAdd and matmul equal BigInt on arbitrary words', () => {
  const word = fc.bigInt({ min: 0n, max: MAX });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(word, word, word), { maxLength: 40 }),
      fc.boolean(),
      (triples, resident) => {
        const n = triples.length;
        const a = place(
          wasm,
          BigUint64Array.from(triples, (t) => t[0]),
          resident,
        );
        const b = place(
          wasm,
          BigUint64Array.from(triples, (t) => t[1]),
          !resident,
        );
        const c = place(
          wasm,
          BigUint64Array.from(triples, (t) => t[2]),
          resident,
        );
        const out = wasm.alloc(n);
        wasm.mulAdd(a, b, c, out);
        return triples.every((t, i) => out[i] === BigInt.asUintN(64, t[0] * t[1] + t[2]));
      },
    ),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.array(word, { minLength: 162, maxLength: 162 }),
      (m, k, n, pool) => {
        const a = place(wasm, BigUint64Array.from(pool.slice(0, m * k)), true);
        const b = place(wasm, BigUint64Array.from(pool.slice(81, 81 + k * n)), false);
        const out = wasm.alloc(m * n);
        wasm.matmul(a, b, out, m, k, n);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0n;
            for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
            if (out[i * n + j] !== BigInt.asUintN(64, s)) return false;
          }
        }
        return true;
      },
    ),
    { numRuns: 200 },
  );
});

test('views survive many allocations and memory growth', () => {
  const k = loadWasmKernel({ initialBytes: 64 * 1024 });
  const first = k.alloc(1000);
  const firstValues = words(1000, 42);
  first.set(firstValues);
  const firstBuffer = first.buffer;
  const capacity0 = k.stats().capacityBytes;
  const kept: BigUint64Array[] = [];
  for (let i = 0; i < 300; i++) {
    const v = k.alloc(1 + ((i * 7919) % 5000));
    v.fill(BigInt(i));
    kept.push(v);
  }
  assert.ok(k.stats().capacityBytes > capacity0, 'the memory grew');
  assert.is.not(k.alloc(1).buffer, firstBuffer, 'growth gave the memory a new buffer object');
  assert.is(first.length, 1000, 'the first view is not detached');
  same(first, firstValues, 'values written before growth are intact');
  for (let i = 0; i < kept.length; i++) {
    assert.ok(k.isResident(kept[i]!));
    if (kept[i]![0] !== BigInt(i) || kept[i]![kept[i]!.length - 1] !== BigInt(i))
      assert.unreachable(`block ${i}`);
  }
  // Ops on a view from before growth, with operands from after it.
  const late = k.alloc(1000);
  late.set(words(1000, 43));
  const out = k.alloc(1000);
  k.mulAdd(first, late, first, out);
  const expected = new BigUint64Array(1000);
  ref.mulAdd(firstValues, words(1000, 43), firstValues, expected);
  same(out, expected, 'mulAdd across old and new buffers');
  k.add(first, first, first);
  ref.add(firstValues, firstValues, expected);
  same(first, expected, 'in place on a pre-growth view');
});

test('operands above 2 GiB (pointers with the top bit set) work', () => {
  const k = loadWasmKernel();
  // Untouched memory costs address space only; skip where the OS refuses to commit 2 GiB.
  const pad = k.alloc(2 ** 28 + 2 ** 17);
  if (!k.isResident(pad)) {
    console.log('  (skipped the > 2 GiB check: the memory could not grow that far here)');
    return;
  }
  const n = 1001;
  const av = words(n, 31);
  const bv = words(n, 32);
  const a = place(k, av, true);
  const b = place(k, bv, true);
  const out = k.alloc(n);
  assert.ok(out.byteOffset > 2 ** 31);
  const expected = new BigUint64Array(n);
  k.mulAdd(a, b, a, out);
  ref.mulAdd(av, bv, av, expected);
  same(out, expected, 'mulAdd above 2 GiB');
  const c = k.alloc(33 * n);
  k.matmul(a.subarray(0, 33), b, c, 33, 1, n);
  const cExpected = new BigUint64Array(33 * n);
  ref.matmul(av.subarray(0, 33), bv, cExpected, 33, 1, n);
  same(c, cExpected, 'matmul above 2 GiB');
  k.free(pad);
});

test('exhausted memory: alloc falls back to plain arrays and ops stay correct', () => {
  const k = loadWasmKernel({ initialBytes: 64 * 1024, maxBytes: 256 * 1024 });
  const big = k.alloc(20_000); // 160 KB: fits
  assert.ok(k.isResident(big));
  const tooBig = k.alloc(20_000); // would need 320 KB
  assert.not.ok(k.isResident(tooBig), 'the second block does not fit');
  assert.is(tooBig.length, 20_000);
  assert.ok(
    tooBig.every((x) => x === 0n),
    'fallback arrays are zeroed too',
  );
  assert.is(k.stats().fallbackAllocs, 1);
  // Non-resident operands need scratch space that is not there: the reference kernel takes over.
  const av = words(20_000, 1);
  const bv = words(20_000, 2);
  const expected = new BigUint64Array(20_000);
  ref.mul(av, bv, expected);
  const out = new BigUint64Array(20_000);
  k.mul(av, bv, out);
  same(out, expected, 'mul with no scratch space');
  const mm = new BigUint64Array(100 * 100);
  const am = words(100 * 150, 3);
  const bm = words(150 * 100, 4);
  k.matmul(am, bm, mm, 100, 150, 100);
  const mmExpected = new BigUint64Array(100 * 100);
  ref.matmul(am, bm, mmExpected, 100, 150, 100);
  same(mm, mmExpected, 'matmul with no scratch space');
  // After freeing, the memory is usable again.
  assert.ok(k.free(big));
  const again = k.alloc(20_000);
  assert.ok(k.isResident(again), 'freed space is reused');
  assert.is(k.stats().fallbackAllocs, 1);
});

test('free releases a block once, and reused blocks are zeroed', () => {
  const k = loadWasmKernel();
  const a = k.alloc(100);
  a.fill(MAX);
  const offset = a.byteOffset;
  assert.is(k.stats().liveBlocks, 1);
  assert.not.ok(k.free(a.subarray(1)), 'a subarray is not a block');
  assert.not.ok(k.free(new BigUint64Array(100)), 'a plain array is not a block');
  assert.ok(k.free(a));
  assert.not.ok(k.free(a), 'a second free does nothing');
  assert.is(k.stats().liveBlocks, 0);
  const b = k.alloc(100);
  assert.is(b.byteOffset, offset, 'the block is reused');
  assert.ok(
    b.every((x) => x === 0n),
    'and zeroed',
  );
  // Coalescing: freeing neighbours gives one block that fits their sum.
  const x = k.alloc(64);
  const y = k.alloc(64);
  const z = k.alloc(64);
  const keep = k.alloc(8);
  k.free(x);
  k.free(z);
  k.free(y);
  const xyz = k.alloc(192);
  assert.is(xyz.byteOffset, x.byteOffset, 'three freed neighbours merge');
  assert.ok(k.isResident(keep));
});

test('blocks are freed when their views are garbage collected, not while a subarray lives', async () => {
  const k = loadWasmKernel();
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  (() => {
    for (let i = 0; i < 50; i++) k.alloc(1000).fill(1n);
  })();
  assert.is(k.stats().liveBlocks, 50);
  const held: { child?: BigUint64Array } = {};
  held.child = (() => {
    const parent = k.alloc(500);
    parent.fill(7n);
    return parent.subarray(100, 200).subarray(10, 20);
  })();
  await settle();
  assert.is(k.stats().liveBlocks, 1, 'dropped views were collected and freed; the subarray parent was not');
  // Allocations that would reuse freed memory must not clobber the live subarray.
  for (let i = 0; i < 50; i++) k.alloc(1000).fill(9n);
  assert.ok(
    held.child.every((x) => x === 7n),
    'the subarray still reads its own block',
  );
  delete held.child;
  await settle();
  assert.is(k.stats().liveBlocks, 0);
  assert.is(k.stats().liveBytes, 0);
});

test('a missing, invalid or stale module throws KernelUnavailableError', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peermpc-wasm-'));
  try {
    assert.throws(() => loadWasmKernel({ wasmPath: join(dir, 'nope.wasm') }), isUnavailable);
    writeFileSync(join(dir, 'bad.wasm'), 'not wasm at all');
    assert.throws(() => loadWasmKernel({ wasmPath: join(dir, 'bad.wasm') }), isUnavailable);
    writeFileSync(join(dir, 'empty.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    assert.throws(
      () => loadWasmKernel({ wasmPath: join(dir, 'empty.wasm') }),
      (e: unknown) => {
        return e instanceof KernelUnavailableError && /stale/.test(e.message);
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the kernel satisfies the RingKernel interface for the registry', () => {
  const k: RingKernel = wasm;
  const v = k.alloc(3);
  assert.instance(v, BigUint64Array);
  assert.equal(Array.from(v), [0n, 0n, 0n]);
});

test.run();
