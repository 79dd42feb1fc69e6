/**
 * The exact DP noise samplers (issue 16): draws from a seeded RandomSource match the discrete
 * Gaussian and discrete Laplace pmfs by chi-square tests over 1e6 draws (tails merged so every bin
 * expects >= 5; the statistic must stay below the critical value at p = 1e-4), also when two
 * parties' draws are added through additive secret shares modulo 2^64; Bernoulli(exp(-gamma))
 * frequencies; the variance at scales 2^30 and 2^40; rationalOf's exactness; the random sources.
 */
import { readFileSync } from 'node:fs';
import gammainc from '@stdlib/math-base-special-gammainc';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cryptoRandom, seededRandom, type RandomSource } from '../../src/jobs/dp/random.js';
import {
  bernoulliExp,
  discreteGaussianPmf,
  discreteLaplacePmf,
  rationalOf,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  sampleNoise,
} from '../../src/jobs/dp/sampler.js';

const P_VALUE = 1e-4;

/** The chi-square critical value with upper tail probability p: bisection on Q(df/2, x/2). */
function chiSquareCritical(df: number, p: number): number {
  let lo = 0;
  let hi = df + 40 * Math.sqrt(2 * df) + 100;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (gammainc(mid / 2, df / 2, true, true) > p) lo = mid;
    else hi = mid;
  }
  return hi;
}

interface ChiSquare {
  statistic: number;
  df: number;
  critical: number;
}

/**
 * Pearson's chi-square of integer draws against a symmetric pmf on [-range, range] (the mass
 * outside is folded into the two end values, where draws beyond them are counted too). Adjacent
 * values are merged from the left until each bin expects >= 5; a short last bin joins its neighbour.
 */
function chiSquare(draws: readonly number[], pmf: (k: number) => number, range: number): ChiSquare {
  const n = draws.length;
  const observed = new Float64Array(2 * range + 1);
  for (const x of draws) observed[Math.max(-range, Math.min(range, x)) + range]!++;
  const expected = Array.from({ length: 2 * range + 1 }, (_, i) => n * pmf(i - range));
  const outside = n - expected.reduce((a, b) => a + b, 0);
  expected[0]! += outside / 2;
  expected[2 * range]! += outside / 2;
  const bins: [number, number][] = [];
  let [e, o] = [0, 0];
  for (let i = 0; i <= 2 * range; i++) {
    e += expected[i]!;
    o += observed[i]!;
    if (e >= 5) {
      bins.push([e, o]);
      [e, o] = [0, 0];
    }
  }
  bins[bins.length - 1]![0] += e;
  bins[bins.length - 1]![1] += o;
  const statistic = bins.reduce((s, [be, bo]) => s + (bo - be) ** 2 / be, 0);
  const df = bins.length - 1;
  return { statistic, df, critical: chiSquareCritical(df, P_VALUE) };
}

function assertFits(
  label: string,
  draws: readonly number[],
  pmf: (k: number) => number,
  range: number,
): void {
  const { statistic, df, critical } = chiSquare(draws, pmf, range);
  assert.ok(df >= 5, `${label}: at least 6 bins (df ${df})`);
  assert.ok(
    statistic < critical,
    `${label}: chi-square ${statistic.toFixed(1)} >= ${critical.toFixed(1)} (df ${df})`,
  );
}

const toNumbers = (xs: readonly bigint[]): number[] => xs.map(Number);

test('chiSquareCritical agrees with tabulated values', () => {
  assert.ok(Math.abs(chiSquareCritical(1, 0.05) - 3.841) < 1e-3);
  assert.ok(Math.abs(chiSquareCritical(10, 1e-4) - 35.564) < 1e-2);
});

for (const sigma of [1.5, 40]) {
  test(`discrete Gaussian sigma=${sigma}: 1e6 draws match the pmf (chi-square)`, () => {
    const draws = toNumbers(sampleNoise('gaussian', sigma, 1_000_000, seededRandom(`gauss-${sigma}`)));
    assertFits(`gaussian ${sigma}`, draws, (k) => discreteGaussianPmf(sigma, k), Math.ceil(8 * sigma) + 5);
  });
}

for (const scale of [2, 30]) {
  test(`discrete Laplace scale=${scale}: 1e6 draws match the pmf (chi-square)`, () => {
    const draws = toNumbers(sampleNoise('laplace', scale, 1_000_000, seededRandom(`laplace-${scale}`)));
    assertFits(`laplace ${scale}`, draws, (k) => discreteLaplacePmf(scale, k), Math.ceil(40 * scale) + 5);
  });
}

test('rational-scale samplers match their pmfs (sigma² = 9/4, scale = 7/3)', () => {
  const rng = seededRandom('rational');
  const g = Array.from({ length: 200_000 }, () => Number(sampleDiscreteGaussian({ num: 9n, den: 4n }, rng)));
  assertFits('gaussian 9/4', g, (k) => discreteGaussianPmf(1.5, k), 20);
  const l = Array.from({ length: 200_000 }, () => Number(sampleDiscreteLaplace({ num: 7n, den: 3n }, rng)));
  assertFits('laplace 7/3', l, (k) => discreteLaplacePmf(7 / 3, k), 100);
});

/** The pmf of X + Y for independent X, Y with this pmf on [-range, range]. */
function convolved(pmf: (k: number) => number, range: number): (k: number) => number {
  const p = Array.from({ length: 2 * range + 1 }, (_, i) => pmf(i - range));
  return (k) => {
    let s = 0;
    for (let j = Math.max(-range, k - range); j <= Math.min(range, k + range); j++)
      s += p[j + range]! * p[k - j + range]!;
    return s;
  };
}

const MOD = 1n << 64n;

/** Additive shares of z modulo 2^64 under a uniform mask: [z - r, r]. */
function share(z: bigint, rng: RandomSource): [bigint, bigint] {
  const r = rng.uniformBelow(MOD);
  return [BigInt.asUintN(64, z - r), r];
}

for (const [mechanism, scale, pmf, range] of [
  ['gaussian', 3, (k: number) => discreteGaussianPmf(3, k), 30],
  ['laplace', 2, (k: number) => discreteLaplacePmf(2, k), 80],
] as const) {
  test(`generated jointly (${mechanism} ${scale}): reconstructed shares of two parties' noise follow the convolution`, () => {
    const pairs = 250_000;
    const [a, b] = [seededRandom(`party-a-${mechanism}`), seededRandom(`party-b-${mechanism}`)];
    const masks = seededRandom(`masks-${mechanism}`);
    const za = sampleNoise(mechanism, scale, pairs, a);
    const zb = sampleNoise(mechanism, scale, pairs, b);
    const sums: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const [a0, a1] = share(za[i]!, masks);
      const [b0, b1] = share(zb[i]!, masks);
      const held0 = BigInt.asUintN(64, a0 + b0); // what compute party 0 holds
      const held1 = BigInt.asUintN(64, a1 + b1);
      const opened = BigInt.asIntN(64, held0 + held1);
      if (opened !== za[i]! + zb[i]!) assert.unreachable(`draw ${i}: shares do not reconstruct the sum`);
      sums.push(Number(opened));
    }
    assertFits(`joint ${mechanism}`, sums, convolved(pmf, range), 2 * range);
  });
}

test('bernoulliExp: frequencies match exp(-gamma)', () => {
  const rng = seededRandom('bernoulli');
  const n = 200_000;
  for (const [num, den] of [
    [0n, 1n],
    [1n, 3n],
    [1n, 1n],
    [5n, 2n],
    [40n, 7n],
  ] as const) {
    let hits = 0;
    for (let i = 0; i < n; i++) if (bernoulliExp({ num, den }, rng)) hits++;
    const p = Math.exp(-Number(num) / Number(den));
    const sd = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(hits / n - p) <= 5 * sd + 1e-12, `gamma ${num}/${den}: ${hits / n} vs ${p}`);
  }
  assert.throws(() => bernoulliExp({ num: -1n, den: 2n }, rng), RangeError);
});

for (const [mechanism, scale, draws, tolerance] of [
  ['gaussian', 2 ** 30, 200_000, 0.02],
  ['laplace', 2 ** 30, 200_000, 0.03],
  ['gaussian', 2 ** 40, 20_000, 0.06],
] as const) {
  test(`${mechanism} at scale 2^${Math.log2(scale)}: variance within ${tolerance * 100}%, mean near 0`, () => {
    const xs = sampleNoise(mechanism, scale, draws, seededRandom(`large-${mechanism}-${scale}`));
    let [m1, m2] = [0, 0];
    for (const x of xs) {
      const f = Number(x) / scale;
      m1 += f;
      m2 += f * f;
    }
    // discrete Gaussian variance = sigma² and discrete Laplace 2p/(1-p)² = 2b² to 1e-18 at these scales;
    // the tolerances are about 6 standard errors of the sample variance (sqrt(2/n), sqrt(5/n) relative)
    const expected = mechanism === 'gaussian' ? 1 : 2;
    assert.ok(Math.abs(m2 / draws / expected - 1) < tolerance, `variance ratio ${m2 / draws / expected}`);
    assert.ok(Math.abs(m1 / draws) < 6 * Math.sqrt(expected / draws), `mean ${m1 / draws}`);
  });
}

test('pmfs are normalised (direct sum and Poisson summation agree)', () => {
  for (const sigma of [0.5, 1.5, 3.9, 4, 40]) {
    let s = 0;
    for (let k = -2000; k <= 2000; k++) s += discreteGaussianPmf(sigma, k);
    assert.ok(Math.abs(s - 1) < 1e-12, `gaussian ${sigma}: ${s}`);
  }
  for (const b of [0.5, 2, 30]) {
    let s = 0;
    for (let k = -5000; k <= 5000; k++) s += discreteLaplacePmf(b, k);
    assert.ok(Math.abs(s - 1) < 1e-12, `laplace ${b}: ${s}`);
  }
});

test('rationalOf is exact', () => {
  assert.equal(rationalOf(1.5), { num: 3n, den: 2n });
  assert.equal(rationalOf(2 ** 40), { num: 2n ** 40n, den: 1n });
  assert.equal(rationalOf(0.1), { num: 3602879701896397n, den: 2n ** 55n });
  assert.equal(rationalOf(-0.75), { num: -3n, den: 4n });
  assert.equal(rationalOf(Number.MIN_VALUE), { num: 1n, den: 2n ** 1074n });
  assert.equal(rationalOf(0), { num: 0n, den: 1n });
  assert.throws(() => rationalOf(NaN), RangeError);
  assert.throws(() => rationalOf(Infinity), RangeError);
});

test('sampleNoise rejects invalid input with RangeError naming the argument', () => {
  const rng = seededRandom('errors');
  assert.throws(() => sampleNoise('gaussian', 0, 1, rng), /scale/);
  assert.throws(() => sampleNoise('laplace', NaN, 1, rng), /scale/);
  assert.throws(() => sampleNoise('gaussian', 1, -1, rng), /count/);
  assert.throws(() => sampleDiscreteGaussian({ num: 0n, den: 1n }, rng), /sigma2/);
  assert.throws(() => sampleDiscreteLaplace({ num: 1n, den: 0n }, rng), /scale/);
  assert.equal(sampleNoise('gaussian', 0.5, 0, rng), []);
});

test('the sampling path uses no floating point', () => {
  const source = readFileSync(new URL('../../src/jobs/dp/sampler.ts', import.meta.url), 'utf8');
  const path = source.slice(source.indexOf('function bernoulliExpUnit'), source.indexOf('let gaussNorm'));
  assert.not.match(path, /Math\.|parseFloat/);
});

test('uniformBelow is uniform for small and multi-word n, and seeded sources are deterministic', () => {
  const rng = seededRandom('uniform');
  const small = Array.from({ length: 70_000 }, () => Number(rng.uniformBelow(7n)) - 3);
  assertFits('uniform 7', small, (k) => (Math.abs(k) <= 3 ? 1 / 7 : 0), 3);
  const n = 3n * 2n ** 40n + 1n;
  const deciles = Array.from({ length: 100_000 }, () => {
    const x = rng.uniformBelow(n);
    assert.ok(x >= 0n && x < n);
    return Number((x * 10n) / n) - 5;
  });
  assertFits('uniform 3*2^40+1', deciles, (k) => (k >= -5 && k <= 4 ? 0.1 : 0), 5);
  for (const m of [1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 64n]) {
    for (let i = 0; i < 1000; i++) assert.ok(rng.uniformBelow(m) < m);
  }
  assert.throws(() => rng.uniformBelow(0n), RangeError);
  const [s1, s2, s3] = [seededRandom('same'), seededRandom('same'), seededRandom('other')];
  const seq = (r: RandomSource): bigint[] => Array.from({ length: 50 }, () => r.uniformBelow(1n << 70n));
  assert.equal(seq(s1), seq(s2));
  assert.not.equal(seq(seededRandom('same')), seq(s3));
  const c = cryptoRandom();
  for (let i = 0; i < 5000; i++) assert.ok(c.uniformBelow(1000n) < 1000n);
});

test.run();
