/**
 * Logistic regression of a binary (0/1) target as job ops: `logit` (coefficients, log-odds per
 * unit), `logitSummary` (estimate, standard error, z, two-sided p-value and 95% interval per term,
 * from the observed information) and `logitFit` (Newton iterations taken, n, residual degrees of
 * freedom). Fitted by Newton-Raphson (IRLS) inside the MPC until the step is below a tolerance
 * (src/jobs/executor/logit.ts); a policy allows each by name.
 */
import { defineOp, type OpDef } from './op-def.js';
import { intParam } from './params.js';
import { regressionSpec, termExps, type RegressionSpec } from './ops-regression.js';
import type { Params } from './types.js';
import { tensorType, withUnits, type ValueType } from './value-type.js';

/** Most Newton iterations (the fit stops earlier on convergence, and fails if it needs more). */
export const LOGIT_MAX_ITERATIONS = 30;
/** Default cap on Newton iterations. */
export const LOGIT_DEFAULT_ITERATIONS = 25;

/** Model statistics of {@link logitFitOp}. */
export const LOGIT_FIT_FIELDS = ['iterations', 'n', 'df_resid'] as const;

/** The spec of a logistic regression (the target's units are natural: it is 0 or 1). */
export function logitSpec(t: ValueType, params: Params, minResidualDf: number): RegressionSpec {
  const spec = regressionSpec(t, params, minResidualDf);
  intParam(params, 'maxIterations', LOGIT_DEFAULT_ITERATIONS, 1, LOGIT_MAX_ITERATIONS);
  return { ...spec, targetExp: 0 };
}

/**
 * `logit(t, {features, target, maxIterations?})`: the maximum-likelihood coefficients
 * [intercept, per feature] of P(target = 1) = 1 / (1 + e^-(b0 + x . b)), in log-odds per unit of
 * each feature. The target must hold only 0 and 1 (checked inside the MPC).
 */
export const logitOp: OpDef = defineOp({
  name: 'logit',
  summary:
    'logistic regression of a 0/1 target by Newton-Raphson to convergence: [intercept, coefficients] (params: features, target, maxIterations (25))',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['features', 'target', 'maxIterations'],
  infer([t], params) {
    const spec = logitSpec(t!, params, 0);
    return withUnits(tensorType([spec.features.length + 1], t!.sources, [['intercept', ...spec.features]]), [
      termExps(spec, true),
    ]);
  },
});

/**
 * `logitSummary(t, {features, target, maxIterations?})`: one row per term with the estimate, its
 * standard error (from the inverse observed information), z, two-sided p-value and 95% interval
 * (normal), as statsmodels' Logit summary prints them.
 */
export const logitSummaryOp: OpDef = defineOp({
  name: 'logitSummary',
  summary:
    'logistic regression coefficient table: coef, se, z, p, 95% interval per term (params: features, target, maxIterations)',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['features', 'target', 'maxIterations'],
  finishedByRecipient: true,
  infer([t], params) {
    const spec = logitSpec(t!, params, 1);
    return tensorType([spec.features.length + 1, 6], t!.sources, [
      ['intercept', ...spec.features],
      ['coef', 'se', 'z', 'p', 'ci_low', 'ci_high'],
    ]);
  },
});

/** `logitFit(t, {features, target, maxIterations?})`: Newton iterations taken, n, n - k - 1. */
export const logitFitOp: OpDef = defineOp({
  name: 'logitFit',
  summary: 'logistic regression fit: iterations, n, df_resid (params: features, target, maxIterations)',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['features', 'target', 'maxIterations'],
  finishedByRecipient: true,
  infer([t], params) {
    logitSpec(t!, params, 1);
    return tensorType([LOGIT_FIT_FIELDS.length], t!.sources, [[...LOGIT_FIT_FIELDS]]);
  },
});

/** The logistic regression ops. */
export const LOGISTIC_OPS: readonly OpDef[] = [logitOp, logitSummaryOp, logitFitOp];
