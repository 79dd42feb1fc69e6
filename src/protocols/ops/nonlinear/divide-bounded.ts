/**
 * a / b for b known to lie in a public range [lo, hi] (a softmax denominator lies in [1, K]), by
 * Goldschmidt's iteration from a linear first guess: no bit decomposition, 2 (k + 1) rounds on
 * rep3 (10 for [1, 10]), generic over any protocol.
 *
 * Steps, with f fractional bits, h extra bits on the guess and g on the error terms:
 * 1. y0 = c0 + c1 b, the line through 1/b at the two Chebyshev nodes of [lo, hi] (it minimises
 *    max |1 - b y0| over the range) with its slope rounded to h bits and c0 chosen again for the
 *    rounded slope (for wide ranges the slope rounds to 0: a constant guess), computed exactly at
 *    f + h bits (local);
 * 2. one batched mulTrunc: e = 1 - b y0 and A = a y0, both at f + g bits;
 * 3. k levels of one batched mulTrunc each: A <- A (1 + e^(2^i)) and e^(2^(i+1)) <- (e^(2^i))^2, the
 *    last level truncating A to f bits. Then A = a y0 (1 - e^(2^k)) / (1 - e) = (a / b)(1 - e^(2^k)).
 * k is the least with e0^(2^k) <= 2^-(f-1), e0 = max |1 - b y0| on the range computed in float64
 * from the rounded coefficients: 4 for [1, 10] (e0 = 0.50), 5 for [1, 16], 7 for [1, 50]. The
 * roundings of e at f + g bits perturb the quotient relatively, amplified by up to 1 / (1 - e0),
 * so a range whose amplified roundings could exceed one ulp at the largest |a / b| (aBound / lo)
 * is refused with a RangeError naming it ([1, 51] at f = 16 with |a| <= 1; [4, 54] with
 * |a| <= 8192 at f = 12).
 *
 * The e terms live on b's shape and are broadcast to a's for the products (a softmax row's K
 * quotients share one denominator). Magnitudes: every truncated product stays below
 * 2^{@link MAX_PRODUCT_BITS} (h and g are chosen for it from f and the bound on |a / b|).
 *
 * Error: at most 2 ulp |a / b| from the iteration (e0^(2^k) relative) plus 1 ulp from the last
 * truncation and at most 1 ulp from the others: 2 ulp + 2 ulp |a / b| (tested on [1, 10], [0.5, 3],
 * [1, 16] and [1, 50] on every protocol). Domain: lo <= b <= hi, and |a| <= aBound; outside, |e| may exceed e0 and the iteration
 * diverges (the bounds are a precondition, not checked).
 */
import type { Protocol, Share } from '../../protocol.js';
import { fixedWord, fracBits, MAX_PRODUCT_BITS, mulTruncMany, type FixedOptions } from './common.js';

/** Options of {@link divideBounded}. */
export interface DivideBoundedOptions extends FixedOptions {
  /** A bound on |a| (default 1): sizes the intermediate products. */
  aBound?: number;
}

/** Most Goldschmidt levels: a range that needs more is refused. */
const MAX_LEVELS = 16;

/** How {@link divideBounded} runs for one range. */
interface Plan {
  /** The guess's coefficients: c0 at f + h bits, c1 at h bits. */
  c0: bigint;
  c1: bigint;
  h: number;
  g: number;
  levels: number;
}

const plans = new Map<string, Plan>();

/** max |1 - b (c0 + c1 b)| over [lo, hi] widened by 16 ulp on each side (b is a rounded sum). */
function guessError(lo: number, hi: number, c0: number, c1: number, f: number): number {
  const edge = 16 * 2 ** -f;
  const at = [lo - edge, hi + edge];
  const vertex = c1 === 0 ? NaN : -c0 / (2 * c1);
  if (vertex > at[0]! && vertex < at[1]!) at.push(vertex);
  return Math.max(...at.map((b) => Math.abs(1 - b * (c0 + c1 * b))));
}

/** The c0 that minimises {@link guessError} for the slope c1 (the error is convex in c0). */
function bestIntercept(lo: number, hi: number, c1: number, f: number): number {
  let [x0, x1] = [0, 4 / lo];
  for (let i = 0; i < 200; i++) {
    const m0 = x0 + (x1 - x0) / 3;
    const m1 = x1 - (x1 - x0) / 3;
    if (guessError(lo, hi, m0, c1, f) < guessError(lo, hi, m1, c1, f)) x1 = m1;
    else x0 = m0;
  }
  return (x0 + x1) / 2;
}

/**
 * Throws a RangeError naming `what` unless 0 < lo < hi < infinity (a public divisor range).
 */
export function checkDivisorRange(lo: number, hi: number, what: string): void {
  if (!(lo > 0 && hi > lo && Number.isFinite(hi)))
    throw new RangeError(`${what} needs a divisor range 0 < lo < hi (finite), got [${lo}, ${hi}]`);
}

function planFor(lo: number, hi: number, f: number, aBound: number): Plan {
  checkDivisorRange(lo, hi, 'divideBounded');
  if (!(aBound > 0 && Number.isFinite(aBound)))
    throw new RangeError(`divideBounded: aBound must be positive and finite, got ${aBound}`);
  const key = `${lo}/${hi}/${f}/${aBound}`;
  const hit = plans.get(key);
  if (hit) return hit;
  const ratioBits = Math.max(0, Math.ceil(Math.log2(aBound / lo)));
  // b y0 < 2 and |a y0| < 2 |a / b| at 2f + h bits; e^2 < 1 and |A E| < 4 |a / b| at 2 (f + g)
  const h = MAX_PRODUCT_BITS - 1 - 2 * f - ratioBits;
  const g = Math.min(8, Math.floor((MAX_PRODUCT_BITS - 2 - 2 * f - ratioBits) / 2));
  if (h < 8 || g < 0)
    throw new RangeError(
      `divideBounded: ${f} fractional bits with |a / b| up to ${aBound / lo} leave no room below 2^${MAX_PRODUCT_BITS} for the products; use fewer fractional bits or a smaller range`,
    );
  // the relative minimax line interpolates 1/b at the Chebyshev nodes of [lo, hi]; its slope is
  // rounded to h bits (to 0 for wide ranges), so c0 is chosen again for the rounded slope
  const mid = (lo + hi) / 2;
  const half = ((hi - lo) / 2) * Math.SQRT1_2;
  const slope = Math.round((-1 / ((mid - half) * (mid + half))) * 2 ** h);
  let best = { e0: Infinity, c0: 0, c1: 0 };
  for (const c1 of new Set([slope, slope + 1, slope - 1, 0])) {
    const c0 = bestIntercept(lo, hi, c1 / 2 ** h, f);
    const rounded = Math.round(c0 * 2 ** (f + h)) / 2 ** (f + h);
    const e0 = guessError(lo, hi, rounded, c1 / 2 ** h, f);
    if (e0 < best.e0) best = { e0, c0: rounded, c1 };
  }
  const e0 = best.e0;
  const tooWide = () =>
    new RangeError(
      `divideBounded: [${lo}, ${hi}] is too wide for its linear first guess at ${f} fractional bits`,
    );
  if (!(e0 < 1)) throw tooWide();
  let levels = 1;
  for (let e = e0 * e0; e > 2 ** -(f - 1); e *= e) if (++levels > MAX_LEVELS) throw tooWide();
  // the roundings of e at f + g bits perturb the quotient relatively, amplified by up to
  // 1 / min(b y0) = 1 / (1 - e0): keep them within one ulp together at the largest |a / b|
  const ratio = Math.max(1, aBound / lo);
  if (((levels + 2) * 2 ** -g) / (1 - e0) > 1) throw tooWide();
  if (((levels + 2) * 2 ** -g * ratio) / (1 - e0) > 1)
    throw new RangeError(
      `divideBounded: |a / b| up to ${ratio} on [${lo}, ${hi}] leaves its error terms too few bits at ${f} fractional bits; divide a smaller a and scale after`,
    );
  const plan: Plan = {
    c0: fixedWord(best.c0, f + h),
    c1: BigInt.asUintN(64, BigInt(best.c1)),
    h,
    g,
    levels,
  };
  plans.set(key, plan);
  return plan;
}

/** Rounds {@link divideBounded} takes on rep3 for [lo, hi] (two per batched mulTrunc). */
export function divideBoundedRounds(lo: number, hi: number, options: DivideBoundedOptions = {}): number {
  return 2 * (planFor(lo, hi, fracBits(options), options.aBound ?? 1).levels + 1);
}

/**
 * a / b elementwise for b in [lo, hi] (0 < lo < hi, public), b's shape broadcast to a's.
 * @example const probs = await divideBounded(protocol, e, rowSums, 1, 10);
 */
export async function divideBounded<S extends Share>(
  p: Protocol<S>,
  a: S,
  b: S,
  lo: number,
  hi: number,
  options: DivideBoundedOptions = {},
): Promise<S> {
  const f = fracBits(options);
  const { c0, c1, h, g, levels } = planFor(lo, hi, f, options.aBound ?? 1);
  const one = 1n << BigInt(f + g);
  const y = p.addPublic(p.mulPublic(b, c1), c0); // y0 at f + h bits, exact
  const [by, a0] = await mulTruncMany(
    p,
    [
      [b, y],
      [a, p.broadcastTo(y, a.shape)],
    ],
    f + h - g,
  );
  let e = p.addPublic(p.neg(by!), one);
  let acc = a0!;
  for (let level = 1; level <= levels; level++) {
    const last = level === levels;
    const factor = p.broadcastTo(p.addPublic(e, one), a.shape);
    const out = await mulTruncMany(
      p,
      last
        ? [[acc, factor]]
        : [
            [acc, factor],
            [e, e],
          ],
      last ? f + 2 * g : f + g,
    );
    acc = out[0]!;
    if (!last) e = out[1]!;
  }
  return acc;
}
