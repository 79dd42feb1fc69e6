/**
 * Statistics: count, sum, mean, variance, standard deviation, covariance and correlation matrices,
 * histograms over public bin edges, and linear regression trained by gradient descent.
 *
 * Each aggregates the rows of a table; `sum` and `mean` also reduce a tensor along an axis. What
 * each result discloses about each input is the disclosure analysis's business
 * (src/jobs/disclosure/rules.ts).
 */
import { defineOp, type OpDef } from './op-def.js';
import {
  checkKnownParams,
  intParam,
  numberListParam,
  numberParam,
  stringListParam,
  stringParam,
} from './params.js';
import { PROGRAM_LIMITS, type Params } from './types.js';
import {
  columnExps,
  OpTypeError,
  requireColumns,
  requireTable,
  tensorType,
  withUnits,
  type ValueType,
} from './value-type.js';

function reduceInfer(t: ValueType, params: Params): ValueType {
  if (t.kind === 'table') {
    checkKnownParams(params, []);
    return withUnits(tensorType([t.shape[1]], t.sources, [t.columns]), [columnExps(t)]);
  }
  if (t.shape.length === 0) throw new OpTypeError('cannot reduce a scalar');
  const axis = intParam(params, 'axis', 0, 0, t.shape.length - 1);
  const shape = t.shape.filter((_, i) => i !== axis);
  const labels = t.labels?.filter((_, i) => i !== axis);
  return tensorType(shape, t.sources, labels);
}

function perColumn(t: ValueType, power: number): ValueType {
  const cols = requireTable(t);
  return withUnits(tensorType([cols.length], t.sources, [cols]), [columnExps(t).map((e) => e * power)]);
}

function checkRowsForDdof(t: ValueType, ddof: number): void {
  const rows = t.shape[0];
  if (rows !== undefined && rows <= ddof)
    throw new OpTypeError(`needs more than ${ddof} rows, the table has ${rows}`);
}

/** `count(t)`: the number of rows (a scalar). */
export const countOp = defineOp({
  name: 'count',
  summary: 'number of rows of a table',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: [],
  infer([t]) {
    requireTable(t!);
    return tensorType([], t!.sources);
  },
});

/** `sum(x, {axis?})`: column sums of a table, or a tensor summed along `axis` (default 0). */
export const sumOp = defineOp({
  name: 'sum',
  summary: 'column sums of a table, or a tensor summed along an axis (param: axis, default 0)',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['axis'],
  infer: ([t], params) => reduceInfer(t!, params),
});

/** `mean(x, {axis?})`: column means of a table, or a tensor averaged along `axis` (default 0). */
export const meanOp = defineOp({
  name: 'mean',
  summary: 'column means of a table, or a tensor averaged along an axis (param: axis, default 0)',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['axis'],
  infer: ([t], params) => reduceInfer(t!, params),
});

function ddofOp(name: string, summary: string, power: number): OpDef {
  return defineOp({
    name,
    summary,
    category: 'statistic',
    arity: { min: 1, max: 1 },
    params: ['ddof'],
    infer([t], params) {
      const ddof = intParam(params, 'ddof', 1, 0, 1);
      const out = perColumn(t!, power);
      checkRowsForDdof(t!, ddof);
      return out;
    },
  });
}

/** `variance(t, {ddof?})`: per-column variance; ddof 1 (sample, default) or 0 (population). */
export const varianceOp = ddofOp('variance', 'per-column variance (param: ddof 1 sample (default) or 0)', 2);
/** `std(t, {ddof?})`: per-column standard deviation. */
export const stdOp = ddofOp('std', 'per-column standard deviation (param: ddof 1 (default) or 0)', 1);

function matrixOp(name: string, summary: string, params: string[], scaled: boolean): OpDef {
  return defineOp({
    name,
    summary,
    category: 'statistic',
    arity: { min: 1, max: 1 },
    params,
    infer([t], p) {
      const cols = requireTable(t!);
      const ddof = params.includes('ddof') ? intParam(p, 'ddof', 1, 0, 1) : 1;
      checkRowsForDdof(t!, ddof);
      const out = tensorType([cols.length, cols.length], t!.sources, [cols, cols]);
      return scaled ? withUnits(out, [columnExps(t!), columnExps(t!)]) : out;
    },
  });
}

/** `covariance(t, {ddof?})`: the covariance matrix of the columns. */
export const covarianceOp = matrixOp(
  'covariance',
  'covariance matrix of the columns (param: ddof)',
  ['ddof'],
  true,
);
/** `correlation(t)`: the Pearson correlation matrix of the columns. */
export const correlationOp = matrixOp('correlation', 'Pearson correlation matrix of the columns', [], false);

/**
 * `correlationTest(t)`: the Pearson correlation matrix and, for each pair, the two-sided p-value of
 * r = 0 (t = r sqrt((n - 2) / (1 - r^2)) on n - 2 degrees of freedom), as [2, p, p]: [0] the
 * correlations, [1] the p-values. The recipient computes the p-values from the released r and n.
 */
export const correlationTestOp = defineOp({
  name: 'correlationTest',
  summary: 'Pearson correlation matrix with two-sided p-values of r = 0: [r, p] x columns x columns',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: [],
  finishedByRecipient: true,
  infer([t]) {
    const cols = requireTable(t!);
    checkRowsForDdof(t!, 2);
    return tensorType([2, cols.length, cols.length], t!.sources, [['r', 'p'], cols, cols]);
  },
});

/** The column a histogram counts: its `column` param, else the table's only column. */
export function histogramColumn(params: Params, t: ValueType): string {
  return typeof params.column === 'string' ? params.column : t.columns![0]!;
}

/** Largest |edge| a histogram compares with, in its column's scaled units (far beyond ±2^6). */
export const EDGE_CLAMP = 2 ** 30;

/** Histogram edges in the units a column of scale exponent `exp` is held at, clamped to ±EDGE_CLAMP. */
export function scaledEdges(edges: readonly number[], exp: number): number[] {
  return edges.map((v) => Math.min(EDGE_CLAMP, Math.max(-EDGE_CLAMP, v * 2 ** -exp)));
}

/**
 * `histogram(t, {edges, column?, minCount?})`: counts per bin [e_i, e_i+1) over public, increasing
 * edges. With `minCount` (>= 1), small cells are suppressed inside the MPC: a bin whose count from
 * any one input is below it is released as suppressed (null), and so is every bin when an input
 * has between 1 and minCount - 1 rows outside the released bins.
 */
export const histogramOp = defineOp({
  name: 'histogram',
  summary:
    'counts per bin [e_i, e_i+1) of one column over public increasing edges; bins below minCount rows of any input are suppressed (params: edges, column, minCount)',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['edges', 'column', 'minCount'],
  infer([t], params) {
    const cols = requireTable(t!);
    const column = stringParam(params, 'column');
    if (column === undefined && cols.length !== 1) {
      throw new OpTypeError(`param "column" is required: the table has ${cols.length} columns`);
    }
    if (column !== undefined) requireColumns(cols, [column]);
    intParam(params, 'minCount', 0, 0, 1_000_000_000);
    const edges = numberListParam(params, 'edges', PROGRAM_LIMITS.histogramEdges);
    if (edges.length < 2) throw new OpTypeError('param "edges" needs at least 2 edges (1 bin)');
    for (let i = 1; i < edges.length; i++) {
      if (!(edges[i]! > edges[i - 1]!)) throw new OpTypeError('param "edges" must be strictly increasing');
    }
    const labels = edges.slice(0, -1).map((e, i) => `[${e}, ${edges[i + 1]})`);
    return tensorType([edges.length - 1], t!.sources, [labels]);
  },
});

/** Default epochs of {@link linregOp}. */
export const LINREG_DEFAULT_EPOCHS = 100;

/**
 * Default learning rate of {@link linregOp} for `features` standardized features: min(1, 1.5 / k).
 * The step's matrix is a correlation matrix, whose largest eigenvalue is at most k, so the
 * iteration always converges (lr * lambda_max <= 1.5 < 2).
 */
export function linregLearningRate(features: number): number {
  return Math.min(1, 1.5 / features);
}

/**
 * `linreg(t, {features, target, epochs?, learningRate?})`: least-squares linear regression of
 * `target` on `features`, trained by full-batch gradient descent on standardized features; the
 * result is `[intercept, coefficient per feature]` in the original units.
 */
export const linregOp = defineOp({
  name: 'linreg',
  summary:
    'linear regression by gradient descent on standardized data: [intercept, coefficients] (params: features, target, epochs (100), learningRate (min(1, 1.5/features)))',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['features', 'target', 'epochs', 'learningRate'],
  infer([t], params) {
    const cols = requireTable(t!);
    const features = stringListParam(params, 'features');
    const target = stringParam(params, 'target', true);
    requireColumns(cols, [...features, target]);
    if (features.includes(target)) throw new OpTypeError(`the target "${target}" is also a feature`);
    intParam(params, 'epochs', LINREG_DEFAULT_EPOCHS, 1, PROGRAM_LIMITS.epochs);
    numberParam(params, 'learningRate', 1, 1e-6, 2);
    checkRowsForDdof(t!, 1);
    const exps = columnExps(t!);
    const ey = exps[cols.indexOf(target)]!;
    return withUnits(tensorType([features.length + 1], t!.sources, [['intercept', ...features]]), [
      [ey, ...features.map((f) => ey - exps[cols.indexOf(f)]!)],
    ]);
  },
});

/** The statistics ops. */
export const STATISTIC_OPS: readonly OpDef[] = [
  countOp,
  sumOp,
  meanOp,
  varianceOp,
  stdOp,
  covarianceOp,
  correlationOp,
  correlationTestOp,
  histogramOp,
  linregOp,
];
