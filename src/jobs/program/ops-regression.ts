/**
 * Exact least-squares regression as job ops: `ols` (coefficients), `olsSummary` (the coefficient
 * table a statistics package prints: estimates, standard errors, t, p, 95% intervals) and `olsFit`
 * (R², adjusted R², residual standard error, F test, n, residual degrees of freedom, and each
 * feature's variance inflation factor). All three solve the normal equations of the standardized
 * problem inside the MPC (src/jobs/executor/ols.ts); the tests and intervals are finished by the
 * recipient from the released estimates and the public row count (src/jobs/executor/finalize.ts).
 * A policy allows each by name: a summary discloses more than the coefficients.
 */
import { defineOp, type OpDef } from './op-def.js';
import { numberParam, stringListParam, stringParam } from './params.js';
import type { Params } from './types.js';
import {
  columnExps,
  OpTypeError,
  requireColumns,
  requireTable,
  tensorType,
  withUnits,
  type ValueType,
} from './value-type.js';

/** Most features a regression takes (the solver's cost grows with features^3 per iteration). */
export const MAX_REGRESSION_FEATURES = 32;

/** Columns of {@link olsSummaryOp}'s table, one row per term (intercept first). */
export const OLS_SUMMARY_FIELDS = ['coef', 'se', 't', 'p', 'ci_low', 'ci_high'] as const;

/** Model statistics of {@link olsFitOp}, followed by one `vif_<feature>` per feature. */
export const OLS_FIT_FIELDS = ['r2', 'adj_r2', 'rse', 'f', 'f_p', 'n', 'df_resid'] as const;

/** A regression's features and target, checked against its table. */
export interface RegressionSpec {
  /** Feature columns. */
  features: string[];
  /** Target column. */
  target: string;
  /** Scale exponent of the target. */
  targetExp: number;
  /** Scale exponent of each feature. */
  featureExps: number[];
}

/**
 * The features and target of a regression on table `t`.
 * @throws OpTypeError for a missing column, a target among the features, a repeated feature, too
 *   many features, or too few rows (`minResidualDf` residual degrees of freedom).
 */
export function regressionSpec(t: ValueType, params: Params, minResidualDf: number): RegressionSpec {
  const cols = requireTable(t);
  const features = stringListParam(params, 'features');
  const target = stringParam(params, 'target', true);
  if (features.length === 0) throw new OpTypeError('param "features" needs at least one column');
  if (features.length > MAX_REGRESSION_FEATURES)
    throw new OpTypeError(`at most ${MAX_REGRESSION_FEATURES} features, got ${features.length}`);
  if (new Set(features).size !== features.length) throw new OpTypeError('a feature is listed twice');
  requireColumns(cols, [...features, target]);
  if (features.includes(target)) throw new OpTypeError(`the target "${target}" is also a feature`);
  const rows = t.shape[0];
  const need = features.length + 1 + minResidualDf;
  if (rows !== undefined && rows < need)
    throw new OpTypeError(
      `needs at least ${need} rows for ${features.length} features, the table has ${rows}`,
    );
  const exps = columnExps(t);
  return {
    features,
    target,
    targetExp: exps[cols.indexOf(target)]!,
    featureExps: features.map((f) => exps[cols.indexOf(f)]!),
  };
}

/**
 * Extra fractional bits the slopes are released with: a slope's scaled value is
 * w sd_y / sd_x, often far below 1 (a weak effect of a wide column), where f bits alone would
 * leave it few significant ones. 2^8 more keeps |slope| * 2^8 far inside the ring's range.
 */
export const SLOPE_EXTRA_BITS = 8;

/**
 * The unit exponent of each term (intercept, then features) of a regression's coefficients; with
 * `held`, of the values as the MPC holds them (slopes with {@link SLOPE_EXTRA_BITS} more bits).
 */
export function termExps(spec: RegressionSpec, held = false): number[] {
  const extra = held ? SLOPE_EXTRA_BITS : 0;
  return [spec.targetExp, ...spec.featureExps.map((e) => spec.targetExp - e - extra)];
}

/** Largest ridge penalty `ols` takes (on the standardized problem). */
export const MAX_RIDGE = 1e3;

/**
 * `ols(t, {features, target, ridge?})`: the least-squares coefficients [intercept, per feature] in
 * the original units, solved exactly (up to fixed-point precision) from the normal equations. With
 * `ridge` = λ > 0 the standardized coefficients minimise ||y_z - Z w||² / (n - 1) + λ ||w||² (the
 * penalty does not depend on the columns' units; the intercept is not penalised).
 */
export const olsOp: OpDef = defineOp({
  name: 'ols',
  summary:
    'least-squares linear regression solved exactly: [intercept, coefficients] (params: features, target, ridge (0))',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['features', 'target', 'ridge'],
  infer([t], params) {
    const spec = regressionSpec(t!, params, 0);
    numberParam(params, 'ridge', 0, 0, MAX_RIDGE);
    return withUnits(tensorType([spec.features.length + 1], t!.sources, [['intercept', ...spec.features]]), [
      termExps(spec, true),
    ]);
  },
});

/**
 * `olsSummary(t, {features, target})`: one row per term with the estimate, its standard error, t
 * statistic, two-sided p-value and 95% confidence interval (t distribution on n - k - 1 degrees of
 * freedom), as statsmodels' and R's summaries print them.
 */
export const olsSummaryOp: OpDef = defineOp({
  name: 'olsSummary',
  summary:
    'least-squares coefficient table: coef, se, t, p, 95% interval per term (params: features, target)',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['features', 'target'],
  finishedByRecipient: true,
  infer([t], params) {
    const spec = regressionSpec(t!, params, 1);
    return tensorType([spec.features.length + 1, OLS_SUMMARY_FIELDS.length], t!.sources, [
      ['intercept', ...spec.features],
      [...OLS_SUMMARY_FIELDS],
    ]);
  },
});

/**
 * `olsFit(t, {features, target})`: R², adjusted R², residual standard error, the F statistic of
 * all coefficients = 0 and its p-value, n, residual degrees of freedom, then each feature's
 * variance inflation factor (collinearity: 1 for a feature uncorrelated with the others).
 */
export const olsFitOp: OpDef = defineOp({
  name: 'olsFit',
  summary:
    'least-squares model statistics: r2, adj_r2, rse, f, f_p, n, df_resid, vif per feature (params: features, target)',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['features', 'target'],
  finishedByRecipient: true,
  infer([t], params) {
    const spec = regressionSpec(t!, params, 1);
    const labels = [...OLS_FIT_FIELDS, ...spec.features.map((f) => `vif_${f}`)];
    return tensorType([labels.length], t!.sources, [labels]);
  },
});

/** The regression ops. */
export const REGRESSION_OPS: readonly OpDef[] = [olsOp, olsSummaryOp, olsFitOp];
