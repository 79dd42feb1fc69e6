/**
 * Division of fixed-point sums by secret integer counts, sum / count, as a `groupBy` mean needs it.
 *
 * Why not sums * reciprocal(count): the engine's reciprocal (src/protocols/ops/nonlinear/
 * reciprocal.ts) returns 1/count with f fractional bits and an error of about 4 units in the last
 * place, absolute; multiplied by a sum of c rows (up to c * 2^6 in scaled units) that error grows
 * with c: for c = 10^5 the mean would be off by hundreds of units. Instead the count's binary
 * exponent divides the sum first, so no small number is ever rounded:
 * 1. normalise the count c = 2^j * m, m in [1, 2) (src/protocols/ops/nonlinear/normalize.ts: the
 *    one-hot of j and t = m - 1 with f + 4 fractional bits, exact for c < 2^(f+4));
 * 2. 1/m = 1/(1 + t) by a degree-9 Chebyshev fit on [0, 1] (fit error 4.4e-8), with f + 4 bits;
 * 3. q = sum / 2^j: sum times the integer 2^(J-1-j) (a local function of the one-hot), truncated by
 *    J - 1 (J = candidate exponents, at least the count's bit length); since |sum| <= c * 2^6 <
 *    2^(j+7), |q| < 2^7 and the product stays below 2^(J+6+f) (2^39 for up to 2^17 - 1 rows);
 * 4. mean = q * (1/m), truncated by f + 4.
 * Error: |q - sum/2^j| <= 1 unit (2^-f), and |q| <= 2 |mean|, so |error| <= 2 |mean| eps + 2 units,
 * where eps (error of 1/m) is the fit's plus the rounding of the powers of t, about
 * (1 + sum |c_k| = 8) * 2^-(f+4) at most: relative error below 1.6e-5 of |mean| (worst case; the
 * tests measure it) plus 2 units of the column's scale. Rounds (rep3): 17 + 9 + 2 + 2 = 30.
 * A count of 0 gives 0 (every one-hot bit is 0): callers suppress empty groups.
 */
import type { Share } from '../../protocols/protocol.js';
import { MAX_PRODUCT_BITS } from '../../protocols/ops/nonlinear/common.js';
import { normalize, oneHotWeights } from '../../protocols/ops/nonlinear/normalize.js';
import { evalPolynomial, fitPolynomial } from '../../protocols/ops/nonlinear/poly.js';
import type { ExecContext } from './context.js';

/** Stated relative error of {@link divideByCounts} (beyond 2 units of the sums' scale). */
export const MEAN_RELATIVE_ERROR = 2e-5;

/** Degree of the fit of 1/(1 + t) on [0, 1]. */
const RECIPROCAL_DEGREE = 9;
/** Fractional bits of 1/m beyond f. */
const EXTRA_BITS = 4;

/**
 * sums[g, :] / counts[g] for fixed-point sums [G, p] (scaled: |sum| <= count * 2^6) and integer
 * (not fixed point) counts [G] in [1, maxCount]; a zero count gives 0. See the file comment.
 * @throws RangeError when maxCount is too large for the products to stay below 2^46.
 */
export async function divideByCounts(
  ctx: ExecContext,
  sums: Share,
  counts: Share,
  maxCount: number,
): Promise<Share> {
  const { p, f } = ctx;
  const [groups, width] = sums.shape as [number, number];
  const bits = Math.max(1, Math.ceil(Math.log2(maxCount + 1))); // bit length of maxCount
  const maxLog2 = Math.max(1, bits - f);
  const J = f + maxLog2;
  if (J + 6 + f > MAX_PRODUCT_BITS)
    throw new RangeError(`groupBy mean: counts up to ${maxCount} need products beyond 2^${MAX_PRODUCT_BITS}`);
  // the integer count read as fixed point with f bits: c * 2^-f in [2^-f, 2^maxLog2)
  const { t, tBits, oneHot } = await normalize(p, counts, f, maxLog2);
  const bitsR = f + EXTRA_BITS;
  const coeffs = fitPolynomial('recip1p', (u) => 1 / (1 + u), RECIPROCAL_DEGREE);
  const inv = await evalPolynomial(p, t, coeffs, bitsR, tBits); // 1/m in (1/2, 1], bitsR bits
  const shift = oneHotWeights(
    p,
    oneHot,
    Array.from({ length: J }, (_, j) => 1n << BigInt(J - 1 - j)),
  ); // [G]: 2^(J-1-j), an integer
  const wide = (x: Share): Share => p.broadcastTo(p.reshape(x, [groups, 1]), [groups, width]);
  const q = await p.mulTrunc(sums, wide(shift), J - 1); // sum / 2^j, f bits
  return p.mulTrunc(q, wide(inv), bitsR);
}
