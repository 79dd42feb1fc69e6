/**
 * Programs for the common statistics, from a few flags (what `peermpc job run --stats ...` and the
 * demo use): the inputs are combined by union (same columns, default) or join (aligned rows), then
 * each requested statistic becomes one output named after it.
 */
import { ProgramBuilder, type ValueRef } from './builder.js';
import type { Program } from './types.js';

/** Statistics the shorthand knows. */
export const SHORTHAND_STATS = [
  'count',
  'sum',
  'mean',
  'variance',
  'std',
  'covariance',
  'correlation',
  'correlationTest',
] as const;

/** One of {@link SHORTHAND_STATS}. */
export type ShorthandStat = (typeof SHORTHAND_STATS)[number];

/** What {@link shorthandProgram} takes. */
export interface ShorthandSpec {
  /** Inputs: a name and the columns taken from it. */
  inputs: { name: string; columns: string[] }[];
  /** How several inputs combine: `union` (rows appended; default) or `join` (columns appended). */
  combine?: 'union' | 'join';
  /** Statistics over all columns of the combined table. */
  stats?: ShorthandStat[];
  /** A histogram of one column; bins below `minCount` rows of any input are suppressed. */
  histogram?: { column: string; edges: number[]; minCount?: number };
  /** Quantiles of one column; a level is suppressed unless minCount rows of each input lie on each side. */
  quantiles?: { column: string; q: number[]; minCount?: number };
  /** Counts, sums or means per level of a column of codes; groups below minCount rows of any input are suppressed. */
  groupBy?: {
    by: string;
    levels: number[];
    agg: 'count' | 'sum' | 'mean';
    columns?: string[];
    minCount?: number;
  };
  /**
   * A contingency table of two columns of category codes (output `crosstab`) and, with `test`,
   * the chi-square test of independence on it (output `chiSquare`); cells below minCount rows of
   * any input are suppressed (a test with such a cell is released as null).
   */
  crosstab?: {
    rows: string;
    rowLevels: number[];
    columns: string;
    columnLevels: number[];
    minCount?: number;
    test?: boolean;
  };
  /** A linear regression. */
  linreg?: { features: string[]; target: string; epochs?: number; learningRate?: number };
  /** Exact least squares: the summary table (output `ols`) and the fit statistics (`ols_fit`). */
  ols?: { features: string[]; target: string };
  /** Logistic regression of a 0/1 target: the summary table (`logit`) and the fit (`logit_fit`). */
  logit?: { features: string[]; target: string };
}

/** Whether `spec` asks for nothing at all. */
function asksForNothing(spec: ShorthandSpec): boolean {
  return (
    (spec.stats ?? []).length === 0 &&
    spec.histogram === undefined &&
    spec.quantiles === undefined &&
    spec.groupBy === undefined &&
    spec.crosstab === undefined &&
    spec.linreg === undefined &&
    spec.ols === undefined &&
    spec.logit === undefined
  );
}

/** The inputs, and the one table they combine into (node `all` when there are several). */
function combinedTable(b: ProgramBuilder, spec: ShorthandSpec): ValueRef {
  const refs = spec.inputs.map((i) => b.input(i.name, i.columns));
  if (refs.length === 1) return refs[0]!;
  return (spec.combine ?? 'union') === 'union'
    ? b.node('union', refs, undefined, 'all')
    : b.node('join', refs, undefined, 'all');
}

/** One output per statistic, named after it. */
function addStats(b: ProgramBuilder, table: ValueRef, stats: readonly string[]): void {
  for (const s of stats) {
    if (!(SHORTHAND_STATS as readonly string[]).includes(s)) throw new TypeError(`unknown statistic "${s}"`);
    b.output(s, b.node(s, [table], undefined, `${s}_node`));
  }
}

/** The histogram, quantiles and per-group outputs, each with its minCount when given. */
function addSummaries(b: ProgramBuilder, table: ValueRef, spec: ShorthandSpec): void {
  if (spec.histogram !== undefined) {
    const { column, edges, minCount } = spec.histogram;
    const params = { column, edges, ...(minCount !== undefined ? { minCount } : {}) };
    b.output('histogram', b.node('histogram', [table], params, 'histogram_node'));
  }
  if (spec.quantiles !== undefined) {
    const { column, q, minCount } = spec.quantiles;
    const params = { column, q, ...(minCount !== undefined ? { minCount } : {}) };
    b.output('quantiles', b.node('quantile', [table], params, 'quantiles_node'));
  }
  if (spec.groupBy !== undefined) {
    const { columns, minCount, ...rest } = spec.groupBy;
    const params = {
      ...rest,
      ...(columns ? { columns } : {}),
      ...(minCount !== undefined ? { minCount } : {}),
    };
    b.output('groupBy', b.node('groupBy', [table], params, 'groupBy_node'));
  }
}

/** The contingency table and, with `test`, its chi-square test. */
function addCrosstab(b: ProgramBuilder, table: ValueRef, crosstab: ShorthandSpec['crosstab']): void {
  if (crosstab === undefined) return;
  const { test, minCount, ...levels } = crosstab;
  const params = { ...levels, ...(minCount !== undefined ? { minCount } : {}) };
  b.output('crosstab', b.node('contingency', [table], params, 'crosstab_node'));
  if (test === true) b.output('chiSquare', b.node('chiSquare', [table], params, 'chiSquare_node'));
}

/** The regressions: least squares, logistic, then the trained linear regression. */
function addRegressions(b: ProgramBuilder, table: ValueRef, spec: ShorthandSpec): void {
  if (spec.ols !== undefined) {
    b.output('ols', b.node('olsSummary', [table], { ...spec.ols }, 'ols_node'));
    b.output('ols_fit', b.node('olsFit', [table], { ...spec.ols }, 'ols_fit_node'));
  }
  if (spec.logit !== undefined) {
    b.output('logit', b.node('logitSummary', [table], { ...spec.logit }, 'logit_node'));
    b.output('logit_fit', b.node('logitFit', [table], { ...spec.logit }, 'logit_fit_node'));
  }
  if (spec.linreg !== undefined) {
    b.output('linreg', b.node('linreg', [table], { ...spec.linreg }, 'linreg_node'));
  }
}

/**
 * Builds (and validates) the program for `spec`.
 * @throws ProgramValidationError (e.g. a column that is not in the inputs).
 * @throws TypeError when the spec asks for nothing.
 */
export function shorthandProgram(spec: ShorthandSpec): Program {
  if (asksForNothing(spec)) {
    throw new TypeError('ask for at least one statistic, a histogram, quantiles, a groupBy or a regression');
  }
  const b = new ProgramBuilder();
  const table = combinedTable(b, spec);
  addStats(b, table, spec.stats ?? []);
  addSummaries(b, table, spec);
  addCrosstab(b, table, spec.crosstab);
  addRegressions(b, table, spec);
  return b.build();
}
