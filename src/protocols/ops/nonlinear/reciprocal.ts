/**
 * reciprocal(x) = 1/x and divide(a, b) = a/b on fixed-point shares, generic over any protocol.
 *
 * Steps: normalise x = 2^e * m, m ∈ [1, 2) ({@link normalize}: the "good initial guess" is exact
 * here, the MSB gives the exponent); 1/m by a degree-7 polynomial on [1, 2) (Chebyshev fit, error
 * 1.5e-6: as accurate as three Newton steps from the classic linear guess 24/17 - 8/17 m, in 7
 * rounds instead of 12); times the public function 2^-e of the one-hot exponent; one mulTrunc.
 * Signed inputs (option `signed`): the sign by msb, |x| = x - 2 s x, and the sign put back (two
 * exact muls by the 0/1 sign; rounds + 11).
 *
 * Domain: 2^-8 <= |x| < 2^maxLog2 (default maxLog2 = 20, at most 30); smaller |x| would make the
 * last product too large for reliable truncation. Error, x on the fixed-point grid:
 * |error| <= 4 ulp + 4 ulp * |1/x| (measured at f = 16: below 2 ulp relative beyond 4 ulp). Rounds (rep3):
 * 17 + 7 + 2 = 26 (37 signed); divide adds one mulTrunc (2), and its error is |a| times
 * reciprocal's plus 1 ulp.
 */
import type { Protocol, Share } from '../../protocol.js';
import { msb } from '../compare.js';
import { checkProductBits, fixedWord, fracBits, mulMany, mulTruncMany, type FixedOptions } from './common.js';
import { checkDivisorRange, divideBounded, divideBoundedRounds } from './divide-bounded.js';
import { exponentWeights, normalize, oneHotWeights } from './normalize.js';
import { evalPolynomial, fitPolynomial } from './poly.js';
import { DEFAULT_MAX_LOG2, type RangeOptions } from './roots.js';

/** Options of {@link reciprocal} and {@link divide}. */
export interface ReciprocalOptions extends RangeOptions {
  /** Accept negative inputs too (costs a comparison and two multiplications). */
  signed?: boolean;
}

async function positiveReciprocal<S extends Share>(
  p: Protocol<S>,
  x: S,
  f: number,
  maxLog2: number,
): Promise<S> {
  checkProductBits(2 * f + 8 + 1, 'reciprocal');
  const { t, tBits, oneHot, positions } = await normalize(p, x, f, maxLog2);
  const value = await evalPolynomial(
    p,
    t,
    fitPolynomial('recip1p', (u) => 1 / (1 + u), 7),
    f,
    tBits,
  );
  const g = oneHotWeights(
    p,
    oneHot,
    exponentWeights(positions, f, (e) => 2 ** -e),
  );
  const [r] = await mulTruncMany(p, [[g, value]], f);
  return r!;
}

/**
 * 1/x for 2^-8 <= x < 2^maxLog2 (or |x| in that range with `signed`).
 * @example const inv = await reciprocal(protocol, sums, { maxLog2: 4 });
 */
export async function reciprocal<S extends Share>(
  p: Protocol<S>,
  x: S,
  options: ReciprocalOptions = {},
): Promise<S> {
  const f = fracBits(options);
  const maxLog2 = options.maxLog2 ?? DEFAULT_MAX_LOG2;
  if (!options.signed) return positiveReciprocal(p, x, f, maxLog2);
  const s = await msb(p, x);
  const [sx] = await mulMany(p, [[s, x]]);
  const r = await positiveReciprocal(p, p.sub(x, p.mulPublic(sx!, 2n)), f, maxLog2);
  const [sr] = await mulMany(p, [[s, r]]);
  return p.sub(r, p.mulPublic(sr!, 2n));
}

/**
 * 1/x for x known to lie in [lo, hi] (0 < lo < hi, public bounds): {@link divideBounded} of 1 by x
 * (a linear first guess and Goldschmidt's iteration, no bit decomposition: 10 rounds on rep3 for
 * [1, 10]); error 2 ulp + 2 ulp |1/x| inside the range, while outside it the iteration may
 * diverge (x must respect the bounds). A range too wide for that (hi / lo above about 50 at
 * f = 16) takes {@link reciprocal} (26 rounds) when it fits that one's domain, else is refused.
 */
export function reciprocalBounded<S extends Share>(
  p: Protocol<S>,
  x: S,
  lo: number,
  hi: number,
  options: FixedOptions = {},
): Promise<S> {
  checkDivisorRange(lo, hi, 'reciprocalBounded');
  const f = fracBits(options);
  try {
    divideBoundedRounds(lo, hi, { fractionalBits: f, aBound: 1 });
  } catch (err) {
    const maxLog2 = Math.floor(Math.log2(hi)) + 1;
    if (!(err instanceof RangeError && lo >= 2 ** -8 && maxLog2 <= 30)) throw err;
    return reciprocal(p, x, { fractionalBits: f, maxLog2 });
  }
  const one = p.addPublic(p.mulPublic(x, 0n), fixedWord(1, f));
  return divideBounded(p, one, x, lo, hi, { fractionalBits: f, aBound: 1 });
}

/** a / b elementwise (broadcasting), b in {@link reciprocal}'s domain. */
export async function divide<S extends Share>(
  p: Protocol<S>,
  a: S,
  b: S,
  options: ReciprocalOptions = {},
): Promise<S> {
  const f = fracBits(options);
  return p.mulTrunc(a, await reciprocal(p, b, options), f);
}
