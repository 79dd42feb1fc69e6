/**
 * zCDP accounting for differentially private releases (issue 16): the privacy cost of the
 * discrete Gaussian and discrete Laplace mechanisms in rho-zCDP (Bun & Steinke 2016), their
 * composition, the conversion to (epsilon, delta)-DP exactly as OpenDP computes it, and the
 * calibration of noise scales and 95% intervals. Pure functions of numbers; no randomness.
 */
import { rationalOf } from './sampler.js';
import type { DpMechanism } from './types.js';

function requirePositive(name: string, x: number): void {
  if (!Number.isFinite(x) || x <= 0) throw new RangeError(`${name} must be a finite number > 0, got ${x}`);
}

function requireProbability(name: string, x: number): void {
  if (!Number.isFinite(x) || x <= 0 || x >= 1) throw new RangeError(`${name} must be in (0, 1), got ${x}`);
}

// ---- OpenDP's inf_* operations: float arithmetic rounded exactly toward +infinity ----
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The adjacent float to a finite x, above (up) or below. */
function nextFloat(x: number, up: boolean): number {
  if (x === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = x;
  u64[0] = x > 0 === up ? u64[0]! + 1n : u64[0]! - 1n;
  return f64[0]!;
}

/** a*b as an unevaluated sum p + e, exact (Dekker's TwoProduct; no overflow here). */
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const split = (x: number): [number, number] => {
    const c = 134217729 * x;
    const hi = c - (c - x);
    return [hi, x - hi];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

/** a + b rounded toward +infinity. */
function infAdd(a: number, b: number): number {
  const s = a + b;
  const bb = s - a;
  const err = a - (s - bb) + (b - bb);
  return err > 0 ? nextFloat(s, true) : s;
}

/** a * b rounded toward +infinity. */
function infMul(a: number, b: number): number {
  const [p, e] = twoProduct(a, b);
  return Number.isFinite(p) && e > 0 ? nextFloat(p, true) : p;
}

/** a / b rounded toward +infinity. */
function infDiv(a: number, b: number): number {
  const q = a / b;
  if (!Number.isFinite(q)) return q;
  if (q === 0) return a === 0 || a > 0 !== b > 0 ? q : Number.MIN_VALUE;
  const [p, e] = twoProduct(q, b);
  return (a - p - e) * Math.sign(b) > 0 ? nextFloat(q, true) : q; // sign of a - q*b, exact
}

// Exact upward rounding of exp and ln1p: libm's value is within an ulp of the truth, so it is
// corrected against a 128-bit fixed-point evaluation (ambiguous only within 2^-100 of a float,
// where the larger neighbour is taken, which is still an upper bound).
const P = 128n;
const TOL = 1n << 24n; // bound on the evaluations' error, in units of 2^-P

/** floor(x 2^shift) for a finite double x and any integer shift. */
function scaled(x: number, shift: bigint): bigint {
  f64[0] = x;
  const bits = u64[0]!;
  const biased = (bits >> 52n) & 0x7ffn;
  const mantissa = biased === 0n ? bits & 0xfffffffffffffn : (bits & 0xfffffffffffffn) | (1n << 52n);
  const e = (biased === 0n ? -1074n : biased - 1075n) + shift; // |x| = mantissa 2^(e - shift)
  const m = x < 0 ? -mantissa : mantissa;
  return e >= 0n ? m << e : m >> -e;
}

/** 2 atanh(s) = ln((1+s)/(1-s)) for |s| <= 1/3, at precision p. */
function twoAtanh(s: bigint, p: bigint): bigint {
  if (s < 0n) return -twoAtanh(-s, p); // odd; the series below needs s >= 0 to terminate
  const s2 = (s * s) >> p;
  let sum = 0n;
  for (let term = s, j = 1n; term !== 0n; term = (term * s2) >> p, j += 2n) sum += term / j;
  return 2n * sum;
}

const LN2 = twoAtanh((1n << P) / 3n, P);

/** The smallest float >= v, v = exact / 2^shift known to within TOL units, from libm's guess. */
function roundUp(exact: bigint, shift: bigint, guess: number): number {
  let y = guess;
  for (let i = 0; scaled(y, shift) < exact + TOL; i++) {
    if (i === 4) throw new Error('libm result off by more than an ulp'); // cannot happen
    y = nextFloat(y, true);
  }
  for (let below = nextFloat(y, false); scaled(below, shift) >= exact + TOL; below = nextFloat(y, false)) {
    y = below;
  }
  return y;
}

/** exp(x) rounded toward +infinity (OpenDP's inf_exp; the least subnormal on underflow). */
function infExp(x: number): number {
  if (x === 0) return 1;
  if (x < -745) return Number.MIN_VALUE; // exp(x) < 2^-1074: rounds up to the least subnormal
  if (x > 709.8) return Infinity;
  const k = BigInt(Math.round(x / Math.LN2)); // exp(x) = 2^k exp(r), |r| <= ln2 / 2
  const r = scaled(x, P) - k * LN2;
  let sum = 1n << P;
  for (let term = sum, n = 1n; term !== 0n; n++) {
    term = ((term * r) >> P) / n;
    sum += term;
  }
  return roundUp(sum, P - k, Math.max(Math.exp(x), Number.MIN_VALUE));
}

/** ln(1 + x) rounded toward +infinity, for -1 < x (precision grows as |x| shrinks). */
function infLn1p(x: number): number {
  if (x === 0) return 0;
  const p = P + BigInt(Math.max(0, -Math.floor(Math.log2(Math.abs(x)))));
  const { num: xn, den } = rationalOf(x);
  const num = den + xn; // 1 + x = num / den
  let k = num.toString(2).length - den.toString(2).length; // num/den / 2^k in (1/2, 2)
  let a = k >= 0 ? num : num << BigInt(-k);
  let b = k >= 0 ? den << BigInt(k) : den;
  if (a * a > 2n * b * b)
    [b, k] = [2n * b, k + 1]; // now a/b in [1/sqrt2, sqrt2]: |s| <= 0.18
  else if (2n * a * a < b * b) [a, k] = [2n * a, k - 1];
  const ln2 = p === P ? LN2 : twoAtanh((1n << p) / 3n, p);
  return roundUp(twoAtanh(((a - b) << p) / (a + b), p) + BigInt(k) * ln2, p, Math.log1p(x));
}

// ---- OpenDP's zCDP to approximate DP conversion ----

/**
 * delta(epsilon) of the privacy profile of rho-zCDP: OpenDP's `cdp_delta`
 * (rust/src/combinators/measure_cast/zCDP_to_approxDP/cdp_delta/mod.rs), the optimal conversion
 * of Canonne, Kamath & Steinke 2020 (Corollary 13) with a bisection over alpha:
 * delta = exp((a-1)(a rho - eps) + a ln(1 - 1/a)) / (a-1), minimised over a > 1.
 */
function cdpDelta(rho: number, eps: number): number {
  if (rho === 0 || eps === Infinity) return 0;
  let aMax = infAdd(infDiv(infAdd(eps, 1), 2 * rho), 2);
  let aMin = 1.01;
  for (;;) {
    const aMid = aMin + (aMax - aMin) / 2;
    if (aMid === aMax || aMid === aMin) break;
    const deriv = (2 * aMid - 1) * rho - eps + Math.log1p(-(1 / aMid));
    if (deriv < 0 || Object.is(deriv, -0)) aMin = aMid;
    else aMax = aMid;
  }
  const a1 = infAdd(aMax, -1);
  const arE = infAdd(infMul(aMax, rho), -eps);
  let t1 = infMul(a1, arE);
  if (!Number.isFinite(t1)) {
    if (a1 < 0 !== arE < 0) t1 = -Number.MAX_VALUE;
    else throw new RangeError(`rho ${rho} is too large to convert`);
  }
  const t2 = infMul(aMax, infLn1p(-(1 / aMax)));
  const delta = infDiv(infExp(infAdd(t1, t2)), infAdd(aMax, -1));
  return Math.min(delta, 1);
}

/**
 * The epsilon of rho-zCDP as (epsilon, delta)-DP, exactly as OpenDP computes it: the privacy
 * profile of `make_zCDP_to_approxDP` (OpenDP's `cdp_delta`, the optimal conversion of Canonne,
 * Kamath & Steinke 2020, Corollary 13, by a search over alpha) inverted by
 * `PrivacyProfile::epsilon` (rust/src/measures/mod.rs): the smallest epsilon found by bisection
 * with delta(epsilon) <= delta. Every step rounds as OpenDP's does: plain floats in the searches,
 * and correctly rounded upward arithmetic, exp and ln1p (OpenDP's `inf_*`) for delta, so the
 * result is OpenDP's to the bit. Always <= rho + 2 sqrt(rho ln(1/delta)).
 */
export function epsilonOfRho(rho: number, delta: number): number {
  if (!Number.isFinite(rho) || rho < 0) throw new RangeError(`rho must be a finite number >= 0, got ${rho}`);
  requireProbability('delta', delta);
  if (rho === 0) return 0;
  // Beyond rho 1e4 (far past any budget: epsilon 100 is rho ~48) the search's float arithmetic
  // breaks down (it returned 0); the simple conversion is a valid upper bound there.
  if (rho > 1e4) return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
  let eMin = 0;
  let eMax = 2;
  while (cdpDelta(rho, eMax) > delta) {
    eMax *= eMax;
    if (!Number.isFinite(eMax)) return Infinity;
  }
  let eMid = eMin;
  for (;;) {
    const newMid = eMin + (eMax - eMin) / 2;
    if (newMid === eMid) return delta === cdpDelta(rho, eMin) ? eMin : eMax;
    eMid = newMid;
    if (cdpDelta(rho, eMid) > delta) eMin = eMid;
    else eMax = eMid;
  }
}

/**
 * The largest rho (to a relative 1e-12) whose `epsilonOfRho(rho, delta)` is <= epsilon: the zCDP
 * budget an (epsilon, delta) request or policy stands for. The conversion is increasing in rho, so
 * a bracketing search (Illinois regula falsi in sqrt(rho), where the curve is smooth) finds it; the
 * rho returned is one whose epsilon was computed and found <= epsilon.
 */
export function rhoOfEpsilonDelta(epsilon: number, delta: number): number {
  requirePositive('epsilon', epsilon);
  requireProbability('delta', delta);
  const key = `${epsilon}/${delta}`;
  const known = RHO_CACHE.get(key);
  if (known !== undefined) return known;
  const rho = searchRho(epsilon, delta);
  if (RHO_CACHE.size >= 1024) RHO_CACHE.clear();
  RHO_CACHE.set(key, rho);
  return rho;
}

/** rhoOfEpsilonDelta's results (a search takes tens of ms; jobs and policies ask the same pairs). */
const RHO_CACHE = new Map<string, number>();

/** The search of {@link rhoOfEpsilonDelta}. */
function searchRho(epsilon: number, delta: number): number {
  const f = (s: number): number => epsilonOfRho(s * s, delta) - epsilon;
  let [lo, flo] = [0, -epsilon];
  let hi = Math.sqrt(epsilon);
  let fhi = f(hi);
  while (fhi <= 0) {
    [lo, flo] = [hi, fhi];
    hi *= 2;
    fhi = f(hi);
  }
  let side = 0;
  for (let i = 0; i < 200 && hi - lo > 5e-13 * hi; i++) {
    let s = (lo * fhi - hi * flo) / (fhi - flo);
    if (!(s > lo && s < hi)) s = lo + (hi - lo) / 2;
    const fs = f(s);
    if (fs <= 0) {
      [lo, flo] = [s, fs];
      if (side === -1) fhi /= 2;
      side = -1;
    } else {
      [hi, fhi] = [s, fs];
      if (side === 1) flo /= 2;
      side = 1;
    }
  }
  return lo * lo;
}

/** zCDP cost of the Gaussian mechanism: rho = l2Sensitivity² / (2 sigma²) (Bun & Steinke 2016, Prop. 1.6; CKS 2020 Thm. 14 for the discrete Gaussian). */
export function rhoOfGaussian(l2Sensitivity: number, sigma: number): number {
  requirePositive('l2Sensitivity', l2Sensitivity);
  requirePositive('sigma', sigma);
  return (l2Sensitivity * l2Sensitivity) / (2 * sigma * sigma);
}

/** zCDP cost of a pure epsilon-DP mechanism: rho = epsilon² / 2 (Bun & Steinke 2016, Prop. 1.4). */
export function rhoOfPureEpsilon(epsilon: number): number {
  requirePositive('epsilon', epsilon);
  return (epsilon * epsilon) / 2;
}

/** zCDP composes additively: the cost of running every mechanism is the sum of their rhos (each >= 0). */
export function composeRho(rhos: readonly number[]): number {
  let total = 0;
  for (const [i, r] of rhos.entries()) {
    if (!Number.isFinite(r) || r < 0)
      throw new RangeError(`rhos[${i}] must be a finite number >= 0, got ${r}`);
    total += r;
  }
  return total;
}

/** The discrete Gaussian sigma that makes a query of this l2 sensitivity rho-zCDP: Δ / sqrt(2 rho). */
export function sigmaForRho(l2Sensitivity: number, rho: number): number {
  requirePositive('l2Sensitivity', l2Sensitivity);
  requirePositive('rho', rho);
  return l2Sensitivity / Math.sqrt(2 * rho);
}

/** The discrete Laplace scale that makes a query of this l1 sensitivity epsilon-DP: Δ / epsilon. */
export function laplaceScaleForEpsilon(l1Sensitivity: number, epsilon: number): number {
  requirePositive('l1Sensitivity', l1Sensitivity);
  requirePositive('epsilon', epsilon);
  return l1Sensitivity / epsilon;
}

/**
 * A half-width q with P(|Z_1 + ... + Z_parties| <= q) >= 0.95 for independent draws of the
 * mechanism at this scale (sigma for gaussian, the Laplace scale b for laplace), in the scale's
 * units. Rigorous upper bounds, never an approximation that can undershoot:
 * - gaussian: the discrete Gaussian with parameter sigma is sub-Gaussian with parameter sigma,
 *   E[e^(tZ)] <= e^(t² sigma² / 2) (CKS 2020, Sec. 2), so the sum S of m draws has
 *   P(|S| > t) <= 2 exp(-t² / (2 m sigma²)) (Chernoff); q = sigma sqrt(2 m ln 40).
 * - laplace, one party: the exact tail P(|Z| > k) = 2 p^(k+1) / (1 + p), p = exp(-1/b), at the
 *   smallest integer k where it is <= 0.05.
 * - laplace, m >= 2 parties: the Chernoff bound P(S >= q) <= exp(-t q) M(t)^m with the moment
 *   generating function M(t) = (1-p)² / ((1 - p e^t)(1 - p e^-t)), 0 < t < 1/b, on each tail at
 *   0.025; q is minimised over t (any t gives a valid bound).
 * The result is rounded up by a relative 1e-9 to cover float error.
 */
export function noiseHalfWidth95(mechanism: DpMechanism, scale: number, parties: number): number {
  requirePositive('scale', scale);
  if (!Number.isInteger(parties) || parties < 1) {
    throw new RangeError(`parties must be an integer >= 1, got ${parties}`);
  }
  if (mechanism === 'gaussian') return scale * Math.sqrt(2 * parties * Math.log(40)) * (1 + 1e-9);
  if (mechanism !== 'laplace')
    throw new RangeError(`mechanism must be gaussian or laplace, got ${String(mechanism)}`);
  if (parties === 1) {
    // smallest integer k >= 0 with 2 p^(k+1) / (1+p) <= 0.05, i.e. (k+1)/b >= ln(40 / (1+p))
    return Math.max(0, Math.ceil(scale * Math.log(40 / (1 + Math.exp(-1 / scale))) * (1 + 1e-9) - 1));
  }
  return laplaceChernoff(scale, parties) * (1 + 1e-9);
}

/** min over t in (0, 1/b) of (m K(t) - ln 0.025) / t, K the log MGF of one discrete Laplace draw. */
function laplaceChernoff(b: number, m: number): number {
  const log1mP = Math.log(-Math.expm1(-1 / b)); // ln(1 - p)
  const q = (u: number): number => {
    const t = u / b;
    const k = 2 * log1mP - Math.log(-Math.expm1(t - 1 / b)) - Math.log(-Math.expm1(-t - 1 / b));
    return (m * k - Math.log(0.025)) / t;
  };
  // q(u) is quasi-convex on (0, 1): golden-section search; any u gives a valid bound.
  let lo = 1e-9;
  let hi = 1 - 1e-9;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 200; i++) {
    const a = hi - g * (hi - lo);
    const c = lo + g * (hi - lo);
    if (q(a) < q(c)) hi = c;
    else lo = a;
  }
  return Math.min(q(lo), q(hi));
}
