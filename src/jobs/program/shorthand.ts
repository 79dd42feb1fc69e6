/**
 * Programs for the common statistics, from a few flags (what `peermpc job run --stats ...` and the
 * demo use): the inputs are combined by union (same columns, default) or join (aligned rows), then
 * each requested statistic becomes one output named after it.
 */
import { ProgramBuilder } from './builder.js';
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

/**
 * Builds (and validates) the program for `spec`.
 * @throws ProgramValidationError (e.g. a column that is not in the inputs).
 * @throws TypeError when the spec asks for nothing.
 */
export function shorthandProgram(spec: ShorthandSpec): Program {
  const stats = spec.stats ?? [];
  if (
    stats.length === 0 &&
    spec.histogram === undefined &&
    spec.quantiles === undefined &&
    spec.groupBy === undefined &&
    spec.crosstab === undefined &&
    spec.linreg === undefined &&
    spec.ols === undefined &&
    spec.logit === undefined
  ) {
    throw new TypeError('ask for at least one statistic, a histogram, quantiles, a groupBy or a regression');
  }
  const b = new ProgramBuilder();
  const refs = spec.inputs.map((i) => b.input(i.name, i.columns));
  const table =
    refs.length === 1
      ? refs[0]!
      : (spec.combine ?? 'union') === 'union'
        ? b.node('union', refs, undefined, 'all')
        : b.node('join', refs, undefined, 'all');
  for (const s of stats) {
    if (!(SHORTHAND_STATS as readonly string[]).includes(s)) throw new TypeError(`unknown statistic "${s}"`);
    b.output(s, b.node(s, [table], undefined, `${s}_node`));
  }
  if (spec.histogram !== undefined) {
    b.output(
      'histogram',
      b.node(
        'histogram',
        [table],
        {
          column: spec.histogram.column,
          edges: spec.histogram.edges,
          ...(spec.histogram.minCount !== undefined ? { minCount: spec.histogram.minCount } : {}),
        },
        'histogram_node',
      ),
    );
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
  if (spec.crosstab !== undefined) {
    const { test, minCount, ...levels } = spec.crosstab;
    const params = { ...levels, ...(minCount !== undefined ? { minCount } : {}) };
    b.output('crosstab', b.node('contingency', [table], params, 'crosstab_node'));
    if (test === true) b.output('chiSquare', b.node('chiSquare', [table], params, 'chiSquare_node'));
  }
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
  return b.build();
}
