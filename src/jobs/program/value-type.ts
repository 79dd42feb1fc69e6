/**
 * The static type of a value flowing through a program: a table (rows x named columns) or a
 * tensor (a shape, optionally labelled per axis), plus which inputs it derives from and, for a
 * table, which input's rows fill each column (its row segments). What a released value discloses
 * about each input is derived apart, by the disclosure analysis (src/jobs/disclosure/).
 *
 * Row counts are public (dataset descriptions publish them), so shapes are known once the job binds
 * the inputs; a program checked on its own has unknown row counts (`undefined` dims).
 */

/** A dimension: a size, or undefined while row counts are unknown. */
export type Dim = number | undefined;

/** The static type of a value. */
export interface ValueType {
  /** `table`: rows x named columns (row-level data); `tensor`: any shape. */
  kind: 'table' | 'tensor';
  /** Shape; a table's is `[rows, columns.length]`. */
  shape: Dim[];
  /** A table's column names (in order). */
  columns?: string[];
  /** Optional labels per axis (e.g. column names of a mean, `intercept` + features of a regression). */
  labels?: (string[] | undefined)[];
  /** Names of the program inputs this value derives from, sorted. */
  sources: string[];
  /**
   * A table's row segments per column: column j's rows are, from the top, `segments[j][0].rows`
   * rows of input `segments[j][0].source`, then the next segment's, and so on (a union stacks
   * segments, a join puts columns of different inputs side by side).
   */
  segments?: RowSegment[][];
  /**
   * A table's scale exponent per column: its values are held as x / 2^exps[j] (the job's public
   * magnitude bound of that column name), so that statistics keep full precision and headroom
   * whatever the data's scale. Absent or 0: natural units.
   */
  exps?: number[];
  /**
   * Per axis, the exponent each index contributes to its element's unit: the element at
   * (i, j, ...) is held as v / 2^(units[0][i] + units[1][j] + ...), e.g. a covariance of columns
   * with exponents e is [e, e]. The recipient multiplies back when it decodes. Absent: natural.
   */
  units?: number[][];
}

/** Ops that take tables at their columns' scale exponents (and say so in their result's units). */
export const SCALED_OPS: ReadonlySet<string> = new Set([
  'select',
  'union',
  'join',
  'count',
  'sum',
  'mean',
  'variance',
  'std',
  'covariance',
  'correlation',
  'correlationTest',
  'ttest',
  'histogram',
  'groupBy',
  'contingency',
  'chiSquare',
  'quantile',
  'linreg',
  'ols',
  'olsSummary',
  'olsFit',
  'logit',
  'logitSummary',
  'logitFit',
]);

/** Ops that need every column of their table argument at a known scale (the statistics). */
export const STATISTIC_SCALED_OPS: ReadonlySet<string> = new Set(
  [...SCALED_OPS].filter((op) => !['select', 'union', 'join', 'count'].includes(op)),
);

/** A run of consecutive rows of one table column that come from one program input. */
export interface RowSegment {
  /** The program input the rows come from. */
  source: string;
  /** How many rows (undefined while row counts are unknown). */
  rows: Dim;
}

/** Thrown by an op's type rule; validation wraps it into an error naming the node. */
export class OpTypeError extends Error {
  override readonly name = 'OpTypeError';
}

/**
 * The table type of program input `source`: `rows` rows of its `columns`, each held at the scale
 * exponent `exps[j]` (default 0: natural units).
 */
export function inputTableType(source: string, columns: string[], rows: Dim, exps?: number[]): ValueType {
  return tableType(
    columns,
    columns.map(() => [{ source, rows }]),
    exps,
  );
}

/**
 * A table type from its columns and each column's row segments (all columns must have as many
 * rows; the sources are those of the segments).
 */
export function tableType(columns: string[], segments: RowSegment[][], exps?: number[]): ValueType {
  const rows = segments[0] === undefined ? 0 : segmentRows(segments[0]);
  const sources = [...new Set(segments.flatMap((col) => col.map((s) => s.source)))].sort();
  const t: ValueType = { kind: 'table', shape: [rows, columns.length], columns, sources, segments };
  if (exps !== undefined && exps.some((e) => e !== 0)) t.exps = exps;
  return t;
}

/** `t` with per-axis units, dropped when every exponent is 0 (natural units). */
export function withUnits(t: ValueType, units: number[][]): ValueType {
  if (units.some((axis) => axis.some((e) => e !== 0))) t.units = units;
  return t;
}

/** A table's scale exponent per column (0 for natural units). */
export function columnExps(t: ValueType): number[] {
  return t.exps ?? (t.columns ?? []).map(() => 0);
}

/** The rows of a column's segments (undefined when any count is unknown). */
export function segmentRows(segments: readonly RowSegment[]): Dim {
  let n: Dim = 0;
  for (const s of segments) n = n === undefined || s.rows === undefined ? undefined : n + s.rows;
  return n;
}

/** A tensor type. */
export function tensorType(shape: Dim[], sources: string[], labels?: (string[] | undefined)[]): ValueType {
  return labels === undefined
    ? { kind: 'tensor', shape, sources }
    : { kind: 'tensor', shape, sources, labels };
}

/** The sorted union of the sources of `types`. */
export function mergeSources(types: readonly ValueType[]): string[] {
  return [...new Set(types.flatMap((t) => t.sources))].sort();
}

/** Requires `t` to be a table; returns its columns. */
export function requireTable(t: ValueType, what = 'argument'): string[] {
  if (t.kind !== 'table' || t.columns === undefined)
    throw new OpTypeError(`${what} must be a table (rows of columns)`);
  return t.columns;
}

/**
 * Checks that every name in `names` is a column of `have`.
 * @throws OpTypeError naming the first missing column and the table's columns.
 */
export function requireColumns(have: readonly string[], names: readonly string[]): void {
  const missing = names.find((c) => !have.includes(c));
  if (missing !== undefined)
    throw new OpTypeError(`column "${missing}" is not in the table (has ${have.join(', ')})`);
}

/** Formats a shape, `?` for unknown dims. */
export function fmtDims(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (d === undefined ? '?' : String(d))).join(', ')}]`;
}

/** Numpy-style broadcast of two shapes (unknown dims are assumed compatible). */
export function broadcastDims(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = i < n - a.length ? 1 : a[i - (n - a.length)];
    const y = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === undefined) out.push(y);
    else if (y === undefined || x === y) out.push(x);
    else throw new OpTypeError(`shapes ${fmtDims(a)} and ${fmtDims(b)} do not broadcast`);
  }
  return out;
}
