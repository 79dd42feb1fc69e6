/**
 * The recipient's side of a DP output: the opened noisy vector in natural units, finished into the
 * output the program asked for (post-processing: it costs no privacy), with the noise scale and an
 * interval per released value that holds the exact statistic of the clipped data with probability
 * at least 95% over the noise.
 *
 * - sum, counts: the value ± q, q the 95% half-width of the sum of the parties' draws.
 * - mean: the noisy column sum / n, ± q / n.
 * - variance, std: from the noisy sum S and sum of squares Q, V = (Q - S²/n) / (n - ddof), clamped
 *   to 0 below; the interval is V's range over S ± q_S, Q ± q_Q at 97.5% each (together >= 95%),
 *   clamped at 0; std takes the roots.
 * - ols: the normal equations solved from the noisy sums and cross products (finish-ols.ts), with
 *   bootstrap intervals.
 */
import { noiseHalfWidth95 } from './accountant.js';
import { finishOls } from './finish-ols.js';
import type { DpOutputPlan } from './plan.js';
import { elementScales, type OutputNoise } from './request.js';
import type { DpOutputInfo } from './types.js';

/**
 * A half-width q with P(|sum of `parties` draws| <= q) >= 1 - alpha: the accountant's rigorous 95%
 * bound, and for other levels the sub-Gaussian tail (gaussian, q = sigma sqrt(2 m ln(2/alpha)))
 * or a union bound over the parties with the exact discrete Laplace tail
 * (P(|Z| > x) <= 2 e^(-x/b), so q = m b ln(2m/alpha)).
 */
export function noiseHalfWidth(
  mechanism: 'gaussian' | 'laplace',
  scale: number,
  parties: number,
  alpha: number,
): number {
  if (alpha === 0.05) return noiseHalfWidth95(mechanism, scale, parties);
  const q =
    mechanism === 'gaussian'
      ? scale * Math.sqrt(2 * parties * Math.log(2 / alpha))
      : parties * scale * Math.log((2 * parties) / alpha);
  return q * (1 + 1e-9);
}

/** A finished DP output: its values and what to say about the noise. */
export interface FinishedDp {
  values: (number | null)[];
  dp: DpOutputInfo;
}

/** V = (Q - S²/n) / (n - ddof) and its range over the box S ± qs, Q ± qq, clamped at 0. */
function varianceBox(
  s: number,
  q: number,
  qs: number,
  qq: number,
  n: number,
  ddof: number,
): { v: number; lo: number; hi: number } {
  const d = n - ddof;
  const [a, b] = [s - qs, s + qs];
  const s2max = Math.max(a * a, b * b);
  const s2min = a <= 0 && b >= 0 ? 0 : Math.min(a * a, b * b);
  const clamp = (x: number): number => Math.max(0, x);
  return {
    v: clamp((q - (s * s) / n) / d),
    lo: clamp((q - qq - s2max / n) / d),
    hi: clamp((q + qq - s2min / n) / d),
  };
}

/**
 * Finishes one DP output from its opened ring values (signed) on the recipient.
 * @param parties how many parties drew noise.
 */
export function finishDp(
  plan: DpOutputPlan,
  noise: OutputNoise,
  opened: readonly bigint[],
  f: number,
  parties: number,
): FinishedDp {
  const scales = elementScales(plan, noise, f);
  const natural = opened.map((z, i) => Number(z) * 2 ** (plan.exps[i]! - f));
  const info = (
    interval95: [number, number][],
    intervalMethod: 'bound' | 'bootstrap' = 'bound',
  ): DpOutputInfo => ({
    mechanism: noise.mechanism,
    rho: noise.rho,
    ...(noise.epsilon !== undefined ? { epsilon: noise.epsilon } : {}),
    scale: scales,
    noiseParties: parties,
    interval95,
    intervalMethod,
  });
  if (plan.kind === 'sums' || plan.kind === 'counts') {
    const div = plan.op === 'mean' ? plan.rows! : 1;
    const values = natural.map((v) => v / div);
    const half = scales.map((s) => noiseHalfWidth(noise.mechanism, s, parties, 0.05) / div);
    return { values, dp: info(values.map((v, i) => [v - half[i]!, v + half[i]!])) };
  }
  if (plan.kind === 'gram') {
    const c = plan.columns!.length;
    const fit = finishOls(natural, c, plan.rows!, scales, parties, noise.mechanism);
    return { values: fit.values, dp: info(fit.intervals, 'bootstrap') };
  }
  const k = natural.length / 2;
  const n = plan.rows!;
  const values: number[] = [];
  const intervals: [number, number][] = [];
  for (let j = 0; j < k; j++) {
    const qs = noiseHalfWidth(noise.mechanism, scales[j]!, parties, 0.025);
    const qq = noiseHalfWidth(noise.mechanism, scales[k + j]!, parties, 0.025);
    const box = varianceBox(natural[j]!, natural[k + j]!, qs, qq, n, plan.ddof!);
    const root = plan.op === 'std';
    values.push(root ? Math.sqrt(box.v) : box.v);
    intervals.push(root ? [Math.sqrt(box.lo), Math.sqrt(box.hi)] : [box.lo, box.hi]);
  }
  return { values, dp: info(intervals) };
}

/** A public count under DP: the row count as it is (no noise, no cost). */
export function publicCount(value: number): FinishedDp {
  return {
    values: [value],
    dp: {
      mechanism: 'gaussian',
      rho: 0,
      scale: [0],
      noiseParties: 0,
      interval95: [[value, value]],
      intervalMethod: 'bound',
    },
  };
}
