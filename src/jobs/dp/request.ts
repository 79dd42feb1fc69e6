/**
 * A job's DP request: validation of the untrusted field, its cost in zCDP, the split over the
 * outputs, the noise each party draws and who draws it.
 *
 * Calibration (docs/JOBS.md, "Differential privacy"): each output gets an equal share of the job's
 * cost (rho / k for k noisy outputs, gaussian; epsilon / k, laplace). Every noise party draws a
 * full-scale noise vector for its share on its own and secret-shares it; the shares are added
 * before the output is opened. One honest party's draw alone makes the output rho_i-zCDP
 * (epsilon_i-DP) with respect to one row: the other draws are independent of the data, so adding
 * them is post-processing, whether or not their parties are corrupt and know them. The protocol
 * tolerates t corrupt compute parties (rep3 1, additive all but one, plaintext none beyond the
 * owner who computes), so t + 1 parties draw: at least one is honest.
 */
import { laplaceScaleForEpsilon, rhoOfEpsilonDelta, rhoOfPureEpsilon, sigmaForRho } from './accountant.js';
import type { DpOutputPlan } from './plan.js';
import type { DpMechanism, DpRequest } from './types.js';

/** Largest epsilon a job may ask (beyond it DP means little). */
export const MAX_JOB_EPSILON = 100;
/** Smallest epsilon a job may ask (below it, the conversion to rho takes seconds: a cheap DoS). */
export const MIN_JOB_EPSILON = 1e-6;
/** Largest delta a job may ask. */
export const MAX_DELTA = 1e-3;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why an untrusted `dp` field is malformed, or undefined when it is a valid {@link DpRequest}. */
export function dpRequestProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'dp must be an object {epsilon, delta?}';
  if (Object.keys(v).some((k) => k !== 'epsilon' && k !== 'delta'))
    return 'dp has a field other than epsilon and delta';
  const e = v.epsilon;
  if (typeof e !== 'number' || !Number.isFinite(e) || e < MIN_JOB_EPSILON || e > MAX_JOB_EPSILON)
    return `dp.epsilon must be a number in [${MIN_JOB_EPSILON}, ${MAX_JOB_EPSILON}]`;
  const d = v.delta;
  if (d !== undefined && (typeof d !== 'number' || !Number.isFinite(d) || d <= 0 || d > MAX_DELTA))
    return `dp.delta must be a number in (0, ${MAX_DELTA}]`;
  return undefined;
}

/** The mechanism of a request: discrete Gaussian with a delta, discrete Laplace without. */
export function mechanismOf(dp: DpRequest): DpMechanism {
  return dp.delta === undefined ? 'laplace' : 'gaussian';
}

/** What the whole job costs each dataset it uses, in zCDP rho. */
export function jobRho(dp: DpRequest): number {
  return dp.delta === undefined ? rhoOfPureEpsilon(dp.epsilon) : rhoOfEpsilonDelta(dp.epsilon, dp.delta);
}

/** How many compute parties draw noise: the protocol's tolerated corruptions plus one. */
export function noisePartyCount(protocol: string, computeParties: number): number {
  if (protocol === 'rep3') return 2;
  if (protocol === 'additive') return computeParties;
  return 1;
}

/**
 * One output's calibration: its share of the budget and the noise multiplier c. Element i of the
 * released vector gets noise of scale c * ringSensitivity[i] (ring units): sigma for gaussian, the
 * Laplace scale for laplace. With `changes` elements movable by one row, gaussian
 * c = sqrt(changes / (2 rho_i)) gives sum over moved elements of (d_i / sigma_i)^2 / 2 <= rho_i
 * (the Renyi divergence of discrete Gaussians with integer shifts, CKS 2020); laplace
 * c = changes / epsilon_i gives sum |d_i| / scale_i <= epsilon_i.
 */
export interface OutputNoise {
  mechanism: DpMechanism;
  /** zCDP cost of this output. */
  rho: number;
  /** Pure epsilon of this output (laplace). */
  epsilon?: number;
  /** The noise multiplier c, rounded up. */
  c: number;
}

/** The calibration of `plan` (one noisy output) among `k` noisy outputs. */
export function outputNoise(dp: DpRequest, plan: DpOutputPlan, k: number): OutputNoise {
  const mechanism = mechanismOf(dp);
  if (mechanism === 'laplace') {
    const epsilon = dp.epsilon / k;
    return {
      mechanism,
      rho: rhoOfPureEpsilon(dp.epsilon) / k, // the job's charge, split as the epsilons are
      epsilon,
      c: laplaceScaleForEpsilon(plan.changes, epsilon) * (1 + 1e-12),
    };
  }
  const rho = jobRho(dp) / k;
  return { mechanism, rho, c: sigmaForRho(Math.sqrt(plan.changes), rho) * (1 + 1e-12) };
}

/** One party's noise scale per released element, natural units. */
export function elementScales(plan: DpOutputPlan, noise: OutputNoise, f: number): number[] {
  return plan.ringSensitivity.map((d, i) => noise.c * d * 2 ** (plan.exps[i]! - f));
}
