/** The wire codec: round trips, and typed errors only on random, truncated and hostile input. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { CodecError, decodeRing, encodeRing, encodedSize, RingTensor } from '../../src/tensor/index.js';
import { randomWords } from '../helpers/bigint-ref.js';

test('round-trips shapes of every rank, both kinds', () => {
  for (const shape of [[], [0], [1], [5], [2, 3], [2, 0, 4], [1, 2, 1, 3, 1]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = RingTensor.fromBigInts(randomWords(n, n + 1), shape);
    for (const kind of ['ring', 'bool'] as const) {
      const bytes = encodeRing(t, kind);
      assert.is(bytes.length, encodedSize(shape));
      const back = decodeRing(bytes);
      assert.is(back.kind, kind);
      assert.ok(back.tensor.equals(t), `shape [${shape}]`);
    }
  }
});

test('unaligned input is copied; aligned is a view', () => {
  const t = RingTensor.fromBigInts([1n, 2n, 3n]);
  const bytes = encodeRing(t);
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.ok(decodeRing(shifted.subarray(1)).tensor.equals(t));
  assert.is(decodeRing(bytes).tensor.data.buffer, bytes.buffer);
  assert.is.not(decodeRing(bytes, { copy: true }).tensor.data.buffer, bytes.buffer);
});

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.instance(e, CodecError);
    return (e as CodecError).code;
  }
  return 'none';
};

test('each malformation gets its code', () => {
  const good = encodeRing(RingTensor.fromBigInts([1n, 2n, 3n, 4n], [2, 2]));
  const mut = (f: (b: Uint8Array) => void) => {
    const b = good.slice();
    f(b);
    return b;
  };
  assert.is(
    codeOf(() => decodeRing(good.subarray(0, 5))),
    'TRUNCATED',
  );
  assert.is(
    codeOf(() => decodeRing(good.subarray(0, good.length - 1))),
    'TRUNCATED',
  );
  assert.is(
    codeOf(() => decodeRing(mut((b) => (b[0] = 0)))),
    'BAD_MAGIC',
  );
  assert.is(
    codeOf(() => decodeRing(mut((b) => (b[2] = 9)))),
    'BAD_VERSION',
  );
  assert.is(
    codeOf(() => decodeRing(mut((b) => (b[3] = 7)))),
    'BAD_KIND',
  );
  assert.is(
    codeOf(() => decodeRing(good, { kind: 'bool' })),
    'BAD_KIND',
  );
  assert.is(
    codeOf(() => decodeRing(mut((b) => (b[4] = 200)))),
    'BAD_RANK',
  );
  assert.is(
    codeOf(() => decodeRing(mut((b) => (b[6] = 1)))),
    'BAD_RESERVED',
  );
  const big = mut((b) => new DataView(b.buffer).setUint32(8, 0xffffffff, true));
  assert.is(
    codeOf(() => decodeRing(big)),
    'TOO_LARGE',
  );
  assert.is(
    codeOf(() => decodeRing(good, { maxWords: 3 })),
    'TOO_LARGE',
  );
  const extra = new Uint8Array(good.length + 8);
  extra.set(good);
  assert.is(
    codeOf(() => decodeRing(extra)),
    'TRAILING_BYTES',
  );
});

test('random and truncated bytes give CodecError only (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeRing(bytes, { maxWords: 1 << 16 });
      } catch (e) {
        return e instanceof CodecError;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  const good = encodeRing(RingTensor.fromBigInts(randomWords(30, 2), [5, 6]));
  for (let cut = 0; cut < good.length; cut++)
    assert.ok(codeOf(() => decodeRing(good.subarray(0, cut))) !== 'none');
  fc.assert(
    fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (pos, x) => {
      const b = good.slice();
      b[pos] = b[pos]! ^ x;
      try {
        decodeRing(b, { maxWords: 1 << 16, kind: 'ring' });
        return pos >= 16; // only a change in the words may still decode
      } catch (e) {
        return e instanceof CodecError && pos < 16; // (a kind flip to 'bool' is caught by the expected kind)
      }
    }),
    { numRuns: 500 },
  );
});

test.run();
