// The native kernel's fused rep3 ops (native/fused_impl.h) against the reference loops on every
// dispatch level, and split across threads; the persistent thread pool (native/pool.h): kept
// between calls, grown by setThreads, joined when a process or a worker_thread ends.
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelUnavailableError } from '../../src/tensor/kernel.js';
import { loadNativeKernel, nativeAddonPath, nativeDispatch } from '../../src/tensor/kernels/native.js';
import { referenceKernel } from '../../src/tensor/kernels/reference.js';
import { fusedSuite, fusedWords } from './fused-suite.js';

let loaded: { k: ReturnType<typeof loadNativeKernel>; d: ReturnType<typeof nativeDispatch> } | undefined;
try {
  loaded = { k: loadNativeKernel(), d: nativeDispatch() };
} catch (err) {
  if (!(err instanceof KernelUnavailableError)) throw err;
  test(`native kernel unavailable (${err.message})`, () => {
    assert.ok(!process.env.PEERMPC_REQUIRE_NATIVE, 'the native kernel is required');
  });
}

if (loaded !== undefined) {
  const { k, d } = loaded;
  const [level0, threads0] = [d.level(), d.threads()];
  for (const level of d.levels()) {
    fusedSuite(`native ${level}`, k, {
      around: (fn) => {
        d.setLevel(level);
        try {
          fn();
        } finally {
          d.setLevel(level0);
        }
      },
    });
  }

  test('fused ops split across threads give the same words (3 threads, chunks of odd size)', () => {
    const ref = referenceKernel();
    const n = 3 * d.blocking().elementwiseWordsPerThread + 5;
    const w = (seed: number) => fusedWords(n, seed);
    const [x0, x1, y0, y1, p, m] = [w(1), w(2), w(3), w(4), w(5), w(6)];
    const lanes = new Uint8Array(w(7).buffer, 3, 4 * n);
    try {
      for (const threads of [1, 3]) {
        d.setThreads(threads);
        const [want, got] = [new BigUint64Array(n), new BigUint64Array(n)];
        ref.mulAdd3(x0, x1, y0, y1, p, m, want, 16);
        k.mulAdd3(x0, x1, y0, y1, p, m, got, 16);
        assert.equal(got, want, `mulAdd3, ${threads} threads`);
        const [wantL, gotL] = [new Uint8Array(2 * n), new Uint8Array(2 * n)];
        ref.selectLanes(x0, 63, lanes, 2, wantL);
        k.selectLanes(x0, 63, lanes, 2, gotL);
        assert.equal(gotL, wantL, `selectLanes, ${threads} threads`);
        ref.unwrapLanes(x1, 47, lanes, lanes.subarray(0, 2 * n), 2, 1n << 48n, want);
        k.unwrapLanes(x1, 47, lanes, lanes.subarray(0, 2 * n), 2, 1n << 48n, got);
        assert.equal(got, want, `unwrapLanes, ${threads} threads`);
        const out = () => [new BigUint64Array(n), new Uint8Array(4 * n), new Uint8Array(4 * n)] as const;
        const [t0a, m1a, m2a] = out();
        const [t0b, m1b, m2b] = out();
        const [ca, pa, cb, pb] = [0, 0, 0, 0].map(() => new BigUint64Array(n)) as BigUint64Array[];
        ref.wrapSend(x0, x1, y0, y1, p, lanes, lanes, 16, 2, t0a, m1a, m2a, ca!, pa!);
        k.wrapSend(x0, x1, y0, y1, p, lanes, lanes, 16, 2, t0b, m1b, m2b, cb!, pb!);
        assert.equal([t0b, m1b, m2b, cb, pb], [t0a, m1a, m2a, ca, pa], `wrapSend, ${threads} threads`);
      }
    } finally {
      d.setThreads(threads0);
    }
  });

  test('the thread pool keeps its workers between calls and grows with setThreads', () => {
    const n = 4 * d.blocking().elementwiseWordsPerThread;
    const a = fusedWords(n, 9);
    try {
      d.setThreads(2);
      k.add(a, a, new BigUint64Array(n));
      const after = d.poolSize!();
      assert.ok(after >= 1, `pool of ${after} workers after a 2-thread op`);
      for (let i = 0; i < 5; i++) k.mul(a, a, new BigUint64Array(n));
      assert.is(d.poolSize!(), after, 'no new workers for the same thread count');
      d.setThreads(4);
      k.add(a, a, new BigUint64Array(n));
      assert.ok(d.poolSize!() >= 3, `pool of ${d.poolSize!()} workers after a 4-thread op`);
    } finally {
      d.setThreads(threads0);
    }
  });

  test('a process with a busy pool exits at once; so does a worker_thread that used it', async () => {
    const code = `
      const r = require(${JSON.stringify(nativeAddonPath())});
      r.setThreads(4);
      const n = 1 << 20, a = new BigUint64Array(n).fill(3n), o = new BigUint64Array(n);
      for (let i = 0; i < 3; i++) r.mul(a, a, o);
      r.matmul(a.subarray(0, 256 * 256), a.subarray(0, 256 * 256), o.subarray(0, 256 * 256), 256, 256, 256);
      console.log(o[0], r.poolSize());`;
    const started = Date.now();
    const run = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60_000 });
    assert.is(run.status, 0, run.stderr);
    assert.is(run.stdout.trim(), '2304n 3');
    assert.ok(Date.now() - started < 30_000);
    const exiting = spawnSync(process.execPath, ['-e', code + '; process.exit(0)'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.is(exiting.status, 0, exiting.stderr);
    // A worker_thread loads the addon (its own environment), uses the pool and ends; the pool
    // stays usable here.
    const inWorker = code.replace(
      'console.log(o[0], r.poolSize())',
      'require("node:worker_threads").parentPort.postMessage(o[0])',
    );
    const worker = new Worker(inWorker, { eval: true });
    const said = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.is(said, 2304n);
    await new Promise((resolve) => worker.once('exit', resolve));
    const n = 1 << 20;
    const a = fusedWords(n, 3);
    const [want, got] = [new BigUint64Array(n), new BigUint64Array(n)];
    referenceKernel().mul(a, a, want);
    try {
      d.setThreads(2);
      k.mul(a, a, got);
    } finally {
      d.setThreads(threads0);
    }
    assert.equal(got, want);
  });
}

test.run();
