/** The AES-CTR PRG: deterministic per (seed, stream), distinct across streams, uniform-looking bytes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Prg } from '../../src/tensor/index.js';
import { nativeAesCtr } from '../../src/tensor/kernels/native-prg.js';

const seed = (b: number) => new Uint8Array(16).fill(b);

test('deterministic per seed and stream, independent of chunking', () => {
  const a = new Prg(seed(1), 7).bytes(200_000);
  const p = new Prg(seed(1), 7);
  const parts = [p.bytes(3), p.bytes(65_533), p.bytes(1), p.bytes(134_463)];
  const joined = new Uint8Array(200_000);
  let o = 0;
  for (const x of parts) {
    joined.set(x, o);
    o += x.length;
  }
  assert.equal(Buffer.compare(Buffer.from(a), Buffer.from(joined)), 0);
});

test('fillBytes overwrites what the buffer held (masks are drawn into unzeroed buffers)', () => {
  for (const n of [5, 4096, 100_003]) {
    const fresh = new Prg(seed(3), 2).bytes(n);
    const dirty = new Uint8Array(n).fill(0xa5);
    new Prg(seed(3), 2).fillBytes(dirty);
    assert.equal(Buffer.compare(Buffer.from(fresh), Buffer.from(dirty)), 0, `n = ${n}`);
  }
});

test('different streams and seeds give different output', () => {
  const base = Buffer.from(new Prg(seed(1), 0).bytes(64));
  assert.not.equal(Buffer.compare(base, Buffer.from(new Prg(seed(1), 1).bytes(64))), 0);
  assert.not.equal(Buffer.compare(base, Buffer.from(new Prg(seed(2), 0).bytes(64))), 0);
  assert.not.equal(
    Buffer.compare(Buffer.from(Prg.random().bytes(32)), Buffer.from(Prg.random().bytes(32))),
    0,
  );
});

test('matches AES-128-CTR with the documented IV (seed = key, stream id in the high 64 bits)', async () => {
  const { createCipheriv } = await import('node:crypto');
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(5n, 0);
  const expected = createCipheriv('aes-128-ctr', seed(9), iv).update(Buffer.alloc(48));
  assert.equal(Buffer.compare(Buffer.from(new Prg(seed(9), 5).bytes(48)), expected), 0);
});

test('bytes look uniform (chi-square on byte frequencies)', () => {
  const n = 1 << 20;
  const bytes = new Prg(seed(3), 0).bytes(n);
  const counts = new Array<number>(256).fill(0);
  for (const b of bytes) counts[b]!++;
  const e = n / 256;
  const chi = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
  // 255 degrees of freedom: mean 255, sd ~22.6; 330 is p ~ 0.001
  assert.ok(chi < 330, `chi-square ${chi.toFixed(1)}`);
  // and the check can fail: a biased source is caught
  const biased = bytes.map((b, i) => (i % 50 === 0 ? 0 : b));
  const bc = new Array<number>(256).fill(0);
  for (const b of biased) bc[b]!++;
  assert.ok(bc.reduce((s, c) => s + (c - e) ** 2 / e, 0) > 330);
});

test('fills ring tensors with words', () => {
  const t = new Prg(seed(4), 1).ring([3, 5]);
  assert.equal(t.shape, [3, 5]);
  assert.ok(new Set(t.toBigInts()).size === 15);
});

test('rejects bad seeds and stream ids', () => {
  assert.throws(() => new Prg(new Uint8Array(15)), /16 bytes/);
  assert.throws(() => new Prg(seed(1), -1n), /stream id/);
  assert.throws(() => new Prg(seed(1), 1n << 64n), /stream id/);
});

test('the native in-place keystream equals node:crypto at every offset and chunking', async () => {
  const native = nativeAesCtr();
  if (native === null) {
    assert.ok(process.env.PEERMPC_REQUIRE_NATIVE === undefined, 'native PRG required but not built');
    return;
  }
  const { createCipheriv } = await import('node:crypto');
  const key = new Uint8Array(16).map((_, i) => i * 17 + 3);
  const rk = native.expandKey(key);
  for (const [stream, first, skip, len] of [
    [0n, 0n, 0, 0],
    [0n, 0n, 0, 16],
    [9n, 0n, 0, 1000],
    [7n, 3n, 5, 333],
    [(1n << 64n) - 1n, 1n << 40n, 15, 4097],
    [3n, 1n, 1, 256 * 16 + 7],
  ] as const) {
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64BE(stream, 0);
    iv.writeBigUInt64BE(first, 8);
    const expected = createCipheriv('aes-128-ctr', key, iv)
      .update(Buffer.alloc(len + skip))
      .subarray(skip);
    const out = new Uint8Array(len);
    native.fill(rk, stream, first, skip, out);
    assert.equal(
      Buffer.compare(Buffer.from(out), expected),
      0,
      `stream ${stream} block ${first} skip ${skip} len ${len}`,
    );
  }
  assert.throws(() => native.fill(rk, 0n, 0n, 16, new Uint8Array(1)), /skip/);
  assert.throws(() => native.fill(new Uint8Array(10), 0n, 0n, 0, new Uint8Array(1)), /176/);
});

test.run();
