/**
 * `groupBy`: counts, sums or means of columns per group of a categorical column whose codes are
 * numbers with public levels (src/jobs/executor/groupby.ts runs it; docs/JOBS.md, "groupBy").
 *
 * A row belongs to level l when its code lies in [l - 1/2, l + 1/2) (codes are meant to be
 * integers; a code in no such cell, or of a level not asked for, is in no group). With `minCount`
 * = k >= 1, small groups are suppressed inside the MPC: a group whose count from any one input is
 * below k is released as suppressed (null), and so is every group when an input has between 1 and
 * k - 1 rows outside the released groups (the public row count minus the released counts, or a
 * whole-column sum minus the released sums, would isolate them).
 *
 * What a requester can learn (the disclosure rule, src/jobs/disclosure/rules-groupby.ts): without
 * `minCount`, a group may hold one row, so the result is row-level. With it, each released element
 * is an aggregate of at least k rows of every input; the rows outside the released groups are
 * either none or at least k of each input, so subtracting the released groups from a count or sum
 * over the whole column (in this job or another) still yields an aggregate of at least k rows.
 * A histogram of the same column cuts other cells, whose differences with the groups can isolate
 * rows: in one job that is row-level; across jobs the release ledger does not compare them
 * (docs/JOBS.md). The result is an output only: the recipient decodes its suppressed elements.
 */
import { defineOp, type OpDef } from './op-def.js';
import { checkKnownParams, intParam, numberListParam, stringListParam, stringParam } from './params.js';
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

/** Most levels of a `groupBy` (each costs two comparisons per row at most). */
export const GROUPBY_MAX_LEVELS = 64;

/** Largest |level|: codes beyond it are not exact in float64 arithmetic with the half offsets. */
export const GROUPBY_MAX_LEVEL = 2 ** 40;

/** Most rows of a `groupBy` mean: its division keeps products below 2^46 up to 2^24 - 1 rows. */
export const GROUPBY_MEAN_MAX_ROWS = 2 ** 24 - 1;

/** What a `groupBy` computes per group. */
export type GroupByAgg = 'count' | 'sum' | 'mean';

/** The params of a `groupBy`, read and checked. */
export interface GroupByParams {
  /** The column of category codes. */
  by: string;
  /** The public levels, in the result's order. */
  levels: number[];
  /** The columns summed or averaged (empty for `count`). */
  columns: string[];
  /** What is computed per group. */
  agg: GroupByAgg;
  /** Suppression threshold (0: none). */
  minCount: number;
}

/** The levels param: 1 to {@link GROUPBY_MAX_LEVELS} distinct integers within ±2^40. */
function levelsParam(params: Params): number[] {
  const levels = numberListParam(params, 'levels', GROUPBY_MAX_LEVELS);
  const bad = levels.find((l) => !Number.isInteger(l) || Math.abs(l) > GROUPBY_MAX_LEVEL);
  if (bad !== undefined) throw new OpTypeError(`param "levels": ${bad} is not an integer within ±2^40`);
  const dup = levels.find((l, i) => levels.indexOf(l) !== i);
  if (dup !== undefined) throw new OpTypeError(`param "levels" repeats ${dup}`);
  return levels;
}

/**
 * Reads and checks the params of a `groupBy` over table `t`.
 * @throws OpTypeError naming the param or column at fault.
 */
export function groupByParams(params: Params, t: ValueType): GroupByParams {
  checkKnownParams(params, ['by', 'levels', 'columns', 'agg', 'minCount']);
  const cols = requireTable(t);
  const by = stringParam(params, 'by', true);
  requireColumns(cols, [by]);
  const agg = stringParam(params, 'agg', true);
  if (agg !== 'count' && agg !== 'sum' && agg !== 'mean')
    throw new OpTypeError(`param "agg" must be count, sum or mean (got "${agg}")`);
  const levels = levelsParam(params);
  const minCount = intParam(params, 'minCount', 0, 0, 1_000_000_000);
  if (agg === 'count') {
    if (params.columns !== undefined) throw new OpTypeError('param "columns" is for agg sum and mean only');
    return { by, levels, columns: [], agg, minCount };
  }
  const columns =
    params.columns === undefined ? cols.filter((c) => c !== by) : stringListParam(params, 'columns');
  requireColumns(cols, columns);
  if (columns.includes(by)) throw new OpTypeError(`the group column "${by}" is also among "columns"`);
  if (columns.length === 0) throw new OpTypeError(`no column to ${agg} besides the group column "${by}"`);
  return { by, levels, columns, agg, minCount };
}

/** The label of each level in a `groupBy` result: `by=level`. */
export function levelLabels(p: GroupByParams): string[] {
  return p.levels.map((l) => `${p.by}=${l}`);
}

/** The type of a `groupBy` result: [G] counts, or [G, columns] sums or means in the columns' units. */
function groupByInfer(t: ValueType, params: Params): ValueType {
  const g = groupByParams(params, t);
  const labels = levelLabels(g);
  if (g.agg === 'count') return tensorType([g.levels.length], t.sources, [labels]);
  const rows = t.shape[0];
  if (g.agg === 'mean' && rows !== undefined && rows > GROUPBY_MEAN_MAX_ROWS)
    throw new OpTypeError(
      `a groupBy mean takes at most ${GROUPBY_MEAN_MAX_ROWS} rows (the table has ${rows})`,
    );
  const exps = columnExps(t);
  const cols = t.columns!;
  const out = tensorType([g.levels.length, g.columns.length], t.sources, [labels, g.columns]);
  return withUnits(out, [g.levels.map(() => 0), g.columns.map((c) => exps[cols.indexOf(c)]!)]);
}

/**
 * Why a `groupBy`'s cells cannot be told apart at its group column's scale (`scales`, the job's
 * column scale exponents; f fractional bits), or undefined: a cell [l - 1/2, l + 1/2) must span at
 * least 4 units of the column's resolution 2^(scale - f), as histogram edges must (a column of
 * magnitude 2^e has scale e - 6, so codes up to 2^(f + 4) pass).
 */
export function groupByScaleProblem(
  params: Params,
  scales: Readonly<Record<string, number>>,
  f: number,
): string | undefined {
  const by = params.by as string;
  const scale = scales[by] ?? 0;
  if (2 ** -scale >= 4 * 2 ** -f) return undefined;
  return `groupBy: column "${by}" is held at a resolution of 2^${scale - f}, too coarse to tell codes 1 apart (codes must stay within 2^${f + 4})`;
}

/**
 * `groupBy(t, {by, levels, agg, columns?, minCount?})`: per level of the codes in column `by`, the
 * count of rows [G], or the sums or means of `columns` (default: every column but `by`) [G, p]. See
 * the file comment for membership, suppression and what it discloses.
 */
export const groupByOp = defineOp({
  name: 'groupBy',
  summary:
    'counts, sums or means of columns per level of a column of category codes; groups below minCount rows of any input are suppressed (params: by, levels, agg count|sum|mean, columns, minCount)',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['by', 'levels', 'columns', 'agg', 'minCount'],
  finishedByRecipient: true,
  infer: ([t], params) => groupByInfer(t!, params),
});

/** Ops of this module (the catalogue registers them). */
export const GROUPBY_OPS: readonly OpDef[] = [groupByOp];
