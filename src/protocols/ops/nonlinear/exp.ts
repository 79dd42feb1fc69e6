/**
 * exp on fixed-point shares, generic over any protocol: e^x = 2^v with v = x * log2(e), split into
 * an integer part (a product of public powers of two selected by its bits) and a fraction (a
 * polynomial), after ABY3 §5.3 / Aly & Smart's bit-decomposition exponentiation.
 *
 * Steps (one a2b, no truncation before the bits):
 * 1. V = x * round(log2(e) * 2^(f+8)): v with 2f+8 fractional bits, exact (local; |x| < 2^(54-2f));
 * 2. a2b(V); the sign s is bit 63. The word w = s ? V : -V - 1 = -|V| - (1 - s) < 0 costs nothing in
 *    boolean form: -V - 1 = ~V, so w = V ^ ~spread(s) (spread: bit 0 copied to all 64, local).
 *    For x <= 0 known ({@link expNonPositive}), w = V - 1 instead: a2b(V - 1), no sign;
 * 3. w = 2^(2f+8) * (I - 2^K) + F with I = bits 2f+8..2f+7+K of w (K = ceil(log2 f), 4 for f = 16)
 *    and F the fraction, valid when every higher bit of w is 1; otherwise (|v| >= 2^K, so the
 *    result is below 2^-f) a clamp bit c = OR of those 63 - (2f+8+K) bits of ~w (ceil(log2) of
 *    that AND rounds: 5 for f = 16) zeroes it;
 * 4. one bitToA for the K integer bits, c and s (K + 2 bits per element); w's A share is
 *    -V - 1 + s (2V + 1) (one exact mul; V - 1 for x <= 0, local), and t = F >> (f + 8) the
 *    fraction with f bits (one truncation);
 * 5. 2^v for v < 0 is 2^t * 2^(I - 2^K) = 2^t * (1/2) * prod_i (bit_i ? 1 : 2^-(2^i)), the factors
 *    multiplied by a tree batched with the powers of t (degree-4 polynomial for 2^t, fit error
 *    2e-6); the clamp is applied last by an exact mul with 1 - c, so garbage never leaks.
 * e^-|x| (for sigmoid and softmax) needs only the negative branch. The positive branch of {@link exp}
 * uses the same bits (for s = 0, ~w = V): 2^v = 2^(1-2^-(f+8)-t) * prod_{i<3} (bit_i ? 1 : 2^(2^i)),
 * and the final exact mul selects: (1 - s) pos + (s - s c) neg.
 *
 * Domains and errors (docs/ML.md): expNegAbs any |x| < 2^(54-2f) (2^22 for f = 16; beyond, V wraps);
 * {@link exp} -2^(54-2f) < x < 8 ln 2 ≈ 5.545 (results below 256; beyond, garbage). Error:
 * |error| <= 3 ulp + 4e-5 |e^x| (measured at f = 16: 1.6 ulp for x <= 0, 3e-5 relative above).
 * Rounds (rep3), f = 16: 8 + 5 + 1 + 1 + 1 + 2 + 2 + 1 + 2 + 1 = 24 (e^-|x|), 23 (e^x for x <= 0),
 * 25 (exp).
 */
import { RingTensor } from '../../../tensor/index.js';
import type { Protocol, Share } from '../../protocol.js';
import { fixedWord, fracBits, mulMany, mulTruncMany, prefixOrFromTop, type FixedOptions } from './common.js';
import { fitPolynomial } from './poly.js';

const POS_BITS = 3;
const EXTRA = 4;
/** Extra fractional bits of V beyond 2f, so that log2(e)'s rounding stays below 2^-(f+9) relative. */
const G = 8;

/** Bits of x's exponent as A shares, from one a2b. */
interface ExpBits<S extends Share> {
  /** 1 where x < 0. */
  s: S;
  /** 1 where x < 0 and the clamp is set (for exp's select), when asked for. */
  sc?: S;
  /** The fraction of w = -|v| (f bits, in [0, 1)). */
  t: S;
  /** Bits 0..K-1 of w's integer part (0/1). */
  bits: S[];
  /** 1 where |v| >= 2^K (result 0 on the negative branch). */
  clamp: S;
}

/** Integer bits K: 2^-(2^K) <= 2^-f, so a clamped result is below one ulp. */
function intBits(f: number): number {
  return Math.ceil(Math.log2(f));
}

/** -1 as a ring word. */
const MINUS_ONE = BigInt.asUintN(64, -1n);

/** w < 0 with -w - 1 = |V| (or V - 1 when x <= 0 is known) in boolean form, and x's sign bit. */
async function negativeWord<S extends Share>(
  p: Protocol<S>,
  V: S,
  nonPositive: boolean,
): Promise<{ wB: S; sB?: S }> {
  if (nonPositive) return { wB: await p.a2b(p.addPublic(V, MINUS_ONE)) };
  const vB = await p.a2b(V);
  const sB = p.andPublicB(p.shrB(vB, 63), 1n);
  let spread = sB;
  for (let k = 1; k < 64; k *= 2) spread = p.xorB(spread, p.shlB(spread, k));
  return { wB: p.xorB(vB, p.notB(spread)), sB };
}

async function expBits<S extends Share>(
  p: Protocol<S>,
  x: S,
  f: number,
  scale: number,
  mode: { withSc: boolean; nonPositive: boolean },
): Promise<ExpBits<S>> {
  if (f < 2) throw new RangeError(`exp: ${f} fractional bit is too few (at least 2)`);
  const K = intBits(f);
  if (2 * f + G + K > 56)
    throw new RangeError(`exp: ${f} fractional bits leave no room for the exponent (at most 21)`);
  const lo = f + G; // v's fraction occupies bits 0..lo+f-1 of V; the integer part starts at lo + f
  const V = p.mulPublic(x, fixedWord(scale * Math.LOG2E, lo));
  const { wB, sB } = await negativeWord(p, V, mode.nonPositive);
  const hiStart = lo + f + K;
  const mask = (1n << BigInt(63 - hiStart)) - 1n;
  const high = p.andPublicB(p.shrB(p.notB(wB), hiStart), mask);
  const clampB = p.andPublicB(await prefixOrFromTop(p, high, 63 - hiStart), 1n);
  const row = (b: S) => p.reshape(b, [1, ...x.shape]);
  const rows: S[] = [];
  for (let i = 0; i < K; i++) rows.push(row(p.andPublicB(p.shrB(wB, lo + f + i), 1n)));
  rows.push(row(clampB));
  if (sB !== undefined) rows.push(row(sB));
  if (mode.withSc && sB !== undefined) rows.push(row(await p.andB(sB, clampB)));
  const A = await p.bitToA(p.concat(rows, 0));
  const at = (i: number) => p.reshape(p.slice(A, 0, i, i + 1), x.shape);
  const bits = Array.from({ length: K }, (_, i) => at(i));
  const clamp = at(K);
  // w = V - 1 (x <= 0), else w = -V - 1 + s (2V + 1); F = w - 2^(lo+f) (I - 2^K) in [0, 2^(lo+f));
  // t = F >> lo
  let F: S;
  let s: S;
  if (sB === undefined) {
    s = p.addPublic(p.mulPublic(x, 0n), 1n);
    F = p.addPublic(V, MINUS_ONE);
  } else {
    s = at(K + 1);
    const [sw] = await mulMany(p, [[s, p.addPublic(p.mulPublic(V, 2n), 1n)]]);
    F = p.add(p.addPublic(p.neg(V), MINUS_ONE), sw!);
  }
  for (let i = 0; i < K; i++) F = p.sub(F, p.mulPublic(bits[i]!, 1n << BigInt(lo + f + i)));
  F = p.addPublic(F, 1n << BigInt(lo + f + K));
  const t = await p.truncate(F, lo);
  const out: ExpBits<S> = { s, t, bits, clamp };
  if (mode.withSc) out.sc = at(K + 2);
  return out;
}

/** bit ? whenOne : whenZero, as fixed point. */
function select<S extends Share>(p: Protocol<S>, bit: S, whenOne: number, whenZero: number, f: number): S {
  return p.addPublic(p.mulPublic(bit, fixedWord(whenOne - whenZero, f)), fixedWord(whenZero, f));
}

/** sum_k c_k t^k from the powers (k >= 1), as an untruncated sum with f + EXTRA bits. */
function polySum<S extends Share>(p: Protocol<S>, pw: S[], coeffs: readonly number[], f: number): S {
  let acc = p.mulPublic(pw[0]!, fixedWord(coeffs[1]!, f + EXTRA));
  for (let k = 2; k < coeffs.length; k++)
    acc = p.add(acc, p.mulPublic(pw[k - 1]!, fixedWord(coeffs[k]!, f + EXTRA)));
  return acc;
}

/** Factors of the negative branch: (1/2) * prod_i (bit_i ? 1 : 2^-(2^i)). */
function negFactors<S extends Share>(p: Protocol<S>, e: ExpBits<S>, f: number): S[] {
  return e.bits.map((b, i) => select(p, b, i === 0 ? 0.5 : 1, (i === 0 ? 0.5 : 1) * 2 ** -(2 ** i), f));
}

/**
 * The product of `factors` and the degree-4 polynomials `polys` in t (each poly times the product
 * of its factor list), batching the powers of t with the factor tree. Returns one share per list.
 */
async function productsWithPolys<S extends Share>(
  p: Protocol<S>,
  t: S,
  lists: { factors: S[]; coeffs: number[] }[],
  f: number,
  shape: readonly number[],
): Promise<S[]> {
  // level by level: the powers t^2 (level 1), t^3, t^4 (level 2) and pairwise factor products
  let cur = lists.map((l) => [...l.factors]);
  let pw: S[] = [t];
  for (let level = 1; level <= 2 || cur.some((c) => c.length > 1); level++) {
    const pairs: [S, S][] = [];
    if (level === 1) pairs.push([t, t]);
    if (level === 2) pairs.push([pw[1]!, t], [pw[1]!, pw[1]!]);
    const spans = cur.map((c) => {
      const from = pairs.length;
      for (let i = 0; i + 1 < c.length; i += 2) pairs.push([c[i]!, c[i + 1]!]);
      return from;
    });
    if (pairs.length === 0) break;
    const out = await mulTruncMany(p, pairs, f);
    if (level === 1) pw = [t, out[0]!];
    if (level === 2) pw = [...pw, out[0]!, out[1]!];
    cur = cur.map((c, j) => {
      const n = Math.floor(c.length / 2);
      const next = out.slice(spans[j]!, spans[j]! + n);
      if (c.length % 2 === 1) next.push(c[c.length - 1]!);
      return next;
    });
  }
  const sums = p.concat(
    lists.map((l) => p.reshape(polySum(p, pw, l.coeffs, f), [1, ...shape])),
    0,
  );
  const c0 = RingTensor.fromBigInts(
    lists.map((l) => fixedWord(l.coeffs[0]!, f)),
    [lists.length, ...shape.map(() => 1)],
  );
  const polys = p.addPublic(await p.truncate(sums, f + EXTRA), c0);
  const poly = (j: number) => p.reshape(p.slice(polys, 0, j, j + 1), shape);
  return mulTruncMany(
    p,
    cur.map((c, j) => [c[0]!, poly(j)] as [S, S]),
    f,
  );
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
  return negExp(p, x, fracBits(options), options.scale ?? 1, false);
}

async function negExp<S extends Share>(
  p: Protocol<S>,
  x: S,
  f: number,
  scale: number,
  nonPositive: boolean,
): Promise<{ value: S; negative: S }> {
  const e = await expBits(p, x, f, scale, { withSc: false, nonPositive });
  const coeffs = fitPolynomial('exp2', (t) => 2 ** t, 4);
  const [raw] = await productsWithPolys(p, e.t, [{ factors: negFactors(p, e, f), coeffs }], f, x.shape);
  const [value] = await mulMany(p, [[p.addPublic(p.neg(e.clamp), 1n), raw!]]);
  return { value: value!, negative: e.s };
}

/**
 * e^x for -2^(54-2f) < x <= 0, one round fewer than {@link expNegAbs} (no sign: w = V - 1). A
 * positive x, outside the domain, gives 0.
 */
export async function expNonPositive<S extends Share>(
  p: Protocol<S>,
  x: S,
  options: FixedOptions = {},
): Promise<S> {
  return (await negExp(p, x, fracBits(options), 1, true)).value;
}

/**
 * e^x for x < 8 ln 2 ≈ 5.545 (results below 256); beyond that the result is garbage.
 * @example const y = await exp(protocol, x);
 */
export async function exp<S extends Share>(p: Protocol<S>, x: S, options: FixedOptions = {}): Promise<S> {
  const f = fracBits(options);
  const e = await expBits(p, x, f, 1, { withSc: true, nonPositive: false });
  // positive branch: bits of V are the complements of w's
  const posFactors = e.bits.slice(0, POS_BITS).map((bit, i) => select(p, bit, 1, 2 ** (2 ** i), f));
  const [neg, pos] = await productsWithPolys(
    p,
    e.t,
    [
      { factors: negFactors(p, e, f), coeffs: fitPolynomial('exp2', (t) => 2 ** t, 4) },
      {
        factors: posFactors,
        coeffs: fitPolynomial('exp2neg', (t) => 2 ** -t, 4).map((c) => c * 2 ** (1 - 2 ** -(f + G))),
      },
    ],
    f,
    x.shape,
  );
  // (1 - s) pos + (s - s c) neg, one exact mul round
  const [a, b] = await mulMany(p, [
    [p.addPublic(p.neg(e.s), 1n), pos!],
    [p.sub(e.s, e.sc!), neg!],
  ]);
  return p.add(a!, b!);
}
