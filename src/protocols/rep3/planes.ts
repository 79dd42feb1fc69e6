/**
 * Bit planes: n words as 64 planes of W = ceil(n/64) words, plane i holding bit i of every
 * element, 64 elements per word (element e = j * W + w sits at bit j of word w). The bounded
 * comparison circuit (rep3/bounded.ts) works on planes so that a K-bit circuit costs K bits per
 * element, not K words.
 *
 * The transposition is the classic recursive 64 x 64 bit-matrix transpose (swap the off-diagonal
 * s x s blocks for s = 32, 16, ..., 1), run on the W columns at once: row j is the W words
 * [j * W, (j + 1) * W), so each step is a handful of kernel calls over W words (6 * 32 * 6 calls
 * in all, whatever n). Local only: nothing here is sent.
 */
import { bitwiseWordInto, kernel } from '../../tensor/index.js';

/** Words per plane for n elements: ceil(n / 64), at least 1. */
export function planeWords(n: number): number {
  return Math.max(1, Math.ceil(n / 64));
}

/** Mask of the low s bits of every 2s-bit block. */
function lowBlocks(s: number): bigint {
  let m = 0n;
  for (let p = 0; p < 64; p++) if (Math.floor(p / s) % 2 === 0) m |= 1n << BigInt(p);
  return m;
}

const STEPS = [32, 16, 8, 4, 2, 1].map((s) => ({ s, mask: lowBlocks(s) }));

/**
 * The planes of `words` (n <= 64 W words, the rest taken as zero): returns 64 W words, plane i
 * at [i * W, (i + 1) * W). `t` is scratch of at least W words.
 */
export function toPlanes(words: BigUint64Array, W: number, t: BigUint64Array): BigUint64Array {
  const k = kernel();
  const m = k.alloc(64 * W);
  m.set(words);
  m.fill(0n, words.length);
  const tt = t.subarray(0, W);
  const row = (j: number): BigUint64Array => m.subarray(j * W, (j + 1) * W);
  for (const { s, mask } of STEPS) {
    for (let j = 0; j < 64; j++) {
      if ((j & s) !== 0) continue;
      const lo = row(j);
      const hi = row(j + s);
      // swap the high s bits of each 2s block of row j with the low s bits of row j + s
      k.shrLogical(lo, s, tt);
      k.xor(tt, hi, tt);
      bitwiseWordInto('and', tt, mask, tt);
      k.xor(hi, tt, hi);
      k.shl(tt, s, tt);
      k.xor(lo, tt, lo);
    }
  }
  return m;
}

/** One plane (W words) back to n words of 0/1: element j * W + w is bit j of word w. */
export function fromPlane(plane: BigUint64Array, n: number): BigUint64Array {
  const k = kernel();
  const W = plane.length;
  const out = k.alloc(64 * W);
  for (let j = 0; j < 64; j++) k.shrLogical(plane, j, out.subarray(j * W, (j + 1) * W));
  bitwiseWordInto('and', out, 1n, out);
  return out.subarray(0, n);
}
