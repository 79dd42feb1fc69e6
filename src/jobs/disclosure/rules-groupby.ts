/**
 * The disclosure rule of `groupBy` (src/jobs/program/ops-groupby.ts); docs/JOBS.md gives the
 * reasoning in its table and in the op's section.
 *
 * With `minCount` = k >= 1, a released group holds at least k rows of every source of its group
 * column, and each source has either no row or at least k rows outside the released groups. So
 * every released element is an aggregate of at least k rows of each source, and so is what
 * subtracting the released groups from a whole-column count or sum leaves (in the same job, or a
 * `count`/`sum` job on the same rows, which the release ledger lets through: the row sets do not
 * differ). Two groupBys cut the same cells [l - 1/2, l + 1/2) whatever their levels, so their
 * groups cannot be differenced into smaller ones. Row-level, for a source:
 * - without minCount (a group may hold one row);
 * - when the group column repeats the source's rows (a union with itself counts a row k times);
 * - when the summed columns and the group column do not come from the same inputs row by row (a
 *   join: codes chosen by one party pick single rows of the other's columns, and the other's
 *   columns, one-hot on a row, read a row's code out of the sums);
 * - when the program also has a histogram of the group column of that source (its bins cut other
 *   cells: a bin minus the groups inside it can isolate rows). Across jobs this is not caught: the
 *   ledger compares histogram edges with histogram edges only (docs/JOBS.md).
 * Sensitivity per element (w: the widest column range of the table's sources): a count moves by 1;
 * a mean by at most w / k (a group keeps at least k rows on both sides of a released change); a sum
 * has no bound in ranges' widths (a row that changes group moves two sums by its value).
 */
import { groupByParams, type GroupByParams } from '../program/ops-groupby.js';
import type { RowSegment } from '../program/value-type.js';
import { perSource, rowLevel, type DisclosureRule } from './rule.js';
import type { Dependence } from './types.js';

/** Whether two columns' rows come from the same sources row for row. */
function sameSegments(a: readonly RowSegment[], b: readonly RowSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => s.source === b[i]!.source && s.rows === b[i]!.rows);
}

/** How far one element moves when one row changes, in units of the widest range w. */
function sensitivity(g: GroupByParams, w: number): number {
  if (g.agg === 'count') return 1;
  if (g.agg === 'mean') return w / g.minCount;
  return Infinity;
}

/** groupBy (see the file comment). */
export const groupByRule: DisclosureRule = (call) => {
  const t = call.argTypes[0]!;
  const g = groupByParams(call.params, t);
  const segsOf = (c: string): RowSegment[] => t.segments![t.columns!.indexOf(c)]!;
  const bySegs = segsOf(g.by);
  const aligned = g.columns.every((c) => sameSegments(segsOf(c), bySegs));
  const involved = new Set([g.by, ...g.columns].flatMap((c) => segsOf(c).map((s) => s.source)));
  const w = Math.max(...[...involved].map((s) => call.sources.get(s)?.width ?? 1));
  return perSource(call.args, (s): Dependence => {
    if (!involved.has(s)) return { kind: 'aggregate', rows: call.sources.get(s)?.rows, sensitivity: 0 };
    if (!aligned)
      return rowLevel(
        call,
        `the group column "${g.by}" and the columns it ${g.agg}s come from different inputs row by row (a join): one input's codes or values can single out ${s}'s rows`,
      );
    if (bySegs.filter((seg) => seg.source === s).length > 1)
      return rowLevel(
        call,
        `the group column repeats the rows of ${s}, so a group counts one row several times`,
      );
    if (call.histogramEdges.has(`${s}/${g.by}`))
      return rowLevel(
        call,
        `a histogram of column "${g.by}" of ${s} cuts other cells, which can be differenced with the groups`,
      );
    if (g.minCount < 1)
      return rowLevel(call, `a group may hold a single row of ${s} (set minCount to suppress small groups)`);
    return { kind: 'aggregate', rows: g.minCount, sensitivity: sensitivity(g, w) };
  });
};
