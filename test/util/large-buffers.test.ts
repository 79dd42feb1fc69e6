/**
 * Large buffers outside V8's count of external memory: kind by size, the budget on buffers not yet
 * collected, the budget given back by collection, and telling them from WebAssembly memories.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { spawnSync } from 'node:child_process';
import {
  copyBytes,
  isForeignShared,
  NATIVE_COPY_MIN_BYTES,
  LARGE_BUFFER_MIN_BYTES,
  largeBufferStats,
  largeBytes,
  largeUnfilledBuffer,
  largeUnfilledBytes,
  largeWords,
  setLargeBufferBudget,
} from '../../src/util/large-buffers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
setFlagsFromString('--no-expose-gc');

/** Lets FinalizationRegistry callbacks run (they are tasks queued after a collection). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10));
}

test.after.each(() => setLargeBufferBudget(undefined));

/**
 * Allocates a 1 MiB large buffer and one of `second`, checks both are counted, and drops them;
 * returns the count from before.
 */
function countedThenDropped(second: (n: number) => Uint8Array): number {
  const base = largeBufferStats().uncollectedBytes;
  (() => {
    const held = [largeBytes(1 << 20), second(1 << 20)];
    assert.is(largeBufferStats().uncollectedBytes, base + 2 * (1 << 20));
    assert.is(held.length, 2);
  })();
  return base;
}

test('large buffers are shared and zeroed, small ones plain', () => {
  const big = largeBytes(LARGE_BUFFER_MIN_BYTES);
  assert.ok(big.buffer instanceof SharedArrayBuffer);
  assert.is(big.byteOffset, 0);
  assert.ok(big.every((b) => b === 0));
  const small = largeBytes(LARGE_BUFFER_MIN_BYTES - 1);
  assert.ok(small.buffer instanceof ArrayBuffer);
  const words = largeWords(LARGE_BUFFER_MIN_BYTES / 8);
  assert.ok(words.buffer instanceof SharedArrayBuffer);
  assert.is(words.length, LARGE_BUFFER_MIN_BYTES / 8);
  assert.ok(words.every((w) => w === 0n));
  assert.is(largeBytes(0).byteLength, 0);
});

test('unfilled buffers (written whole by their users) are shared too, counted like the others', () => {
  const before = largeBufferStats().sharedAllocs;
  const bytes = largeUnfilledBytes(LARGE_BUFFER_MIN_BYTES + 3);
  assert.ok(bytes.buffer instanceof SharedArrayBuffer);
  assert.is(bytes.byteLength, LARGE_BUFFER_MIN_BYTES + 3);
  bytes.fill(9);
  assert.is(bytes[LARGE_BUFFER_MIN_BYTES + 2], 9);
  const buf = largeUnfilledBuffer(LARGE_BUFFER_MIN_BYTES);
  assert.ok(Buffer.isBuffer(buf) && buf.buffer instanceof SharedArrayBuffer);
  assert.not.ok(isForeignShared(buf.buffer));
  assert.is(largeBufferStats().sharedAllocs, before + 2);
  assert.ok(largeUnfilledBytes(10).buffer instanceof ArrayBuffer);
});

test('bad sizes are refused with the size named', () => {
  assert.throws(() => largeBytes(-1), /-1 is not a byte count/);
  assert.throws(() => largeWords(1.5), /1.5 is not a word count/);
  assert.throws(() => setLargeBufferBudget(-5), /-5 is not a byte count/);
});

test('over the budget, buffers are plain (V8 counts them and collects as before)', () => {
  gc();
  const before = largeBufferStats();
  setLargeBufferBudget(before.uncollectedBytes + 3 * LARGE_BUFFER_MIN_BYTES);
  const kept = [largeBytes(2 * LARGE_BUFFER_MIN_BYTES)];
  assert.ok(kept[0]!.buffer instanceof SharedArrayBuffer);
  kept.push(largeBytes(2 * LARGE_BUFFER_MIN_BYTES)); // would exceed the budget
  assert.ok(kept[1]!.buffer instanceof ArrayBuffer);
  assert.is(largeBufferStats().overBudgetAllocs, before.overBudgetAllocs + 1);
  setLargeBufferBudget(0);
  assert.ok(largeBytes(LARGE_BUFFER_MIN_BYTES).buffer instanceof ArrayBuffer, 'budget 0: all plain');
  assert.is(largeBufferStats().budgetBytes, 0);
});

test('a collected buffer gives its bytes back to the budget', async () => {
  gc();
  await settle();
  const base = countedThenDropped(largeBytes);
  gc();
  await settle();
  assert.ok(largeBufferStats().uncollectedBytes <= base, 'both buffers counted out after collection');
});

test('with the addon, a buffer freed by a young-generation scavenge gives its bytes back', async () => {
  if (!largeBufferStats().processWide) return; // the addon is not built: only full collections count
  const minorGc = gc as unknown as (o: { type: 'minor' }) => void;
  minorGc({ type: 'minor' });
  await settle();
  const base = countedThenDropped(largeUnfilledBytes);
  // V8 may sweep the dead buffers on a helper thread after the scavenge: give it a moment
  for (let i = 0; i < 50 && largeBufferStats().uncollectedBytes > base; i++) {
    minorGc({ type: 'minor' });
    await settle();
  }
  assert.ok(largeBufferStats().uncollectedBytes <= base, 'freed without a full collection');
});

test('copyBytes equals set at every alignment, shared or plain, and refuses what does not fit', () => {
  const n = NATIVE_COPY_MIN_BYTES * 3 + 5;
  const src = largeBytes(n + 16);
  for (let i = 0; i < src.length; i++) src[i] = (i * 131 + 7) & 255;
  const kinds = [(k: number) => largeBytes(k), (k: number) => new Uint8Array(k)];
  for (const make of kinds)
    for (const so of [0, 1, 3, 8])
      for (const to of [0, 2, 5, 8]) {
        const piece = src.subarray(so, so + n);
        const got = make(n + 16);
        const want = new Uint8Array(n + 16);
        copyBytes(got.subarray(1), to, piece);
        want.subarray(1).set(piece, to);
        assert.ok(Buffer.from(got).equals(Buffer.from(want)), `source offset ${so}, target offset ${to}`);
      }
  const small = new Uint8Array(10);
  copyBytes(small, 2, Uint8Array.of(1, 2, 3));
  assert.equal([...small.subarray(0, 6)], [0, 0, 1, 2, 3, 0]);
  const target = largeBytes(NATIVE_COPY_MIN_BYTES * 2);
  assert.throws(() => copyBytes(target, 1, largeBytes(NATIVE_COPY_MIN_BYTES * 2)), RangeError);
  assert.throws(() => copyBytes(target, -1, largeBytes(NATIVE_COPY_MIN_BYTES)), RangeError);
  // overlapping ranges of one buffer, as set copies them
  const same = largeBytes(NATIVE_COPY_MIN_BYTES * 4);
  for (let i = 0; i < same.length; i++) same[i] = i & 255;
  const ref = Uint8Array.from(same);
  copyBytes(same, 3, same.subarray(0, NATIVE_COPY_MIN_BYTES * 2));
  ref.set(ref.subarray(0, NATIVE_COPY_MIN_BYTES * 2), 3);
  assert.ok(Buffer.from(same).equals(Buffer.from(ref)));
});

test("this module's buffers are told from other shared memory (a WebAssembly memory's)", () => {
  assert.not.ok(isForeignShared(largeBytes(LARGE_BUFFER_MIN_BYTES).buffer));
  assert.ok(isForeignShared(new SharedArrayBuffer(16)));
  assert.ok(isForeignShared(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer));
  assert.not.ok(isForeignShared(new ArrayBuffer(16)));
});

test('buffers made in worker threads that have ended are freed safely (the addon stays loaded)', () => {
  // In a process of its own whose main thread never loads the addon: the workers alone do, and
  // Node unloaded it with the last of them while their buffers were still to be freed (a crash).
  const url = new URL('../../src/util/large-buffers.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(url)}); })
    .then((m) => { globalThis.kept = [m.largeUnfilledBytes(1 << 20), m.largeUnfilledBuffer(1 << 20)]; })`;
  const main = `
    const { Worker } = require('node:worker_threads');
    const { once } = require('node:events');
    (async () => {
      for (let i = 0; i < 3; i++) {
        const w = new Worker(${JSON.stringify(worker)}, { eval: true });
        const [code] = await once(w, 'exit');
        if (code !== 0) process.exit(10 + code);
      }
      for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
      process.stdout.write('ok');
    })();`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', main], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.signal, null, `the process died of ${r.signal}: ${r.stderr}`);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'ok');
});

test('a bad PEERMPC_LARGE_BUFFER_MIB fails the process at load, naming the variable', () => {
  const url = new URL('../../src/util/large-buffers.ts', import.meta.url).href;
  const run = (value: string): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['--import', 'tsx', '-e', `await import(${JSON.stringify(url)})`], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PEERMPC_LARGE_BUFFER_MIB: value },
    });
  const bad = run('256M');
  assert.is.not(bad.status, 0);
  assert.match(String(bad.stderr), /PEERMPC_LARGE_BUFFER_MIB: "256M" is not a whole number of MiB/);
  assert.is(run('0').status, 0, 'zero turns the shared buffers off');
});

test.run();
