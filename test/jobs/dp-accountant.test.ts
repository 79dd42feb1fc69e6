/**
 * zCDP accounting (issue 16): epsilonOfRho reproduces OpenDP's zCDP -> (epsilon, delta)
 * conversion to the bit, stays below the simple bound rho + 2 sqrt(rho ln(1/delta)) and satisfies
 * CKS 2020 Corollary 13; rhoOfEpsilonDelta inverts it; the calibration helpers; noiseHalfWidth95
 * covers >= 95% of simulated sums of noise draws.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  composeRho,
  epsilonOfRho,
  laplaceScaleForEpsilon,
  noiseHalfWidth95,
  rhoOfEpsilonDelta,
  rhoOfGaussian,
  rhoOfPureEpsilon,
  sigmaForRho,
} from '../../src/jobs/dp/accountant.js';
import { seededRandom } from '../../src/jobs/dp/random.js';
import { discreteGaussianPmf, discreteLaplacePmf, sampleNoise } from '../../src/jobs/dp/sampler.js';

test('epsilonOfRho reproduces OpenDP test_zCDP_to_approxDP_nontrivial', () => {
  // opendp/opendp rust/src/combinators/measure_cast/zCDP_to_approxDP/test.rs: make_gaussian with
  // scale 4 at d_in 1 (rho = (1/4)²/2 = 1/32); `assert_eq!(profile.epsilon(1e-3)?, 0.6880024554878085)`
  assert.is(epsilonOfRho(1 / 32, 1e-3), 0.6880024554878085);
});

// Computed by a Python port of OpenDP's conversion (opendp/opendp at bc6e18b:
// rust/src/combinators/measure_cast/zCDP_to_approxDP/cdp_delta/mod.rs `cdp_delta`, inverted by
// rust/src/measures/mod.rs `PrivacyProfile::epsilon`), with its inf_* operations rounded toward
// +infinity by mpmath at 53 bits; the port also gives OpenDP's own literal above.
const OPENDP: [rho: number, delta: number, epsilon: number][] = [
  [0.5, 1e-6, 5.22153444453017],
  [1.0, 1e-5, 7.07719669580634],
  [0.1, 1e-9, 2.7154818867305024],
  [0.01, 1e-6, 0.6216926545596027],
  [2.0, 1e-3, 8.416064294321279],
  [1e-4, 1e-6, 0.05372712063485988],
  [5.0, 1e-8, 23.208349494373554],
  [100, 1e-10, 194.02402082152415],
  [1e-8, 1e-12, 0.0008004760735807095],
  [1e-12, 1e-6, 0], // delta(0) < 1e-6 already
];

test('epsilonOfRho equals OpenDP bit for bit', () => {
  for (const [rho, delta, eps] of OPENDP)
    assert.is(epsilonOfRho(rho, delta), eps, `rho ${rho}, delta ${delta}`);
  assert.is(epsilonOfRho(0, 1e-6), 0);
});

const GRID: [number, number][] = [];
for (const rho of [1e-6, 1e-4, 0.003, 0.05, 0.3, 1, 4, 20]) {
  for (const delta of [1e-12, 1e-9, 1e-6, 1e-4, 1e-2]) GRID.push([rho, delta]);
}

test('the optimal conversion is below the simple bound rho + 2 sqrt(rho ln(1/delta))', () => {
  for (const [rho, delta] of GRID) {
    const eps = epsilonOfRho(rho, delta);
    const simple = rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
    assert.ok(eps < simple, `rho ${rho}, delta ${delta}: ${eps} >= ${simple}`);
    assert.ok(eps >= 0);
  }
});

test('epsilonOfRho satisfies CKS 2020 Corollary 13 at its optimum, and is monotone', () => {
  // delta(eps) = min over a > 1 of exp((a-1)(a rho - eps)) / (a-1) * (1 - 1/a)^a, in plain floats
  const delta = (rho: number, eps: number): number => {
    let best = Infinity;
    for (let i = 1; i <= 20000; i++) {
      const a = 1 + 10 ** (-3 + (9 * i) / 20000);
      best = Math.min(best, Math.exp((a - 1) * (a * rho - eps) + a * Math.log1p(-1 / a)) / (a - 1));
    }
    return best;
  };
  for (const [rho, d] of [
    [0.5, 1e-6],
    [0.01, 1e-3],
    [3, 1e-9],
  ] as const) {
    const eps = epsilonOfRho(rho, d);
    const achieved = delta(rho, eps);
    assert.ok(
      achieved <= d * (1 + 1e-6) && achieved > d * (1 - 1e-4),
      `rho ${rho}: delta ${achieved} vs ${d}`,
    );
  }
  for (let i = 2; i < 40; i++) {
    assert.ok(epsilonOfRho(i / 10, 1e-6) > epsilonOfRho((i - 1) / 10, 1e-6));
    assert.ok(epsilonOfRho(0.5, 10 ** (-i / 4)) > epsilonOfRho(0.5, 10 ** (-(i - 1) / 4)));
  }
});

test('rhoOfEpsilonDelta inverts epsilonOfRho', () => {
  for (const [eps, delta] of [
    [1, 1e-6],
    [0.1, 1e-9],
    [8, 1e-5],
    [0.01, 1e-3],
    [2, 1e-10],
    [1, 0.5],
  ] as const) {
    const rho = rhoOfEpsilonDelta(eps, delta);
    assert.ok(epsilonOfRho(rho, delta) <= eps, `eps(${rho}) > ${eps}`);
    assert.ok(epsilonOfRho(rho * (1 + 1e-10), delta) > eps, `rho ${rho} is not the largest`);
  }
  for (const [rho, delta] of GRID.filter(([r, d]) => r >= 1e-4 && epsilonOfRho(r, d) > 0)) {
    const back = rhoOfEpsilonDelta(epsilonOfRho(rho, delta), delta);
    assert.ok(Math.abs(back / rho - 1) < 1e-9, `rho ${rho}, delta ${delta}: ${back}`);
  }
});

test('calibration helpers', () => {
  assert.is(rhoOfGaussian(1, 4), 1 / 32);
  assert.is(rhoOfGaussian(3, 2), 9 / 8);
  assert.is(rhoOfPureEpsilon(1), 0.5);
  assert.is(composeRho([0.1, 0.2, 0]), 0.1 + 0.2);
  assert.is(composeRho([]), 0);
  assert.ok(Math.abs(sigmaForRho(2, rhoOfGaussian(2, 7.5)) - 7.5) < 1e-12);
  assert.is(laplaceScaleForEpsilon(3, 0.5), 6);
});

test('invalid input throws RangeError naming the argument', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => epsilonOfRho(-1, 1e-6), /rho/],
    [() => epsilonOfRho(NaN, 1e-6), /rho/],
    [() => epsilonOfRho(1, 0), /delta/],
    [() => epsilonOfRho(1, 1), /delta/],
    [() => rhoOfEpsilonDelta(0, 1e-6), /epsilon/],
    [() => rhoOfEpsilonDelta(Infinity, 1e-6), /epsilon/],
    [() => rhoOfEpsilonDelta(1, 1.5), /delta/],
    [() => rhoOfGaussian(0, 1), /l2Sensitivity/],
    [() => rhoOfGaussian(1, -2), /sigma/],
    [() => rhoOfPureEpsilon(NaN), /epsilon/],
    [() => composeRho([0.1, -1]), /rhos\[1\]/],
    [() => sigmaForRho(1, 0), /rho/],
    [() => laplaceScaleForEpsilon(-1, 1), /l1Sensitivity/],
    [() => laplaceScaleForEpsilon(1, 0), /epsilon/],
    [() => noiseHalfWidth95('gaussian', 0, 1), /scale/],
    [() => noiseHalfWidth95('laplace', 1, 0), /parties/],
    [() => noiseHalfWidth95('laplace', 1, 1.5), /parties/],
  ];
  for (const [f, name] of cases) {
    try {
      f();
      assert.unreachable(`no error for ${f.toString()}`);
    } catch (e) {
      assert.instance(e, RangeError);
      assert.match((e as Error).message, name);
    }
  }
});

/** P(|Z_1 + ... + Z_m| <= q) exactly, by convolving the pmf on [-range, range] m times. */
function exactCoverage(pmf: (k: number) => number, range: number, m: number, q: number): number {
  const one = Array.from({ length: 2 * range + 1 }, (_, i) => pmf(i - range));
  let dist = one;
  for (let j = 1; j < m; j++) {
    const next = new Array<number>(dist.length + one.length - 1).fill(0);
    for (let a = 0; a < dist.length; a++)
      for (let b = 0; b < one.length; b++) next[a + b]! += dist[a]! * one[b]!;
    dist = next;
  }
  const centre = (dist.length - 1) / 2;
  let s = 0;
  for (let k = -Math.floor(q); k <= Math.floor(q); k++) s += dist[k + centre] ?? 0;
  return s;
}

test('noiseHalfWidth95 is rigorous against exact convolutions at small scales', () => {
  for (const m of [1, 2, 3]) {
    for (const sigma of [0.5, 1.5, 6]) {
      const q = noiseHalfWidth95('gaussian', sigma, m);
      assert.ok(
        exactCoverage((k) => discreteGaussianPmf(sigma, k), 80, m, q) >= 0.95,
        `gaussian ${sigma} x${m}`,
      );
    }
    for (const b of [0.5, 2, 30]) {
      const q = noiseHalfWidth95('laplace', b, m);
      assert.ok(exactCoverage((k) => discreteLaplacePmf(b, k), 1500, m, q) >= 0.95, `laplace ${b} x${m}`);
    }
  }
  // one Laplace draw: the exact tail, so one less would not do
  for (const b of [2, 30, 2 ** 20]) {
    const q = noiseHalfWidth95('laplace', b, 1);
    const p = Math.exp(-1 / b);
    assert.ok(1 - (2 * p ** (q + 1)) / (1 + p) >= 0.95 && 1 - (2 * p ** q) / (1 + p) < 0.95, `laplace ${b}`);
  }
  // the sub-Gaussian moment bound behind the Gaussian half-width, checked numerically
  for (const sigma of [0.5, 1.5, 4]) {
    for (const t of [0.1, 0.5, 1, 2]) {
      let mgf = 0;
      for (let k = -200; k <= 200; k++) mgf += discreteGaussianPmf(sigma, k) * Math.exp(t * k);
      assert.ok(mgf <= Math.exp((t * t * sigma * sigma) / 2) * (1 + 1e-12), `mgf sigma ${sigma}, t ${t}`);
    }
  }
});

for (const [mechanism, scale, parties] of [
  ['gaussian', 1.5, 1],
  ['gaussian', 40, 3],
  ['gaussian', 2 ** 30, 2],
  ['laplace', 2, 1],
  ['laplace', 30, 2],
  ['laplace', 2 ** 30, 3],
] as const) {
  test(`noiseHalfWidth95 covers >= 95% of 1e5 simulated sums (${mechanism} ${scale}, ${parties} parties)`, () => {
    const n = 100_000;
    const q = noiseHalfWidth95(mechanism, scale, parties);
    const sums = new Array<number>(n).fill(0);
    for (let p = 0; p < parties; p++) {
      const draws = sampleNoise(mechanism, scale, n, seededRandom(`cover-${mechanism}-${scale}-${p}`));
      for (let i = 0; i < n; i++) sums[i]! += Number(draws[i]!);
    }
    const covered = sums.filter((s) => Math.abs(s) <= q).length / n;
    assert.ok(covered >= 0.95, `covered ${covered}`);
  });
}

test.run();
