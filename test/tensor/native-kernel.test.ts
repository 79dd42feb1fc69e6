// The native N-API kernel against the reference kernel: every op, every dispatch level this CPU
// supports, edge values, odd lengths, blocking edges, threading, aliasing, shared memory.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelUnavailableError, type RingKernel } from '../../src/tensor/kernel.js';
import {
  loadNativeKernel,
  nativeAddonPath,
  nativeDispatch,
  type NativeDispatch,
  type NativeLevel,
} from '../../src/tensor/kernels/native.js';
import { referenceKernel } from '../../src/tensor/kernels/reference.js';

const MAX = (1n << 64n) - 1n;
const EDGES = [
  0n,
  1n,
  2n,
  3n,
  (1n << 12n) - 1n,
  1n << 12n,
  (1n << 32n) - 1n,
  1n << 32n,
  (1n << 32n) + 1n,
  (1n << 40n) + 5n,
  (1n << 52n) - 1n,
  1n << 52n,
  (1n << 52n) + 1n,
  (1n << 63n) - 1n,
  1n << 63n,
  (1n << 63n) + 1n,
  MAX - (1n << 52n),
  0xfff0_0000_0000_0fffn,
  MAX - 1n,
  MAX,
];
const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 4099];
const SCALARS = [
  0n,
  1n,
  2n,
  MAX,
  1n << 63n,
  -1n,
  -5n,
  (1n << 64n) + 3n,
  -(1n << 70n) - 7n,
  0x9e37_79b9_7f4a_7c15n,
];

/** Deterministic words: a seeded PRNG with edge values mixed in (about one in four). */
function words(n: number, seed: number): BigUint64Array {
  const out = new BigUint64Array(n);
  const u32 = new Uint32Array(out.buffer);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < u32.length; i++) {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    u32[i] = (t ^ (t >>> 14)) >>> 0;
  }
  for (let i = 0; i < n; i++) {
    if (u32[2 * i]! % 4 === 0) out[i] = EDGES[u32[2 * i + 1]! % EDGES.length]!;
  }
  return out;
}

/** Every pair of edge values: a[i] x b[i] walks the whole table. */
function edgePairs(): [BigUint64Array, BigUint64Array] {
  const a = new BigUint64Array(EDGES.length ** 2);
  const b = new BigUint64Array(EDGES.length ** 2);
  EDGES.forEach((x, i) =>
    EDGES.forEach((y, j) => ((a[i * EDGES.length + j] = x), (b[i * EDGES.length + j] = y))),
  );
  return [a, b];
}

function expectWords(actual: BigUint64Array, expected: BigUint64Array, label: string): void {
  assert.is(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      assert.unreachable(`${label}: word ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

function copy(a: BigUint64Array): BigUint64Array {
  return new BigUint64Array(a);
}

function shared(a: BigUint64Array, offsetWords = 0): BigUint64Array {
  const view = new BigUint64Array(
    new SharedArrayBuffer((a.length + offsetWords) * 8),
    offsetWords * 8,
    a.length,
  );
  view.set(a);
  return view;
}

const ref = referenceKernel();
type Binary = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor';
type Unary = 'neg' | 'not';
type Shift = 'shl' | 'shrLogical' | 'shrArithmetic';
const BINARY: Binary[] = ['add', 'sub', 'mul', 'and', 'or', 'xor'];
const UNARY: Unary[] = ['neg', 'not'];
const SHIFTS: Shift[] = ['shl', 'shrLogical', 'shrArithmetic'];

function refMatmul(a: BigUint64Array, b: BigUint64Array, m: number, k: number, n: number): BigUint64Array {
  const out = new BigUint64Array(m * n);
  ref.matmul(a, b, out, m, k, n);
  return out;
}

let native: RingKernel | undefined;
let dispatch: NativeDispatch | undefined;
let unavailable = '';
try {
  native = loadNativeKernel();
  dispatch = nativeDispatch();
} catch (err) {
  if (!(err instanceof KernelUnavailableError)) throw err;
  unavailable = err.message;
}

if (native === undefined || dispatch === undefined) {
  test(`native kernel unavailable (${unavailable})`, () => {
    if (process.env.PEERMPC_REQUIRE_NATIVE) {
      assert.unreachable(`PEERMPC_REQUIRE_NATIVE is set but ${unavailable}`);
    }
  });
} else {
  suite(native, dispatch);
}

function suite(k: RingKernel, d: NativeDispatch): void {
  const levels = d.levels();
  const defaultLevel = d.level();
  const defaultThreads = d.threads();

  test('dispatch: levels, default level, description', () => {
    assert.is(levels[0], 'generic');
    if (!process.env.PEERMPC_NATIVE_LEVEL) assert.is(defaultLevel, levels[levels.length - 1]);
    assert.is(k.name, 'native');
    assert.ok(k.description.includes(defaultLevel), k.description);
    assert.ok(defaultThreads >= 1);
    assert.throws(
      () => d.setLevel('sse9' as NativeLevel),
      (e: unknown) => e instanceof RangeError,
    );
    assert.is(d.level(), defaultLevel);
    const a = k.alloc(5);
    assert.instance(a, BigUint64Array);
    expectWords(a, new BigUint64Array(5), 'alloc');
    console.log(`# native kernel: ${k.description}; levels ${levels.join(', ')}`);
  });

  test('dispatch: PEERMPC_NATIVE_LEVEL and PEERMPC_THREADS are read at load', () => {
    const probe = (env: Record<string, string>) => {
      const r = spawnSync(
        process.execPath,
        [
          '-e',
          `const r = require(${JSON.stringify(nativeAddonPath())}); console.log(r.level(), r.threads())`,
        ],
        { env: { ...process.env, ...env }, encoding: 'utf8' },
      );
      assert.is(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    assert.is(probe({ PEERMPC_NATIVE_LEVEL: 'generic', PEERMPC_THREADS: '1' }), 'generic 1');
    // An unknown or unsupported level falls back to the best one.
    assert.ok(probe({ PEERMPC_NATIVE_LEVEL: 'nonsense' }).startsWith(levels[levels.length - 1]!));
  });

  test('loads in a worker thread and works on memory shared with it', async () => {
    const n = 1000;
    const a = shared(words(n, 41));
    const b = shared(words(n, 42));
    const out = shared(new BigUint64Array(n));
    const code = `
      const { parentPort, workerData: { path, a, b, out } } = require('node:worker_threads');
      const r = require(path);
      r.mul(a, b, out);
      r.matmul(a.subarray(0, 100), b.subarray(0, 100), out.subarray(0, 100), 10, 10, 10);
      parentPort.postMessage(r.level());
    `;
    const worker = new Worker(code, { eval: true, workerData: { path: nativeAddonPath(), a, b, out } });
    const level = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.is(level, defaultLevel);
    const want = new BigUint64Array(n);
    ref.mul(a, b, want);
    want.set(refMatmul(a.subarray(0, 100), b.subarray(0, 100), 10, 10, 10));
    expectWords(out, want, 'worker');
  });

  test('errors: length mismatch, wrong types, bad shifts and dims', () => {
    const a = new BigUint64Array(4);
    const b = new BigUint64Array(5);
    const isRange = (e: unknown) => e instanceof RangeError;
    const isType = (e: unknown) => e instanceof TypeError;
    for (const op of BINARY) {
      assert.throws(() => k[op](a, b, a), isRange, op);
      assert.throws(() => k[op](a, a, b), isRange, op);
      assert.throws(() => k[op](a, new Float64Array(4) as unknown as BigUint64Array, a), isType, op);
      assert.throws(() => k[op](a, new BigInt64Array(4) as unknown as BigUint64Array, a), isType, op);
    }
    assert.throws(() => k.mulAdd(a, a, b, a), isRange);
    assert.throws(() => k.neg(a, b), isRange);
    assert.throws(() => k.not(b, a), isRange);
    assert.throws(() => k.addScalar(a, 1n, b), isRange);
    assert.throws(() => k.mulScalar(a, 1 as unknown as bigint, a), isType);
    for (const bad of [64, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => k.shl(a, bad, a), isRange, String(bad));
    }
    assert.throws(() => k.shrLogical(a, 1, b), isRange);
    assert.throws(() => k.matmul(a, a, a, 2, 2, 3), isRange);
    assert.throws(() => k.matmul(a, a, b, 2, 2, 2), isRange);
    assert.throws(() => k.matmul(a, b, a, 2, 2, 2), isRange);
    assert.throws(() => k.matmul(a, a, a, -2, -2, -1), isRange);
    assert.throws(() => k.matmul(a, a, a, 2.5, 1.6, 2.5), isRange);
    assert.throws(() => (k.add as unknown as (...args: unknown[]) => void)(a, a), isType);
  });

  for (const level of levels) {
    const at = (name: string, fn: () => void) =>
      test(`[${level}] ${name}`, () => {
        d.setLevel(level);
        try {
          fn();
        } finally {
          d.setLevel(defaultLevel);
          d.setThreads(defaultThreads);
        }
      });

    at('binary ops and mulAdd equal the reference on every length', () => {
      for (const n of LENGTHS) {
        const a = words(n, n * 3 + 1);
        const b = words(n, n * 5 + 2);
        const c = words(n, n * 7 + 3);
        for (const op of BINARY) {
          const want = new BigUint64Array(n);
          const got = new BigUint64Array(n);
          ref[op](a, b, want);
          k[op](a, b, got);
          expectWords(got, want, `${op} n=${n}`);
        }
        const want = new BigUint64Array(n);
        const got = new BigUint64Array(n);
        ref.mulAdd(a, b, c, want);
        k.mulAdd(a, b, c, got);
        expectWords(got, want, `mulAdd n=${n}`);
      }
    });

    at('binary ops on every pair of edge values', () => {
      const [a, b] = edgePairs();
      for (const op of BINARY) {
        const want = new BigUint64Array(a.length);
        const got = new BigUint64Array(a.length);
        ref[op](a, b, want);
        k[op](a, b, got);
        expectWords(got, want, op);
      }
      const want = new BigUint64Array(a.length);
      const got = new BigUint64Array(a.length);
      ref.mulAdd(a, b, b, want);
      k.mulAdd(a, b, b, got);
      expectWords(got, want, 'mulAdd');
    });

    at('unary, scalar and shift ops equal the reference', () => {
      for (const n of LENGTHS) {
        const a = words(n, n + 11);
        for (const op of UNARY) {
          const want = new BigUint64Array(n);
          const got = new BigUint64Array(n);
          ref[op](a, want);
          k[op](a, got);
          expectWords(got, want, `${op} n=${n}`);
        }
        for (const s of SCALARS) {
          for (const op of ['addScalar', 'mulScalar'] as const) {
            const want = new BigUint64Array(n);
            const got = new BigUint64Array(n);
            ref[op](a, s, want);
            k[op](a, s, got);
            expectWords(got, want, `${op} ${s} n=${n}`);
          }
        }
        if (n === 1000 || n === 33 || n === 1) {
          for (let sh = 0; sh < 64; sh++) {
            for (const op of SHIFTS) {
              const want = new BigUint64Array(n);
              const got = new BigUint64Array(n);
              ref[op](a, sh, want);
              k[op](a, sh, got);
              expectWords(got, want, `${op} ${sh} n=${n}`);
            }
          }
        }
      }
    });

    at('elementwise ops split across 1-3 threads on long arrays, in place too', () => {
      const n = 3 * d.blocking().elementwiseWordsPerThread + 13;
      const a = words(n, 31);
      const b = words(n, 32);
      const c = words(n, 33);
      const want: Record<string, BigUint64Array> = {};
      const run = (kern: RingKernel, name: string, out: BigUint64Array) => {
        if (name === 'mulAdd') kern.mulAdd(a, b, c, out);
        else if (name === 'mulScalar') kern.mulScalar(a, -7n, out);
        else if (name === 'shrArithmetic') kern.shrArithmetic(a, 3, out);
        else if (name === 'neg') kern.neg(a, out);
        else kern[name as Binary](a, b, out);
      };
      const names = [...BINARY, 'mulAdd', 'mulScalar', 'shrArithmetic', 'neg'];
      for (const name of names) run(ref, name, (want[name] = new BigUint64Array(n)));
      for (const t of [1, 2, 3]) {
        d.setThreads(t);
        for (const name of names) {
          const out = new BigUint64Array(n);
          run(k, name, out);
          expectWords(out, want[name]!, `${name} on ${t} threads`);
        }
        const inPlace = copy(a);
        k.mul(inPlace, b, inPlace);
        expectWords(inPlace, want.mul!, `mul out=a on ${t} threads`);
      }
    });

    at('elementwise ops with out aliasing their inputs', () => {
      for (const n of [1, 17, 1000]) {
        const a0 = words(n, 101);
        const b0 = words(n, 202);
        const c0 = words(n, 303);
        for (const op of BINARY) {
          const want = new BigUint64Array(n);
          ref[op](a0, b0, want);
          let a = copy(a0);
          k[op](a, b0, a);
          expectWords(a, want, `${op} out=a`);
          const b = copy(b0);
          k[op](a0, b, b);
          expectWords(b, want, `${op} out=b`);
          a = copy(a0);
          const same = new BigUint64Array(n);
          ref[op](a0, a0, same);
          k[op](a, a, a);
          expectWords(a, same, `${op} a=b=out`);
        }
        const want = new BigUint64Array(n);
        ref.mulAdd(a0, b0, c0, want);
        for (const which of [0, 1, 2]) {
          const args = [copy(a0), copy(b0), copy(c0)] as const;
          k.mulAdd(args[0], args[1], args[2], args[which]);
          expectWords(args[which], want, `mulAdd out=operand ${which}`);
        }
        for (const op of UNARY) {
          ref[op](a0, want);
          const a = copy(a0);
          k[op](a, a);
          expectWords(a, want, `${op} out=a`);
        }
        for (const op of SHIFTS) {
          ref[op](a0, 7, want);
          const a = copy(a0);
          k[op](a, 7, a);
          expectWords(a, want, `${op} out=a`);
        }
        ref.mulScalar(a0, -3n, want);
        const a = copy(a0);
        k.mulScalar(a, -3n, a);
        expectWords(a, want, 'mulScalar out=a');
      }
    });

    at('out partially overlapping an input reads the input as it was before the call', () => {
      for (const shift of [1, -1, 3, -8]) {
        const n = 100;
        const buf = words(n + 16, 77);
        const a = buf.subarray(8, 8 + n);
        const out = buf.subarray(8 + shift, 8 + shift + n);
        const b = words(n, 78);
        const want = new BigUint64Array(n);
        ref.mul(copy(a), b, want);
        k.mul(a, b, out);
        expectWords(out, want, `mul overlap ${shift}`);
        const buf2 = words(n + 16, 79);
        const a2 = buf2.subarray(8, 8 + n);
        ref.shrArithmetic(copy(a2), 5, want);
        k.shrArithmetic(a2, 5, buf2.subarray(8 + shift, 8 + shift + n));
        expectWords(buf2.subarray(8 + shift, 8 + shift + n), want, `shr overlap ${shift}`);
      }
    });

    at('SharedArrayBuffer and WebAssembly shared memory operands, with byte offsets', () => {
      const n = 257;
      const a0 = words(n, 5);
      const b0 = words(n, 6);
      const c0 = words(n, 7);
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
      const wa = new BigUint64Array(memory.buffer, 8, n);
      const wout = new BigUint64Array(memory.buffer, 8 * (n + 3), n);
      wa.set(a0);
      for (const op of BINARY) {
        const want = new BigUint64Array(n);
        ref[op](a0, b0, want);
        const out = shared(new BigUint64Array(n), 3);
        k[op](shared(a0, 1), shared(b0), out);
        expectWords(out, want, `${op} sab`);
        k[op](wa, b0, wout);
        expectWords(wout, want, `${op} wasm memory`);
      }
      const want = new BigUint64Array(n);
      ref.mulAdd(a0, b0, c0, want);
      const out = shared(c0, 5);
      k.mulAdd(shared(a0, 2), b0, out, out);
      expectWords(out, want, 'mulAdd sab, out=c');
      ref.shrArithmetic(a0, 9, want);
      k.shrArithmetic(wa, 9, wa);
      expectWords(wa, want, 'shrArithmetic wasm memory, out=a');
      const [m, kk, nn] = [37, 29, 41];
      const ma = words(m * kk, 8);
      const mb = words(kk * nn, 9);
      const mout = shared(new BigUint64Array(m * nn), 1);
      k.matmul(shared(ma, 3), shared(mb), mout, m, kk, nn);
      expectWords(mout, refMatmul(ma, mb, m, kk, nn), 'matmul sab');
    });

    at('matmul equals the reference: small, thin, non-square, block edges', () => {
      const bl = d.blocking();
      const shapes: [number, number, number][] = [
        [1, 1, 1],
        [1, 7, 1],
        [1, 1, 9],
        [5, 1, 6],
        [1, 300, 1],
        [2, 3, 4],
        [7, 5, 3],
        [3, 200, 2],
        [300, 20, 7],
        [1, 64, 300],
        [40, 64, 300],
        [130, 1, 130],
        [bl.mr, 10, bl.nr],
        [bl.mr + 1, 130, bl.nr + 1],
        [bl.mr - 1, 150, bl.nr - 1],
        [Math.ceil(bl.mr / 2), 300, 5 * bl.nr],
        [2 * bl.mr + 1, bl.kc + 1, 3 * bl.nr + 5],
        [bl.mc + 1, bl.kc - 1, 2 * bl.nr],
        [bl.mc - 1, 2 * bl.kc, 17],
        [bl.mc, bl.kc, bl.nr],
        [bl.mr + 1, 20, bl.nc + 1],
        [3, 2 * bl.kc + 3, bl.nc - 1],
      ];
      for (const [m, kk, n] of shapes) {
        const a = words(m * kk, m * 31 + kk);
        const b = words(kk * n, n * 17 + kk);
        const out = words(m * n, 1); // garbage in out must be overwritten
        k.matmul(a, b, out, m, kk, n);
        expectWords(out, refMatmul(a, b, m, kk, n), `matmul ${m}x${kk}x${n}`);
      }
    });

    at('matmul with k = 0 zeroes out; empty shapes do nothing', () => {
      const out = words(12, 3);
      k.matmul(new BigUint64Array(0), new BigUint64Array(0), out, 3, 0, 4);
      expectWords(out, new BigUint64Array(12), 'k=0');
      k.matmul(new BigUint64Array(0), new BigUint64Array(10), new BigUint64Array(0), 0, 2, 5);
      k.matmul(new BigUint64Array(10), new BigUint64Array(0), new BigUint64Array(0), 5, 2, 0);
    });

    at('matmul of all-ones and edge-valued matrices wraps mod 2^64', () => {
      for (const [m, kk, n] of [
        [20, 33, 40],
        [64, 300, 48],
      ] as const) {
        const a = new BigUint64Array(m * kk).fill(MAX);
        const b = new BigUint64Array(kk * n).fill(MAX);
        const out = new BigUint64Array(m * n);
        k.matmul(a, b, out, m, kk, n);
        expectWords(out, refMatmul(a, b, m, kk, n), 'all 2^64-1');
        const ea = new BigUint64Array(m * kk).map((_, i) => EDGES[i % EDGES.length]!);
        const eb = new BigUint64Array(kk * n).map((_, i) => EDGES[(i * 7) % EDGES.length]!);
        k.matmul(ea, eb, out, m, kk, n);
        expectWords(out, refMatmul(ea, eb, m, kk, n), 'edge values');
      }
    });

    at('matmul above the threading threshold, rows and column panels split, 1-3 threads', () => {
      const bl = d.blocking();
      const rowsM = 150;
      const rowsK = 140;
      const rowsN = Math.ceil(bl.threadMinMacs / (rowsM * rowsK)) + 7;
      const colsM = bl.mr + 1;
      const colsN = 40 * bl.nr + 3;
      const colsK = Math.ceil(bl.threadMinMacs / (colsM * colsN)) + 5;
      for (const [m, kk, n] of [
        [rowsM, rowsK, rowsN],
        [colsM, colsK, colsN],
      ] as const) {
        assert.ok(m * kk * n >= bl.threadMinMacs);
        const a = words(m * kk, 1234 + m);
        const b = words(kk * n, 4321 + n);
        const want = refMatmul(a, b, m, kk, n);
        for (const t of [1, 2, 3]) {
          d.setThreads(t);
          const out = words(m * n, 9);
          k.matmul(a, b, out, m, kk, n);
          expectWords(out, want, `matmul ${m}x${kk}x${n} on ${t} threads`);
        }
      }
    });

    at('matmul with out aliasing a or b (outside the contract) still computes a . b', () => {
      for (const n of [5, 40, 130]) {
        const a0 = words(n * n, n);
        const b0 = words(n * n, n + 1);
        const want = refMatmul(a0, b0, n, n, n);
        const a = copy(a0);
        k.matmul(a, b0, a, n, n, n);
        expectWords(a, want, `out=a n=${n}`);
        const b = copy(b0);
        k.matmul(a0, b, b, n, n, n);
        expectWords(b, want, `out=b n=${n}`);
      }
    });

    at('property: elementwise ops and matmul equal the reference (fast-check)', () => {
      const sameLength = fc
        .integer({ min: 0, max: 70 })
        .chain((n) =>
          fc.tuple(
            fc.bigUint64Array({ minLength: n, maxLength: n }),
            fc.bigUint64Array({ minLength: n, maxLength: n }),
            fc.bigUint64Array({ minLength: n, maxLength: n }),
            fc.bigInt(),
            fc.integer({ min: 0, max: 63 }),
          ),
        );
      fc.assert(
        fc.property(sameLength, ([a, b, c, s, sh]) => {
          const n = a.length;
          const want = new BigUint64Array(n);
          const got = new BigUint64Array(n);
          for (const op of BINARY) {
            ref[op](a, b, want);
            k[op](a, b, got);
            expectWords(got, want, op);
          }
          ref.mulAdd(a, b, c, want);
          k.mulAdd(a, b, c, got);
          expectWords(got, want, 'mulAdd');
          ref.mulScalar(a, s, want);
          k.mulScalar(a, s, got);
          expectWords(got, want, 'mulScalar');
          ref.addScalar(a, s, want);
          k.addScalar(a, s, got);
          expectWords(got, want, 'addScalar');
          ref.shrArithmetic(a, sh, want);
          k.shrArithmetic(a, sh, got);
          expectWords(got, want, 'shrArithmetic');
        }),
        { numRuns: 150 },
      );
      const shapes = fc
        .tuple(
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 40 }),
        )
        .chain(([m, kk, n]) =>
          fc.tuple(
            fc.constant([m, kk, n] as const),
            fc.bigUint64Array({ minLength: m * kk, maxLength: m * kk }),
            fc.bigUint64Array({ minLength: kk * n, maxLength: kk * n }),
          ),
        );
      fc.assert(
        fc.property(shapes, ([[m, kk, n], a, b]) => {
          const out = new BigUint64Array(m * n);
          k.matmul(a, b, out, m, kk, n);
          expectWords(out, refMatmul(a, b, m, kk, n), `matmul ${m}x${kk}x${n}`);
        }),
        { numRuns: 100 },
      );
    });
  }
}

test('tuneHeap sets glibc thresholds and rejects bad byte counts', () => {
  let addon: { tuneHeap(a: number, b: number): boolean };
  try {
    loadNativeKernel();
    addon = createRequire(import.meta.url)(nativeAddonPath()) as typeof addon;
  } catch (err) {
    if (err instanceof KernelUnavailableError) return; // no addon on this machine: nothing to tune
    throw err;
  }
  const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    ?.glibcVersionRuntime;
  assert.is(addon.tuneHeap(32 << 20, 1 << 30), glibc !== undefined);
  for (const bad of [-1, 2 ** 31, Number.NaN]) {
    assert.throws(() => addon.tuneHeap(bad, 1 << 20), /tuneHeap: thresholds must be byte counts/);
    assert.throws(() => addon.tuneHeap(1 << 20, bad), /tuneHeap: thresholds must be byte counts/);
  }
});

test.run();
