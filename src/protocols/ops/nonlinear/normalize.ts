/**
 * Normalisation of positive fixed-point values: x = 2^(j - f) * m with m ∈ [1, 2), where j is the
 * position of the most significant bit of x's word X. This is the good initial point that
 * reciprocal, rsqrt, sqrt and log start from (ABY3 §5.3 / SecureNN-style bit decomposition).
 *
 * Steps, for J = f + maxLog2 candidate positions (x < 2^maxLog2):
 * 1. a2b(x), then a prefix OR from the top (6 AND rounds) and the one-hot word z = y ^ (y >> 1):
 *    bit j of z is 1 exactly at the MSB of X;
 * 2. bits 0..J-1 of z to arithmetic (one bitToA round, J bits per element): e_j ∈ {0, 1};
 * 3. m = X * c >> (J - 1 - f - 4) with the integer c = sum_j e_j 2^(J-1-j): X * c ∈ [2^(J-1), 2^J),
 *    so one mulTrunc gives m with f + 4 fractional bits (returned as t = m - 1).
 * Any public function of j is then local: sum_j e_j * g(j) ({@link oneHotWeights}).
 *
 * Rounds (rep3): a2b 8 + 6 + 1 + mulTrunc 2 = 17. Domain: 2^-f <= x < 2^maxLog2; x <= 0 or beyond
 * gives e = 0 (callers' results are then 0). The mulTrunc's operand is below 2^J, so the
 * protocol's truncation failure probability is at most 2^(J - 64) per element.
 */
import { RingTensor } from '../../../tensor/index.js';
import type { Protocol, Share } from '../../protocol.js';
import { bitsToA, checkProductBits, fixedWord, prefixOrFromTop } from './common.js';

/** Fractional bits of the normalised mantissa beyond f (less rounding in the polynomials after). */
export const MANTISSA_EXTRA_BITS = 4;

/** The normalised form of x. */
export interface Normalized<S extends Share> {
  /** t = m - 1 = x / 2^(j - f) - 1 ∈ [0, 1), fixed point with `tBits` = f + 4 bits, x's shape. */
  t: S;
  /** Fractional bits of t. */
  tBits: number;
  /** One-hot MSB positions: shape [J, ...x.shape], row j is 1 where X's MSB is j. */
  oneHot: S;
  /** Number of candidate positions J = f + maxLog2. */
  positions: number;
}

/** Largest maxLog2 accepted (J <= 46 keeps the truncation failure below 2^-18). */
export const MAX_LOG2_LIMIT = 30;

/** Normalises positive x (2^-f <= x < 2^maxLog2). */
export async function normalize<S extends Share>(
  p: Protocol<S>,
  x: S,
  f: number,
  maxLog2: number,
): Promise<Normalized<S>> {
  if (!Number.isInteger(maxLog2) || maxLog2 < 1 || maxLog2 > MAX_LOG2_LIMIT)
    throw new RangeError(`maxLog2 ${maxLog2} is not an integer in [1, ${MAX_LOG2_LIMIT}]`);
  const J = f + maxLog2;
  checkProductBits(Math.max(J, f + MANTISSA_EXTRA_BITS + 1), 'normalize');
  const y = await prefixOrFromTop(p, await p.a2b(x));
  const z = p.xorB(y, p.shrB(y, 1));
  const oneHot = await bitsToA(
    p,
    z,
    Array.from({ length: J }, (_, j) => j),
  );
  const tBits = f + MANTISSA_EXTRA_BITS;
  const C = Math.max(J - 1, tBits);
  const c = oneHotWeights(
    p,
    oneHot,
    Array.from({ length: J }, (_, j) => 2n ** BigInt(C - j)),
  );
  const m = await p.mulTrunc(x, c, C - tBits);
  return { t: p.addPublic(m, BigInt.asUintN(64, -(1n << BigInt(tBits)))), tBits, oneHot, positions: J };
}

/**
 * sum_j oneHot[j] * w[j] for public words w (local): with w = round(g(j) * 2^f) this is the fixed-
 * point share of g(MSB position).
 */
export function oneHotWeights<S extends Share>(p: Protocol<S>, oneHot: S, w: readonly bigint[]): S {
  const rest = oneHot.shape.slice(1);
  const wt = RingTensor.fromBigInts(
    w.map((v) => BigInt.asUintN(64, v)),
    [w.length, ...rest.map(() => 1)],
  );
  return p.sum(p.mulPublic(oneHot, wt), 0);
}

/** Fixed-point words of g(j - f) for j = 0..J-1: the public weights of a function of x's binary exponent. */
export function exponentWeights(J: number, f: number, g: (e: number) => number, bits = f): bigint[] {
  return Array.from({ length: J }, (_, j) => fixedWord(g(j - f), bits));
}
