/** Narrow lanes: packing keeps each word's low bytes, unpacking zero-extends, lengths are checked. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  laneFor,
  packLanes,
  packLanesJs,
  unpackLanes,
  unpackLanesJs,
  type Lane,
} from '../../src/protocols/lanes.js';

const LANES: Lane[] = [1, 2, 4, 8];

test('laneFor picks the narrowest lane of at least the bits', () => {
  const want: [number, Lane][] = [
    [0, 1],
    [1, 1],
    [8, 1],
    [9, 2],
    [16, 2],
    [17, 4],
    [32, 4],
    [33, 8],
    [62, 8],
    [64, 8],
  ];
  for (const [bits, lane] of want) assert.is(laneFor(bits), lane, `${bits} bits`);
  for (const bad of [-1, 65, 1.5, Number.NaN]) assert.throws(() => laneFor(bad), /no lane for/);
});

test('pack then unpack keeps each word modulo 2^(8 lane), for every lane', () => {
  fc.assert(
    fc.property(fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 40 }), (vals) => {
      const words = BigUint64Array.from(vals);
      for (const lane of LANES) {
        const packed = packLanes(words, lane);
        assert.is(packed.byteLength, lane * words.length);
        const back = unpackLanes(packed, words.length, lane, 'test');
        const mod = 1n << BigInt(8 * lane);
        assert.equal(
          Array.from(back),
          vals.map((v) => (lane === 8 ? v : v % mod)),
        );
      }
    }),
  );
});

test('unpack reads an unaligned payload and refuses a wrong length, naming it', () => {
  const words = BigUint64Array.from([0x1234_5678_9abc_def0n, 0xffff_ffff_ffff_ffffn, 7n]);
  for (const lane of [2, 4] as const) {
    const packed = packLanes(words, lane);
    const shifted = new Uint8Array(packed.byteLength + 1);
    shifted.set(packed, 1);
    const back = unpackLanes(shifted.subarray(1), 3, lane, 'odd offset');
    assert.equal(Array.from(back), Array.from(unpackLanes(packed, 3, lane, 'aligned')));
  }
  assert.throws(
    () => unpackLanes(new Uint8Array(5), 3, 2, "party 1's OT mask, step 4"),
    /party 1's OT mask, step 4: 5 bytes, expected 6 \(3 lanes of 2\)/,
  );
});

test('the native and JavaScript paths give the same bytes and words', () => {
  const words = new BigUint64Array(1037);
  let x = 0x9e37_79b9_7f4a_7c15n;
  for (let i = 0; i < words.length; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffff_ffff_ffff_ffffn;
    words[i] = x;
  }
  for (const lane of [1, 2, 4] as const) {
    const packed = packLanes(words, lane);
    assert.equal(packed, packLanesJs(words, lane), `pack, lane ${lane}`);
    const js = new BigUint64Array(words.length);
    unpackLanesJs(packed, lane, js);
    assert.equal(unpackLanes(packed, words.length, lane, 'test'), js, `unpack, lane ${lane}`);
  }
});

test.run();
