/**
 * Recipient-side finishing of the least-squares summary and fit (src/jobs/executor/ols.ts
 * releases the estimates; everything here is a public function of them and of n): standard errors,
 * t statistics and two-sided p-values on n - k - 1 degrees of freedom, 95% intervals, adjusted R²,
 * the residual standard error, and the F test of all slopes = 0.
 */
import betainc from '@stdlib/math-base-special-betainc';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { regressionSpec, termExps } from '../program/ops-regression.js';
import type { Params } from '../program/types.js';
import type { ValueType } from '../program/value-type.js';

/** Two-sided p-value of a t statistic on `df` degrees of freedom. */
export function tPValue(t: number, df: number): number {
  return Math.min(1, 2 * tCdf(-Math.abs(t), df)); // the lower tail: no cancellation for tiny p
}

function dims(args: readonly ValueType[], params: Params): { k: number; n: number; df: number } {
  const k = (params.features as string[]).length;
  const n = args[0]!.shape[0]!;
  return { k, n, df: n - k - 1 };
}

/** Exponents of the summary's released values: coef and se * sqrt(df), each per term. */
export function summaryExps(args: readonly ValueType[], params: Params): number[] {
  const spec = regressionSpec(args[0]!, params, 1);
  return [...termExps(spec, true), ...termExps(spec)];
}

/** Exponents of the fit's released values: R² (unitless), s (the target's), VIFs (unitless). */
export function fitExps(args: readonly ValueType[], params: Params): number[] {
  const spec = regressionSpec(args[0]!, params, 1);
  return [0, spec.targetExp, ...spec.features.map(() => 0)];
}

/** [coef, se*sqrt(df)] per term -> rows [coef, se, t, p, ci_low, ci_high]. */
export function finishSummary(values: number[], args: readonly ValueType[], params: Params): number[] {
  const { k, df } = dims(args, params);
  const crit = tQuantile(0.975, df);
  const out: number[] = [];
  for (let i = 0; i <= k; i++) {
    const coef = values[i]!;
    const se = values[k + 1 + i]! / Math.sqrt(df);
    const t = coef / se;
    out.push(coef, se, t, tPValue(t, df), coef - crit * se, coef + crit * se);
  }
  return out;
}

/** [R², s, VIF...] -> [r2, adj_r2, rse, f, f_p, n, df_resid, VIF...]. */
export function finishFit(values: number[], args: readonly ValueType[], params: Params): number[] {
  const { k, n, df } = dims(args, params);
  const [r2, s] = values as [number, number];
  const adj = 1 - ((1 - r2) * (n - 1)) / df;
  const rse = s * Math.sqrt((n - 1) / df);
  const f = r2 / k / ((1 - r2) / df);
  // P(F > f) = I_{df / (df + k f)}(df / 2, k / 2): no cancellation for tiny p
  const fp = Math.min(1, Math.max(0, betainc(df / (df + k * f), df / 2, k / 2)));
  return [r2, adj, rse, f, fp, n, df, ...values.slice(2)];
}

/** Exponents of a logistic summary's released values: coef (slopes held with more bits), se * sqrt(n). */
export function logitSummaryExps(args: readonly ValueType[], params: Params): number[] {
  const spec = { ...regressionSpec(args[0]!, params, 1), targetExp: 0 };
  return [...termExps(spec, true), ...termExps(spec)];
}

/** [coef, se*sqrt(n)] per term -> rows [coef, se, z, p, ci_low, ci_high] (normal). */
export function finishLogitSummary(values: number[], args: readonly ValueType[], params: Params): number[] {
  const { k, n } = dims(args, params);
  const crit = normalQuantile(0.975, 0, 1);
  const out: number[] = [];
  for (let i = 0; i <= k; i++) {
    const coef = values[i]!;
    const se = values[k + 1 + i]! / Math.sqrt(n);
    const z = coef / se;
    out.push(coef, se, z, Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1)), coef - crit * se, coef + crit * se);
  }
  return out;
}

/** [iterations] -> [iterations, n, df_resid]. */
export function finishLogitFit(values: number[], args: readonly ValueType[], params: Params): number[] {
  const { n, df } = dims(args, params);
  return [values[0]!, n, df];
}
