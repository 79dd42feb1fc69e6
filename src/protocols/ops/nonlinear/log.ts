/**
 * Natural logarithm on fixed-point shares, generic over any protocol.
 *
 * ln x = e * ln 2 + ln m for x = 2^e * m, m ∈ [1, 2) ({@link normalize}); e * ln 2 is a local
 * weighted sum of the one-hot exponent, ln m a degree-6 polynomial on [1, 2) (fit error 1.7e-6).
 * No product with a large factor, so no extra truncation risk.
 *
 * Domain: 2^-f <= x < 2^maxLog2 (default 20, at most 30). Error, x on the fixed-point grid:
 * |error| <= 3 ulp (measured at f = 16: 1.3 ulp). Rounds (rep3): 17 + 7 = 24.
 */
import type { Protocol, Share } from '../../protocol.js';
import { fracBits } from './common.js';
import { exponentWeights, normalize, oneHotWeights } from './normalize.js';
import { evalPolynomial, fitPolynomial } from './poly.js';
import { DEFAULT_MAX_LOG2, type RangeOptions } from './roots.js';

/**
 * ln x for 2^-f <= x < 2^maxLog2.
 * @example const l = await log(protocol, sums, { maxLog2: 4 });
 */
export async function log<S extends Share>(p: Protocol<S>, x: S, options: RangeOptions = {}): Promise<S> {
  const f = fracBits(options);
  const { t, tBits, oneHot, positions } = await normalize(p, x, f, options.maxLog2 ?? DEFAULT_MAX_LOG2);
  const value = await evalPolynomial(
    p,
    t,
    fitPolynomial('log1p', (u) => Math.log1p(u), 6),
    f,
    tBits,
  );
  return p.add(
    value,
    oneHotWeights(
      p,
      oneHot,
      exponentWeights(positions, f, (e) => e * Math.LN2),
    ),
  );
}
