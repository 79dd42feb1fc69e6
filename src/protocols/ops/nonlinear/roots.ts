/**
 * rsqrt(x) = 1/sqrt(x) and sqrt(x) for positive fixed-point x, generic over any protocol.
 *
 * Steps: normalise x = 2^e * m, m ∈ [1, 2) ({@link normalize}); a degree-6 (rsqrt) or degree-5
 * (sqrt) polynomial for m^(∓1/2) on [1, 2) ({@link evalPolynomial}); times the public function
 * 2^(∓e/2) of the exponent, a local weighted sum of the one-hot exponent; one mulTrunc.
 *
 * Domain: 2^-f <= x < 2^maxLog2 (default maxLog2 = 20, at most 30; rsqrt needs f <= 18, sqrt
 * 2f + maxLog2/2 <= 45, else a RangeError). Rounds (rep3): 17 + 7 + 2 = 26.
 * Error, for x on the fixed-point grid: |error| <= 4 * 2^-f + (2^(1-f) + 4e-6) * |result| (measured:
 * at most 1.5 ulp relative at f = 16), tested on every protocol.
 */
import type { Protocol, Share } from '../../protocol.js';
import { checkProductBits, fracBits, mulTruncMany, type FixedOptions } from './common.js';
import { exponentWeights, normalize, oneHotWeights } from './normalize.js';
import { evalPolynomial, fitPolynomial } from './poly.js';

/** Options of the root and reciprocal ops. */
export interface RangeOptions extends FixedOptions {
  /** Inputs are below 2^maxLog2 (default 20, at most 30). */
  maxLog2?: number;
}

/** Default upper end of the input range, as a power of two. */
export const DEFAULT_MAX_LOG2 = 20;

async function powerHalf<S extends Share>(p: Protocol<S>, x: S, sign: 1 | -1, o: RangeOptions): Promise<S> {
  const f = fracBits(o);
  const maxLog2 = o.maxLog2 ?? DEFAULT_MAX_LOG2;
  // the last product: 2^(∓e/2) (at most 2^(f/2), or 2^(maxLog2/2)) times y < sqrt(2), both with f bits
  checkProductBits(2 * f + 1 + (sign < 0 ? f / 2 : maxLog2 / 2), sign < 0 ? 'rsqrt' : 'sqrt');
  const { t, tBits, oneHot, positions } = await normalize(p, x, f, maxLog2);
  const coeffs =
    sign < 0
      ? fitPolynomial('rsqrt', (t) => (1 + t) ** -0.5, 6)
      : fitPolynomial('sqrt', (t) => Math.sqrt(1 + t), 5);
  const value = await evalPolynomial(p, t, coeffs, f, tBits);
  const g = oneHotWeights(
    p,
    oneHot,
    exponentWeights(positions, f, (e) => 2 ** ((sign * e) / 2)),
  );
  const [r] = await mulTruncMany(p, [[g, value]], f);
  return r!;
}

/**
 * 1/sqrt(x) for 2^-f <= x < 2^maxLog2.
 * @example const inv = await rsqrt(protocol, varianceShare, { maxLog2: 24 });
 */
export function rsqrt<S extends Share>(p: Protocol<S>, x: S, options: RangeOptions = {}): Promise<S> {
  return powerHalf(p, x, -1, options);
}

/** sqrt(x) for 2^-f <= x < 2^maxLog2 (0 for x <= 0). */
export function sqrt<S extends Share>(p: Protocol<S>, x: S, options: RangeOptions = {}): Promise<S> {
  return powerHalf(p, x, 1, options);
}
