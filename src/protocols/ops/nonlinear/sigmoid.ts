/**
 * sigmoid and tanh on fixed-point shares, generic over any protocol.
 *
 * sigmoid(x) = 1 / (1 + e^-|x|) for x >= 0 and 1 - that for x < 0: e = e^-|x| ∈ (0, 1] and the sign
 * come from {@link expNegAbs} (one a2b for both); r = 1/(1 + e) is a degree-7 polynomial in
 * e ∈ [0, 1] (no Newton iteration needed on this range); then r + s * (1 - 2r) (one exact mul by
 * the 0/1 sign). tanh(x) = (1 - e^-2|x|)/(1 + e^-2|x|) = 2r - 1 with the sign applied the same way.
 *
 * Domain: |x| < 2^(54-2f) (2^22 for f = 16). Error: |error| <= 4 ulp (2^-f) (measured at f = 16:
 * below 2 ulp). Rounds (rep3): 24 + 7 + 1 = 32.
 */
import type { Protocol, Share } from '../../protocol.js';
import { fixedWord, fracBits, mulMany, type FixedOptions } from './common.js';
import { expNegAbs } from './exp.js';
import { evalPolynomial, fitPolynomial } from './poly.js';

async function halfRational<S extends Share>(p: Protocol<S>, x: S, f: number, scale: number) {
  const { value: e, negative } = await expNegAbs(p, x, { fractionalBits: f, scale });
  const r = await evalPolynomial(
    p,
    e,
    fitPolynomial('recip1p', (t) => 1 / (1 + t), 7),
    f,
  );
  return { r, negative };
}

/**
 * The logistic function 1 / (1 + e^-x).
 * @example const p = await sigmoid(protocol, logits);
 */
export async function sigmoid<S extends Share>(p: Protocol<S>, x: S, options: FixedOptions = {}): Promise<S> {
  const f = fracBits(options);
  const { r, negative } = await halfRational(p, x, f, 1);
  const flip = p.addPublic(p.mulPublic(r, BigInt.asUintN(64, -2n)), fixedWord(1, f)); // 1 - 2r
  const [d] = await mulMany(p, [[negative, flip]]);
  return p.add(r, d!);
}

/** The hyperbolic tangent. */
export async function tanh<S extends Share>(p: Protocol<S>, x: S, options: FixedOptions = {}): Promise<S> {
  const f = fracBits(options);
  const { r, negative } = await halfRational(p, x, f, 2);
  const pos = p.addPublic(p.mulPublic(r, 2n), fixedWord(-1, f)); // tanh|x| = 2r - 1
  const [d] = await mulMany(p, [[negative, p.mulPublic(pos, BigInt.asUintN(64, -2n))]]);
  return p.add(pos, d!);
}
