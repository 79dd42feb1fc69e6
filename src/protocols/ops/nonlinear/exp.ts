/**
 * exp on fixed-point shares, generic over any protocol: e^x = 2^v with v = x * log2(e), split into
 * an integer part (a product of public powers of two selected by its bits) and a fraction (a
 * polynomial), after ABY3 §5.3 / Aly & Smart's bit-decomposition exponentiation.
 *
 * Steps (one a2b, no truncation before the bits):
 * 1. V = x * round(log2(e) * 2^(f+8)): v with 2f+8 fractional bits, exact (local; needs |x| < 2^(54-2f));
 * 2. a2b(V); the sign s is bit 63. The word w = s ? V : -V - 1 = -|V| - (1 - s) < 0 costs nothing in
 *    boolean form: -V - 1 = ~V, so w = V ^ ~spread(s) (spread: bit 0 copied to all 64, local);
 * 3. w = 2^(2f+8) * (I - 32) + F with I = bits 2f+8..2f+12 of w, F the fraction: valid when every
 *    bit of w from 2f+13 up is 1; otherwise (|v| >= 32) a clamp bit c = OR of those bits of ~w
 *    (6 AND rounds) zeroes the result (2^-32 is below every supported ulp);
 * 4. one bitToA for bits f+8..2f+7 (the fraction t, floor to f bits), the 5 integer bits, c and s;
 * 5. 2^(v) for v < 0 is 2^t * 2^(I-32) = 2^t * (1/2) * prod_i (bit_i ? 1 : 2^-(2^i)) * (1 - c), the
 *    factors multiplied by a tree batched with the powers of t (degree-4 polynomial for 2^t).
 * e^-|x| (for sigmoid and softmax) needs only the negative branch. The positive branch of {@link exp}
 * uses the same bits (for s = 0, ~w = V): 2^v = 2^(1-2^-f-t) * prod_{i<3} (bit_i ? 1 : 2^(2^i)),
 * and s selects (one mul).
 *
 * Domains and errors (docs/ML.md): expNegAbs any x with |x| < 2^(46-2f) (2^14 for f = 16: beyond,
 * V wraps); {@link exp} -2^(54-2f) < x < 8 ln 2 ≈ 5.545
 * (2^v < 256; beyond, garbage). Error: |error| <= 3 ulp + 4e-5 |e^x| (measured at f = 16: 1.6 ulp
 * for x <= 0, 3e-5 relative above).
 * Rounds (rep3): a2b 8 + 6 + 1 + 9 = 24 (e^-|x|), 25 (exp).
 */
import { RingTensor } from '../../../tensor/index.js';
import type { Protocol, Share } from '../../protocol.js';
import { fixedWord, fracBits, mulMany, mulTruncMany, prefixOrFromTop, type FixedOptions } from './common.js';
import { oneHotWeights } from './normalize.js';
import { fitPolynomial } from './poly.js';

const INT_BITS = 5;
/** Extra fractional bits of V beyond 2f, so that log2(e)'s rounding stays below 2^-(f+9) relative. */
const G = 8;
const POS_BITS = 3;
const EXTRA = 6;

/** Bits of x's exponent as A shares, from one a2b. */
interface ExpBits<S extends Share> {
  /** 1 where x < 0. */
  s: S;
  /** The fraction of w = -|v| (f bits, in [0, 1)). */
  t: S;
  /** Bits 0..4 of w's integer part (0/1). */
  bits: S[];
  /** 1 where |v| >= 32 (result 0 on the negative branch). */
  clamp: S;
}

async function expBits<S extends Share>(p: Protocol<S>, x: S, f: number, scale: number): Promise<ExpBits<S>> {
  const V = p.mulPublic(x, fixedWord(scale * Math.LOG2E, f + G));
  if (2 * f + G + INT_BITS > 56)
    throw new RangeError(`exp: ${f} fractional bits leave no room for the exponent (at most 21)`);
  const lo = f + G; // bits lo..lo+f-1 of V are v's fraction's top f bits; the integer part starts at lo + f
  const vB = await p.a2b(V);
  let spread = p.andPublicB(p.shrB(vB, 63), 1n);
  for (let k = 1; k < 64; k *= 2) spread = p.xorB(spread, p.shlB(spread, k));
  const wB = p.xorB(vB, p.notB(spread));
  const hiStart = lo + f + INT_BITS;
  const mask = (1n << BigInt(63 - hiStart)) - 1n;
  const clampB = await prefixOrFromTop(p, p.andPublicB(p.shrB(p.notB(wB), hiStart), mask));
  const row = (b: S, j: number) => p.reshape(p.andPublicB(p.shrB(b, j), 1n), [1, ...x.shape]);
  const rows: S[] = [];
  for (let k = 0; k < f; k++) rows.push(row(wB, lo + k));
  for (let i = 0; i < INT_BITS; i++) rows.push(row(wB, lo + f + i));
  rows.push(row(clampB, 0), row(vB, 63));
  const A = await p.bitToA(p.concat(rows, 0));
  const at = (i: number) => p.reshape(p.slice(A, 0, i, i + 1), x.shape);
  const t = oneHotWeights(
    p,
    p.slice(A, 0, 0, f),
    Array.from({ length: f }, (_, k) => 1n << BigInt(k)),
  );
  return {
    t,
    bits: Array.from({ length: INT_BITS }, (_, i) => at(f + i)),
    clamp: at(f + INT_BITS),
    s: at(f + INT_BITS + 1),
  };
}

/** 1 + bit * (c - 1) as fixed point (scaled by `k`): bit ? k*c : k. */
function select<S extends Share>(p: Protocol<S>, bit: S, whenOne: number, whenZero: number, f: number): S {
  return p.addPublic(p.mulPublic(bit, fixedWord(whenOne - whenZero, f)), fixedWord(whenZero, f));
}

/** The powers t^1..t^4 batched with the given first- and second-level products. */
async function powersWith<S extends Share>(
  p: Protocol<S>,
  t: S,
  f: number,
  level1: [S, S][],
  level2: (l1: S[]) => [S, S][],
): Promise<{ pw: S[]; l1: S[]; l2: S[] }> {
  const [t2, ...l1] = await mulTruncMany(p, [[t, t], ...level1], f);
  const l2pairs = level2(l1);
  const [t3, t4, ...l2] = await mulTruncMany(p, [[t2!, t], [t2!, t2!], ...l2pairs], f);
  return { pw: [t, t2!, t3!, t4!], l1, l2 };
}

/** sum_k c_k t^k from the powers (k >= 1), as an untruncated sum with f + EXTRA bits. */
function polySum<S extends Share>(p: Protocol<S>, pw: S[], coeffs: readonly number[], f: number): S {
  let acc = p.mulPublic(pw[0]!, fixedWord(coeffs[1]!, f + EXTRA));
  for (let k = 2; k < coeffs.length; k++)
    acc = p.add(acc, p.mulPublic(pw[k - 1]!, fixedWord(coeffs[k]!, f + EXTRA)));
  return acc;
}

/** Factors of the negative branch: (1/2) * prod_i (bit_i ? 1 : 2^-(2^i)) * (1 - clamp). */
function negFactors<S extends Share>(p: Protocol<S>, e: ExpBits<S>, f: number): S[] {
  const fs = e.bits.map((b, i) => select(p, b, i === 0 ? 0.5 : 1, (i === 0 ? 0.5 : 1) * 2 ** -(2 ** i), f));
  fs.push(select(p, e.clamp, 0, 1, f));
  return fs; // 6 factors
}

/**
 * e^-|x| for |x| < 2^(54-2f), and x's sign bit (1 where x < 0), as fixed-point shares.
 * With `scale`, computes e^-|scale * x|.
 */
export async function expNegAbs<S extends Share>(
  p: Protocol<S>,
  x: S,
  options: FixedOptions & { scale?: number } = {},
): Promise<{ value: S; negative: S }> {
  const f = fracBits(options);
  const e = await expBits(p, x, f, options.scale ?? 1);
  const [a, b, c, d, g, h] = negFactors(p, e, f) as [S, S, S, S, S, S];
  const coeffs = fitPolynomial('exp2', (t) => 2 ** t, 4);
  const { pw, l1, l2 } = await powersWith(
    p,
    e.t,
    f,
    [
      [a, b],
      [c, d],
      [g, h],
    ],
    (l) => [[l[0]!, l[1]!]],
  );
  const poly = p.addPublic(await p.truncate(polySum(p, pw, coeffs, f), f + EXTRA), fixedWord(coeffs[0]!, f));
  const [ghPoly] = await mulTruncMany(p, [[l1[2]!, poly]], f);
  const [value] = await mulTruncMany(p, [[l2[0]!, ghPoly!]], f);
  return { value: value!, negative: e.s };
}

/** e^x for -2^(54-2f) < x <= 0. */
export async function expNonPositive<S extends Share>(
  p: Protocol<S>,
  x: S,
  options: FixedOptions = {},
): Promise<S> {
  return (await expNegAbs(p, x, options)).value;
}

/**
 * e^x for x < 8 ln 2 ≈ 5.545 (results below 256); beyond that the result is garbage.
 * @example const y = await exp(protocol, x);
 */
export async function exp<S extends Share>(p: Protocol<S>, x: S, options: FixedOptions = {}): Promise<S> {
  const f = fracBits(options);
  const e = await expBits(p, x, f, 1);
  const [a, b, c, d, g, h] = negFactors(p, e, f) as [S, S, S, S, S, S];
  // positive branch: bits of V are the complements of w's
  const [u0, u1, u2] = e.bits.slice(0, POS_BITS).map((bit, i) => select(p, bit, 1, 2 ** (2 ** i), f)) as [
    S,
    S,
    S,
  ];
  const negC = fitPolynomial('exp2', (t) => 2 ** t, 4);
  const posC = fitPolynomial('exp2neg', (t) => 2 ** -t, 4).map((c) => c * 2 ** (1 - 2 ** -f));
  const { pw, l1, l2 } = await powersWith(
    p,
    e.t,
    f,
    [
      [a, b],
      [c, d],
      [g, h],
      [u0, u1],
    ],
    (l) => [
      [l[0]!, l[1]!],
      [l[3]!, u2],
    ],
  );
  const sums = p.concat(
    [polySum(p, pw, negC, f), polySum(p, pw, posC, f)].map((s) => p.reshape(s, [1, ...x.shape])),
    0,
  );
  const polys = p.addPublic(
    await p.truncate(sums, f + EXTRA),
    RingTensor.fromBigInts([fixedWord(negC[0]!, f), fixedWord(posC[0]!, f)], [2, ...x.shape.map(() => 1)]),
  );
  const polyN = p.reshape(p.slice(polys, 0, 0, 1), x.shape);
  const polyP = p.reshape(p.slice(polys, 0, 1, 2), x.shape);
  const [ghN, pos] = await mulTruncMany(
    p,
    [
      [l1[2]!, polyN],
      [l2[1]!, polyP],
    ],
    f,
  );
  const [neg] = await mulTruncMany(p, [[l2[0]!, ghN!]], f);
  // s ? neg : pos
  const [sel] = await mulMany(p, [[e.s, p.sub(neg!, pos!)]]);
  return p.add(pos!, sel!);
}
