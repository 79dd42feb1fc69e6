/**
 * Categorical statistics of two columns of category codes with public levels:
 * `contingency` (the table of counts) and `chiSquare` (Pearson's test of independence on it). The
 * MPC implementations are src/jobs/executor/contingency.ts and chi-square.ts; docs/JOBS.md
 * ("Contingency tables and the chi-square test") gives the method, error and disclosure.
 *
 * Membership: a row is in row level l when its `rows` code lies in [l - 1/2, l + 1/2), likewise for
 * columns (codes are meant to be integers). A row whose code matches no level on either column is
 * counted in no cell: the table, and the chi-square test, are over the rows matching a level on
 * both columns. (Refusing such rows instead would need a range guard, whose opened bit would
 * answer "does any row have a code outside these levels?", a question about single rows.)
 *
 * What a requester can learn (src/jobs/disclosure/rules-categorical.ts): without `minCount` a cell
 * may hold one row, and a 2 x 2 chi-square together with its margins (released elsewhere, or
 * public) pins its cells, so both are row-level. With `minCount` = k >= 1, every released cell (and
 * every cell behind a released chi-square) counts at least k rows of each input, and each input's
 * rows outside them, overall and within each row level and each column level, are either none or
 * at least k: a margin (from this or another release) minus released cells never isolates fewer
 * than k rows.
 */
import { defineOp, type OpDef } from './op-def.js';
import { checkKnownParams, intParam, numberListParam, stringParam } from './params.js';
import type { Params, ProgramNode } from './types.js';
import { OpTypeError, requireColumns, requireTable, tensorType, type ValueType } from './value-type.js';

/** Most levels of either column of a contingency table or chi-square test. */
export const CATEGORICAL_MAX_LEVELS = 32;

/** Largest |level|: codes beyond it are not exact in float64 arithmetic with the half offsets. */
export const CATEGORICAL_MAX_LEVEL = 2 ** 40;

/**
 * Most rows of a chi-square test: its fixed-point plan (src/jobs/executor/chi-square.ts) keeps
 * every truncated value below 2^46 and its error bound up to 2^20 - 1 rows.
 */
export const CHI_SQUARE_MAX_ROWS = 2 ** 20 - 1;

/** Default and bounds of `minExpected` (the smallest expected count the test accepts). */
export const MIN_EXPECTED = { default: 5, min: 1, max: 1_000_000 } as const;

/** The params of `contingency` and `chiSquare`, read and checked. */
export interface CategoricalParams {
  /** The column whose codes index the rows of the table. */
  rows: string;
  /** Its public levels, strictly increasing. */
  rowLevels: number[];
  /** The column whose codes index the columns of the table. */
  columns: string;
  /** Its public levels, strictly increasing. */
  columnLevels: number[];
  /** Suppression threshold (0: none). */
  minCount: number;
  /** chiSquare only: the smallest expected count allowed (default 5). */
  minExpected: number;
}

/** A levels param: 1 to {@link CATEGORICAL_MAX_LEVELS} integers within ±2^40, strictly increasing. */
function levelsParam(params: Params, key: string): number[] {
  const levels = numberListParam(params, key, CATEGORICAL_MAX_LEVELS);
  const bad = levels.find((l) => !Number.isInteger(l) || Math.abs(l) > CATEGORICAL_MAX_LEVEL);
  if (bad !== undefined) throw new OpTypeError(`param "${key}": ${bad} is not an integer within ±2^40`);
  for (let i = 1; i < levels.length; i++) {
    if (!(levels[i]! > levels[i - 1]!))
      throw new OpTypeError(
        `param "${key}" must be strictly increasing (${levels[i - 1]} then ${levels[i]}: ${levels[i] === levels[i - 1] ? 'a duplicate' : 'decreasing'})`,
      );
  }
  return levels;
}

/**
 * Reads and checks the params of a `contingency` (or, with `test`, a `chiSquare`) over table `t`.
 * @throws OpTypeError naming the param or column at fault.
 */
export function categoricalParams(params: Params, t: ValueType, test = false): CategoricalParams {
  const known = ['rows', 'rowLevels', 'columns', 'columnLevels', 'minCount'];
  checkKnownParams(params, test ? [...known, 'minExpected'] : known);
  const cols = requireTable(t);
  if (t.shape[0] === 0) throw new OpTypeError('needs at least one row');
  const rows = stringParam(params, 'rows', true);
  const columns = stringParam(params, 'columns', true);
  requireColumns(cols, [rows, columns]);
  if (rows === columns) throw new OpTypeError(`params "rows" and "columns" are both "${rows}"`);
  const rowLevels = levelsParam(params, 'rowLevels');
  const columnLevels = levelsParam(params, 'columnLevels');
  const minCount = intParam(params, 'minCount', 0, 0, 1_000_000_000);
  const minExpected = test
    ? intParam(params, 'minExpected', MIN_EXPECTED.default, MIN_EXPECTED.min, MIN_EXPECTED.max)
    : 0;
  return { rows, rowLevels, columns, columnLevels, minCount, minExpected };
}

/** Labels of a table's rows and columns: `column=level`. */
export function categoricalLabels(c: CategoricalParams): [string[], string[]] {
  return [c.rowLevels.map((l) => `${c.rows}=${l}`), c.columnLevels.map((l) => `${c.columns}=${l}`)];
}

/**
 * `contingency(t, {rows, rowLevels, columns, columnLevels, minCount?})`: the [R, C] counts of rows
 * per pair of levels (see the file comment); with `minCount` small cells are released as null.
 */
export const contingencyOp: OpDef = defineOp({
  name: 'contingency',
  summary:
    'counts of rows per pair of levels of two columns of category codes; cells below minCount rows of any input are suppressed (params: rows, rowLevels, columns, columnLevels, minCount)',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['rows', 'rowLevels', 'columns', 'columnLevels', 'minCount'],
  infer([t], params) {
    const c = categoricalParams(params, t!);
    return tensorType([c.rowLevels.length, c.columnLevels.length], t!.sources, categoricalLabels(c));
  },
});

/**
 * `chiSquare(t, {rows, rowLevels, columns, columnLevels, minExpected?, minCount?})`: Pearson's
 * chi-square test of independence of the two columns' codes, as [statistic, df, p]. The
 * statistic is computed inside the MPC, df = (R - 1)(C - 1) is public, and the recipient computes
 * p. A table with an expected count below `minExpected` (default 5) fails the job instead of
 * releasing an invalid test; with `minCount`, a table with a small cell is released as null.
 */
export const chiSquareOp: OpDef = defineOp({
  name: 'chiSquare',
  summary:
    "Pearson's chi-square test of independence of two columns of category codes: [statistic, df, p]; expected counts below minExpected (5) fail the job (params: rows, rowLevels, columns, columnLevels, minExpected, minCount)",
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['rows', 'rowLevels', 'columns', 'columnLevels', 'minCount', 'minExpected'],
  finishedByRecipient: true,
  infer([t], params) {
    const c = categoricalParams(params, t!, true);
    if (c.rowLevels.length < 2 || c.columnLevels.length < 2)
      throw new OpTypeError('a chi-square test needs at least 2 levels on each side');
    const n = t!.shape[0];
    if (n !== undefined && n > CHI_SQUARE_MAX_ROWS)
      throw new OpTypeError(`chiSquare takes at most ${CHI_SQUARE_MAX_ROWS} rows (the table has ${n})`);
    return tensorType([3], t!.sources, [['statistic', 'df', 'p']]);
  },
});

/** Whether `node` is a contingency table or chi-square test. */
export function isCategorical(node: ProgramNode): boolean {
  return node.op === 'contingency' || node.op === 'chiSquare';
}

/**
 * Why a program's use of these ops cannot run as checked, or undefined (called by the scale checks
 * for every node, with the job's column scale exponents and f fractional bits):
 * - a cell [l - 1/2, l + 1/2) must span at least 4 units of its column's resolution 2^(scale - f),
 *   as histogram edges must (a column of magnitude 2^e has scale e - 6: codes up to 2^(f + 4));
 * - a contingency table with `minCount` can only be an output (its suppressed cells hold -1, which
 *   only the recipient decodes as null).
 */
export function categoricalProblem(
  node: ProgramNode,
  scales: Readonly<Record<string, number>>,
  f: number,
  nodes: ReadonlyMap<string, ProgramNode>,
): string | undefined {
  const suppressing = node.args.find((a) => {
    const arg = nodes.get(a);
    return arg?.op === 'contingency' && typeof arg.params?.minCount === 'number' && arg.params.minCount > 0;
  });
  if (suppressing !== undefined)
    return `argument "${suppressing}" is a contingency table with minCount, whose suppressed cells only the recipient decodes: it can only be an output`;
  if (!isCategorical(node)) return undefined;
  for (const key of ['rows', 'columns']) {
    const column = node.params?.[key] as string;
    const scale = scales[column] ?? 0;
    if (2 ** -scale < 4 * 2 ** -f)
      return `${node.op}: column "${column}" is held at a resolution of 2^${scale - f}, too coarse to tell codes 1 apart (its magnitude must be at most 2^${f + 4})`;
  }
  return undefined;
}

/** The categorical ops (the catalogue registers them). */
export const CATEGORICAL_OPS: readonly OpDef[] = [contingencyOp, chiSquareOp];
