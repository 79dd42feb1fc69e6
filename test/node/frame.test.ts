/** The MPC frame codec: round trips, and fuzzing of malformed, truncated and oversized input. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  ABORT_CODE,
  decodeFrameBody,
  encodeAbort,
  encodeData,
  encodeHello,
  encodeReady,
  FrameError,
  MAX_REASON_BYTES,
  type Frame,
} from '../../src/node/mpc/frame.js';
import { FrameDecoder } from '../../src/node/mpc/frame-decoder.js';

const digest = new Uint8Array(32).map((_, i) => i);
const MAX = 1 << 16;

function decodeAll(bytes: Uint8Array, chunk = bytes.length): Frame[] {
  const d = new FrameDecoder(MAX);
  const out: Frame[] = [];
  for (let i = 0; i < bytes.length; i += chunk) out.push(...d.push(bytes.subarray(i, i + chunk)));
  assert.is(d.buffered, 0, 'no bytes left over');
  return out;
}

test('every frame kind round-trips, whole and byte by byte', () => {
  const frames = [
    encodeHello('job-1', 0, 2, 3, digest),
    encodeReady('job-1'),
    encodeData('job-1', 7, new Uint8Array([1, 2, 3])),
    encodeData('job-1', 0xffffffff, new Uint8Array(0)),
    encodeAbort('job-1', ABORT_CODE.aborted, 2, 9, 'party 2 failed: é'),
    encodeAbort('job-1', ABORT_CODE.unknownJob, -1, -1, ''),
  ];
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    all.set(f, at);
    at += f.length;
  }
  for (const chunk of [all.length, 1, 3, 17]) {
    const got = decodeAll(all, chunk);
    assert.equal(got[0], { kind: 'hello', jobId: 'job-1', from: 0, to: 2, parties: 3, digest });
    assert.equal(got[1], { kind: 'ready', jobId: 'job-1' });
    assert.equal(got[2], { kind: 'data', jobId: 'job-1', step: 7, payload: new Uint8Array([1, 2, 3]) });
    assert.equal(got[3], { kind: 'data', jobId: 'job-1', step: 0xffffffff, payload: new Uint8Array(0) });
    assert.equal(got[4], {
      kind: 'abort',
      jobId: 'job-1',
      code: 1,
      culprit: 2,
      step: 9,
      reason: 'party 2 failed: é',
    });
    assert.equal(got[5], { kind: 'abort', jobId: 'job-1', code: 2, culprit: -1, step: -1, reason: '' });
  }
});

test('data payloads are copies with an 8-byte aligned offset', () => {
  const [f] = decodeAll(encodeData('j', 1, new Uint8Array(24).fill(5)));
  assert.ok(f !== undefined && f.kind === 'data');
  if (f?.kind !== 'data') return;
  assert.is(f.payload.byteOffset % 8, 0);
  assert.is(new BigUint64Array(f.payload.buffer, f.payload.byteOffset, 3).length, 3);
});

test('property: random data frames round-trip through random chunking', () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.uint8Array({ maxLength: 300 }),
      fc.integer({ min: 1, max: 64 }),
      (jobId, step, payload, chunk) => {
        if (new TextEncoder().encode(jobId).length > 128) return;
        const [f] = decodeAll(encodeData(jobId, step, payload), chunk);
        assert.equal(f, { kind: 'data', jobId, step, payload });
      },
    ),
    { numRuns: 300 },
  );
});

test('large data frames (single-copy path) decode whole and across chunks', () => {
  const payload = new Uint8Array(50_000).map((_, i) => (i * 7) & 0xff);
  const f = encodeData('job-large', 12, payload);
  for (const chunk of [f.length, 4096, 1000, 7]) {
    const [got] = decodeAll(f, chunk);
    assert.equal(got, { kind: 'data', jobId: 'job-large', step: 12, payload });
  }
  // the same path refuses a bad job id
  const bad = f.slice();
  bad[5] = 0;
  assert.throws(
    () => new FrameDecoder(MAX).push(bad),
    (e: FrameError) => e.reason === 'bad-job-id',
  );
});

test('oversized length prefix is refused before the body arrives', () => {
  const d = new FrameDecoder(MAX);
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, 0xffffffff, true);
  try {
    d.push(head);
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, FrameError);
    assert.is((err as FrameError).reason, 'oversized');
  }
  const big = encodeData('j', 1, new Uint8Array(MAX + 200));
  assert.throws(
    () => new FrameDecoder(MAX).push(big.subarray(0, 8)),
    (e: FrameError) => e.reason === 'oversized',
  );
});

test('truncated frames wait for more bytes; a body cut short inside is refused', () => {
  const d = new FrameDecoder(MAX);
  const f = encodeHello('job', 0, 1, 2, digest);
  assert.equal(d.push(f.subarray(0, f.length - 1)), []);
  assert.is(d.buffered, f.length - 1);
  // a length that ends inside the fixed fields of the kind
  const cut = encodeHello('job', 0, 1, 2, digest).slice(0, 12);
  new DataView(cut.buffer).setUint32(0, cut.length - 4, true);
  assert.throws(
    () => new FrameDecoder(MAX).push(cut),
    (e: FrameError) => e.reason === 'bad-length',
  );
});

test('malformed bodies are refused with a fixed reason', () => {
  const cases: [Uint8Array, string][] = [
    [new Uint8Array([9, 1, 0x61]), 'unknown-kind'],
    [new Uint8Array([3, 0]), 'bad-job-id'],
    [new Uint8Array([3, 200, 0x61]), 'bad-job-id'],
    [new Uint8Array([3, 5, 0x61]), 'too-short'],
    [new Uint8Array([3, 1, 0xff, 0, 0, 0, 0]), 'bad-utf8'],
    [new Uint8Array([3, 1, 0x61, 0]), 'bad-length'],
    [new Uint8Array([2, 1, 0x61, 0]), 'bad-length'],
    [new Uint8Array([1]), 'too-short'],
  ];
  for (const [body, reason] of cases) {
    assert.throws(
      () => decodeFrameBody(body),
      (e: FrameError) => e instanceof FrameError && e.reason === reason,
      reason,
    );
  }
  // hello with out-of-range parties
  const h = encodeHello('j', 0, 1, 2, digest);
  new DataView(h.buffer).setUint16(4 + 2 + 1 + 4, 1, true); // parties = 1
  assert.throws(
    () => decodeFrameBody(h.subarray(4)),
    (e: FrameError) => e.reason === 'bad-field',
  );
  // abort with an unknown code
  const a = encodeAbort('j', ABORT_CODE.aborted, 0, 0, 'x');
  a[4 + 2 + 1] = 77;
  assert.throws(
    () => decodeFrameBody(a.subarray(4)),
    (e: FrameError) => e.reason === 'bad-field',
  );
});

test('abort reasons are cut to the limit on a code point boundary', () => {
  const [f] = decodeAll(encodeAbort('j', ABORT_CODE.aborted, 0, 0, 'é'.repeat(MAX_REASON_BYTES)));
  assert.ok(f?.kind === 'abort');
  if (f?.kind !== 'abort') return;
  assert.ok(new TextEncoder().encode(f.reason).length <= MAX_REASON_BYTES);
  assert.ok(/^é+$/.test(f.reason));
});

test('fuzz: random bytes either decode to frames or throw FrameError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 50 }), (bytes, chunk) => {
      const d = new FrameDecoder(256);
      try {
        for (let i = 0; i < bytes.length; i += chunk) d.push(bytes.subarray(i, i + chunk));
      } catch (err) {
        assert.instance(err, FrameError);
      }
    }),
    { numRuns: 2000 },
  );
});

test('fuzz: mutated valid frames either decode or throw FrameError', () => {
  const valid = [
    encodeHello('job-x', 1, 2, 3, digest),
    encodeReady('job-x'),
    encodeData('job-x', 3, new Uint8Array(20).fill(1)),
    encodeAbort('job-x', ABORT_CODE.protocolError, 1, 2, 'bad'),
  ];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: valid.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (which, edits) => {
        const f = valid[which]!.slice();
        for (const [pos, v] of edits) f[pos % f.length] = v;
        try {
          new FrameDecoder(1024).push(f);
        } catch (err) {
          assert.instance(err, FrameError);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('encoders refuse bad job ids and steps', () => {
  assert.throws(() => encodeReady(''), RangeError);
  assert.throws(() => encodeReady('x'.repeat(129)), RangeError);
  assert.throws(() => encodeData('j', -1, new Uint8Array(0)), RangeError);
  assert.throws(() => encodeData('j', 2 ** 32, new Uint8Array(0)), RangeError);
});

test.run();
