/**
 * Exact samplers for differentially private noise (issue 16): the Bernoulli(exp(-gamma)),
 * discrete Laplace and discrete Gaussian algorithms of Canonne, Kamath & Steinke 2020, "The
 * Discrete Gaussian for Differential Privacy" (Algorithms 1-3). The sampling path uses only
 * integer and rational (bigint) arithmetic and uniform integers from a RandomSource: no floating
 * point, so no Mironov 2012 style leaks through rounding. The float pmfs at the end are for tests.
 */
import type { RandomSource } from './random.js';

/** An exact rational number num/den with den > 0. */
export interface Rational {
  num: bigint;
  den: bigint;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The exact value of a finite double as a reduced rational (every finite double is dyadic). */
export function rationalOf(x: number): Rational {
  if (!Number.isFinite(x)) throw new RangeError(`x must be finite, got ${x}`);
  if (x === 0) return { num: 0n, den: 1n };
  f64[0] = x;
  const bits = u64[0]!;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  let exponent = biased === 0 ? -1074 : biased - 1075;
  if (biased !== 0) mantissa |= 1n << 52n;
  while (exponent < 0 && (mantissa & 1n) === 0n) {
    mantissa >>= 1n;
    exponent++;
  }
  const num = exponent >= 0 ? mantissa << BigInt(exponent) : mantissa;
  const den = exponent >= 0 ? 1n : 1n << BigInt(-exponent);
  return { num: x < 0 ? -num : num, den };
}

function requirePositive(name: string, r: Rational): void {
  if (r.den <= 0n || r.num <= 0n)
    throw new RangeError(`${name} must be a rational > 0, got ${r.num}/${r.den}`);
}

/** Bernoulli(exp(-num/den)) for 0 <= num/den <= 1: CKS 2020 Algorithm 1, first branch. */
function bernoulliExpUnit(num: bigint, den: bigint, rng: RandomSource): boolean {
  let k = 1n;
  while (rng.uniformBelow(den * k) < num) k++;
  return (k & 1n) === 1n;
}

/** Bernoulli(exp(-num/den)) for num/den >= 0 (den > 0): CKS 2020 Algorithm 1. */
function bernoulliExpRaw(num: bigint, den: bigint, rng: RandomSource): boolean {
  const whole = num / den;
  for (let i = 0n; i < whole; i++) if (!bernoulliExpUnit(1n, 1n, rng)) return false;
  return bernoulliExpUnit(num - whole * den, den, rng);
}

/** An exact draw of Bernoulli(exp(-gamma)) for a rational gamma >= 0 (CKS 2020, Algorithm 1). */
export function bernoulliExp(gamma: Rational, rng: RandomSource): boolean {
  if (gamma.den <= 0n || gamma.num < 0n) {
    throw new RangeError(`gamma must be a rational >= 0, got ${gamma.num}/${gamma.den}`);
  }
  return bernoulliExpRaw(gamma.num, gamma.den, rng);
}

/** Discrete Laplace with scale n/d (n, d > 0): CKS 2020 Algorithm 2. */
function laplaceRaw(n: bigint, d: bigint, rng: RandomSource): bigint {
  for (;;) {
    const u = rng.uniformBelow(n);
    if (!bernoulliExpUnit(u, n, rng)) continue;
    let v = 0n;
    while (bernoulliExpUnit(1n, 1n, rng)) v++;
    const y = (u + n * v) / d;
    const negative = rng.uniformBelow(2n) === 1n;
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/**
 * An exact draw from the discrete Laplace distribution with the given scale > 0:
 * P(z) ∝ exp(-|z| / scale) over the integers (CKS 2020, Algorithm 2).
 */
export function sampleDiscreteLaplace(scale: Rational, rng: RandomSource): bigint {
  requirePositive('scale', scale);
  return laplaceRaw(scale.num, scale.den, rng);
}

/** floor(sqrt(n)) for a bigint n >= 0: Newton's method from a power of two above the root. */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length + 1) >> 1); // x >= sqrt(n)
  for (;;) {
    const y = (x + n / x) >> 1n; // decreases while x > floor(sqrt(n))
    if (y >= x) return x;
    x = y;
  }
}

/** A sampler of the discrete Gaussian with variance parameter sigma2 = num/den (CKS 2020, Algorithm 3). */
function gaussianSampler(num: bigint, den: bigint): (rng: RandomSource) => bigint {
  const t = isqrt(num / den) + 1n; // floor(sigma) + 1
  const tden = t * den;
  const gammaDen = 2n * t * tden * num; // (|y| - sigma²/t)² / (2 sigma²) = (|y| t den - num)² / gammaDen
  return (rng) => {
    for (;;) {
      const y = laplaceRaw(t, 1n, rng);
      const a = (y < 0n ? -y : y) * tden - num;
      if (bernoulliExpRaw(a * a, gammaDen, rng)) return y;
    }
  };
}

/**
 * An exact draw from the discrete Gaussian with variance parameter sigma2 > 0:
 * P(z) ∝ exp(-z² / (2 sigma2)) over the integers (CKS 2020, Algorithm 3).
 */
export function sampleDiscreteGaussian(sigma2: Rational, rng: RandomSource): bigint {
  requirePositive('sigma2', sigma2);
  return gaussianSampler(sigma2.num, sigma2.den)(rng);
}

/**
 * `count` independent draws of the mechanism's noise at `scale` (sigma for 'gaussian', the
 * Laplace scale for 'laplace'), in integer (fixed-point ring) units. The scale is taken exactly
 * as the double it is (sigma² = rationalOf(sigma)²), so no rounding enters the distribution.
 */
export function sampleNoise(
  mechanism: 'gaussian' | 'laplace',
  scale: number,
  count: number,
  rng: RandomSource,
): bigint[] {
  if (!Number.isFinite(scale) || scale <= 0)
    throw new RangeError(`scale must be a finite number > 0, got ${scale}`);
  if (!Number.isSafeInteger(count) || count < 0)
    throw new RangeError(`count must be an integer >= 0, got ${count}`);
  const r = rationalOf(scale);
  let draw: (rng: RandomSource) => bigint;
  if (mechanism === 'gaussian') draw = gaussianSampler(r.num * r.num, r.den * r.den);
  else if (mechanism === 'laplace') draw = (g) => laplaceRaw(r.num, r.den, g);
  else throw new RangeError(`mechanism must be gaussian or laplace, got ${String(mechanism)}`);
  const out = new Array<bigint>(count);
  for (let i = 0; i < count; i++) out[i] = draw(rng);
  return out;
}

let gaussNorm: { sigma: number; z: number } | undefined;

/** The normaliser sum_j exp(-j² / (2 sigma²)): a direct sum for small sigma, else Poisson summation. */
function gaussianNormaliser(sigma: number): number {
  if (gaussNorm?.sigma === sigma) return gaussNorm.z;
  let z = 0;
  if (sigma < 4) {
    const bound = Math.ceil(40 * sigma) + 10;
    for (let j = -bound; j <= bound; j++) z += Math.exp(-(j * j) / (2 * sigma * sigma));
  } else {
    // sum_j exp(-j²/2s²) = s sqrt(2 pi) (1 + 2 sum_{n>=1} exp(-2 pi² s² n²)); the tail is < 1e-130
    z = sigma * Math.sqrt(2 * Math.PI) * (1 + 2 * Math.exp(-2 * Math.PI * Math.PI * sigma * sigma));
  }
  gaussNorm = { sigma, z };
  return z;
}

/** The discrete Gaussian's pmf at integer k, normalised, in floating point (for tests). */
export function discreteGaussianPmf(sigma: number, k: number): number {
  if (!Number.isFinite(sigma) || sigma <= 0)
    throw new RangeError(`sigma must be a finite number > 0, got ${sigma}`);
  return Math.exp(-(k * k) / (2 * sigma * sigma)) / gaussianNormaliser(sigma);
}

/** The discrete Laplace pmf at integer k, normalised: tanh(1/(2 scale)) exp(-|k|/scale) (for tests). */
export function discreteLaplacePmf(scale: number, k: number): number {
  if (!Number.isFinite(scale) || scale <= 0)
    throw new RangeError(`scale must be a finite number > 0, got ${scale}`);
  return Math.tanh(1 / (2 * scale)) * Math.exp(-Math.abs(k) / scale);
}
