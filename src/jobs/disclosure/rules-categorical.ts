/**
 * The disclosure rules of `contingency` and `chiSquare` (src/jobs/program/ops-categorical.ts);
 * docs/JOBS.md gives the reasoning in its table and in the ops' section.
 *
 * With `minCount` = k >= 1, inside the MPC, every released cell (and, for a chi-square, every cell
 * of the table it is computed from, else the statistic is null) counts at least k rows of each
 * source of the two code columns, and each source has either no row or at least k rows outside
 * those cells overall, within each row level and within each column level. So each released cell
 * is an aggregate of at least k rows, and so is what a margin (the public row count, a count of one
 * level released elsewhere) minus released cells leaves. Cells [l - 1/2, l + 1/2) are the same
 * whatever the levels asked, so two tables cannot be differenced into smaller cells. A chi-square
 * is one number of all cells, but with the margins (public, or released elsewhere with minCount) a
 * 2 x 2 statistic pins its cells (up to two choices): it discloses what the cells do.
 *
 * Row-level, for a source:
 * - without minCount (a cell may hold one row, and a chi-square with margins reveals it);
 * - when the two code columns do not come from the same inputs row by row (a join: one party's
 *   codes, one-hot on chosen rows, read the other's codes of those rows out of the cells);
 * - when a code column repeats the source's rows (a union with itself counts a row twice);
 * - when the program also has a histogram of either code column of that source (its bins cut
 *   other cells, which can be differenced with the table's). The program's tables are registered
 *   beside its histograms ({@link categoricalCells}), so that a histogram or a groupBy of the same
 *   column is row-level too. Across jobs this is not caught (the ledger compares histogram edges
 *   only).
 * Sensitivity per element: a count moves by 1 when one row changes; a statistic has no bound.
 */
import { categoricalParams, isCategorical } from '../program/ops-categorical.js';
import type { ProgramNode } from '../program/types.js';
import type { RowSegment, ValueType } from '../program/value-type.js';
import { perSource, rowLevel, type DisclosureRule } from './rule.js';
import type { Dependence } from './types.js';

/** The prefix of the entries {@link categoricalCells} adds to the histogram edge lists. */
const CELLS = 'cells ';

/** Whether two columns' rows come from the same sources row for row. */
function sameSegments(a: readonly RowSegment[], b: readonly RowSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => s.source === b[i]!.source && s.rows === b[i]!.rows);
}

/**
 * The cells a contingency table or chi-square test cuts in each `source/column` it counts, as
 * entries for the analysis's histogram edge lists (`cells [levels]`); none for any other node.
 */
export function categoricalCells(
  node: ProgramNode,
  types: ReadonlyMap<string, ValueType>,
): [string, string][] {
  if (!isCategorical(node)) return [];
  const t = types.get(node.args[0]!)!;
  const c = categoricalParams(node.params ?? {}, t, node.op === 'chiSquare');
  return (
    [
      [c.rows, c.rowLevels],
      [c.columns, c.columnLevels],
    ] as const
  ).flatMap(([column, levels]) =>
    t.segments![t.columns!.indexOf(column)]!.map((seg): [string, string] => [
      `${seg.source}/${column}`,
      `${CELLS}${JSON.stringify(levels)}`,
    ]),
  );
}

/** contingency and chiSquare (see the file comment). */
export const categoricalRule: DisclosureRule = (call) => {
  const t = call.argTypes[0]!;
  const test = call.node.op === 'chiSquare';
  const c = categoricalParams(call.params, t, test);
  const segsOf = (col: string): RowSegment[] => t.segments![t.columns!.indexOf(col)]!;
  const [a, b] = [segsOf(c.rows), segsOf(c.columns)];
  const involved = new Set([...a, ...b].map((s) => s.source));
  const cut = (s: string, col: string): boolean =>
    [...(call.histogramEdges.get(`${s}/${col}`) ?? [])].some((e) => !e.startsWith(CELLS));
  return perSource(call.args, (s): Dependence => {
    if (!involved.has(s)) return { kind: 'aggregate', rows: call.sources.get(s)?.rows, sensitivity: 0 };
    if (!sameSegments(a, b))
      return rowLevel(
        call,
        `the code columns "${c.rows}" and "${c.columns}" come from different inputs row by row (a join): one input's codes can single out ${s}'s rows`,
      );
    if (a.filter((seg) => seg.source === s).length > 1)
      return rowLevel(
        call,
        `the code columns repeat the rows of ${s}, so a cell counts one row several times`,
      );
    const histogram = [c.rows, c.columns].find((col) => cut(s, col));
    if (histogram !== undefined)
      return rowLevel(
        call,
        `a histogram of column "${histogram}" of ${s} cuts other cells, which can be differenced with the table's`,
      );
    if (c.minCount < 1)
      return rowLevel(
        call,
        test
          ? `a cell may hold a single row of ${s}, and the statistic with the margins pins the cells (set minCount)`
          : `a cell may count a single row of ${s} (set minCount to suppress small cells)`,
      );
    return { kind: 'aggregate', rows: c.minCount, sensitivity: test ? Infinity : 1 };
  });
};
