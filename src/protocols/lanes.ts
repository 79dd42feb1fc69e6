/**
 * Narrow lanes on the wire: a payload of values that only matter modulo 2^(8 * lane) (lane 1, 2 or 4
 * bytes) carries just those low bytes of each 64-bit word, not the whole word.
 *
 * A protocol may compute in full 64-bit words and send narrow lanes whenever its receiver uses the
 * values only modulo 2^(8 * lane): masks and sums agree modulo 2^(8 * lane) whatever the high bits,
 * and a receiver that multiplies by 2^(64 - d) (d <= 8 * lane) ends with a full-width value again,
 * since 2^(64 - d) * 2^(8 * lane) = 0 mod 2^64. The rep3 truncation's OT (rep3/trunc.ts) does this:
 * its messages carry one bit's share, so for d = 16 they take 2 bytes instead of 8.
 *
 * Words are read and written as little-endian bytes, as every payload (wire.ts). The native addon
 * packs when it is built (about ten times faster than the JavaScript loops, which stay the
 * fallback and give the same bytes).
 */
import { nativeLanes } from '../tensor/kernels/native.js';
import { wordBytes } from './wire.js';
import { largeBytes, largeWords } from '../util/large-buffers.js';

const native = nativeLanes();

/** Bytes per element on the wire. */
export type Lane = 1 | 2 | 4 | 8;

/** The narrowest lane that holds values modulo 2^bits (bits in [0, 64]). */
export function laneFor(bits: number): Lane {
  if (!Number.isInteger(bits) || bits < 0 || bits > 64) throw new RangeError(`no lane for ${bits} bits`);
  return bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 32 ? 4 : 8;
}

type LaneArray = Uint8Array | Uint16Array | Uint32Array;

function laneView(buffer: ArrayBufferLike, byteOffset: number, length: number, lane: 1 | 2 | 4): LaneArray {
  if (lane === 1) return new Uint8Array(buffer, byteOffset, length);
  if (lane === 2) return new Uint16Array(buffer, byteOffset, length);
  return new Uint32Array(buffer, byteOffset, length);
}

/** The low `lane` bytes of each word, packed: n * lane bytes (a view of the words for lane 8). */
export function packLanes(words: BigUint64Array, lane: Lane): Uint8Array {
  if (lane === 8) return wordBytes(words);
  const n = words.length;
  if (native === undefined) return packLanesJs(words, lane);
  const out = largeBytes(n * lane);
  native.packLanes(words, lane, out);
  return out;
}

/** {@link packLanes} in JavaScript (the fallback without the addon; same bytes). */
export function packLanesJs(words: BigUint64Array, lane: 1 | 2 | 4): Uint8Array {
  const n = words.length;
  const per = 8 / lane; // lane-sized units per word: the low one comes first (little-endian)
  const src = laneView(words.buffer, words.byteOffset, n * per, lane);
  const out = largeBytes(n * lane);
  const dst = laneView(out.buffer, 0, n, lane);
  for (let i = 0, j = 0; i < n; i++, j += per) dst[i] = src[j]!;
  return out;
}

/**
 * n words from a packed payload of n * lane bytes, each zero-extended (its high bytes are
 * meaningless to the protocol).
 * @throws RangeError when the payload's length is not n * lane; `what` names it.
 */
export function unpackLanes(bytes: Uint8Array, n: number, lane: Lane, what: string): BigUint64Array {
  return unpackLanesInto(bytes, lane, largeWords(n), what);
}

/**
 * {@link unpackLanes} into `out` (any contents; every word is overwritten): out.length lanes.
 * @throws RangeError when the payload's length is not out.length * lane; `what` names it.
 */
export function unpackLanesInto(
  bytes: Uint8Array,
  lane: Lane,
  out: BigUint64Array,
  what: string,
): BigUint64Array {
  const n = out.length;
  if (bytes.byteLength !== n * lane) {
    throw new RangeError(`${what}: ${bytes.byteLength} bytes, expected ${n * lane} (${n} lanes of ${lane})`);
  }
  if (lane === 8) wordBytes(out).set(bytes);
  else if (native !== undefined) native.unpackLanes(bytes, lane, out);
  else unpackLanesJs(bytes, lane, out);
  return out;
}

/** {@link unpackLanes} in JavaScript into `out` (the fallback without the addon). */
export function unpackLanesJs(bytes: Uint8Array, lane: 1 | 2 | 4, out: BigUint64Array): void {
  const n = out.length;
  new Uint32Array(out.buffer, out.byteOffset, 2 * n).fill(0);
  const aligned = bytes.byteOffset % lane === 0 ? bytes : bytes.slice();
  const src = laneView(aligned.buffer, aligned.byteOffset, n, lane);
  const per = 8 / lane;
  const dst = laneView(out.buffer, out.byteOffset, n * per, lane);
  for (let i = 0, j = 0; i < n; i++, j += per) dst[j] = src[i]!;
}
