/**
 * The static type of a value flowing through a program: a table (rows x named columns) or a
 * tensor (a shape, optionally labelled per axis), plus what the policies need to know about it:
 * which inputs it derives from and how many data rows stand behind each of its elements.
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
  /**
   * The fewest data rows aggregated into any one element (1 for row-level data, Infinity for public
   * constants, undefined while row counts are unknown). Policies compare it with their minimum.
   */
  rowsBehind: number | undefined;
  /** Names of the program inputs this value derives from, sorted. */
  sources: string[];
}

/** Thrown by an op's type rule; validation wraps it into an error naming the node. */
export class OpTypeError extends Error {
  override readonly name = 'OpTypeError';
}

/** A table type. */
export function tableType(columns: string[], rows: Dim, sources: string[]): ValueType {
  return { kind: 'table', shape: [rows, columns.length], columns, rowsBehind: 1, sources };
}

/** A tensor type. */
export function tensorType(
  shape: Dim[],
  rowsBehind: number | undefined,
  sources: string[],
  labels?: (string[] | undefined)[],
): ValueType {
  return labels === undefined
    ? { kind: 'tensor', shape, rowsBehind, sources }
    : { kind: 'tensor', shape, rowsBehind, sources, labels };
}

/** The sorted union of the sources of `types`. */
export function mergeSources(types: readonly ValueType[]): string[] {
  return [...new Set(types.flatMap((t) => t.sources))].sort();
}

/** The smallest rowsBehind of `types` (undefined if any is unknown). */
export function minRowsBehind(types: readonly ValueType[]): number | undefined {
  let m = Infinity;
  for (const t of types) {
    if (t.rowsBehind === undefined) return undefined;
    m = Math.min(m, t.rowsBehind);
  }
  return m;
}

/** `a * b` for rowsBehind counts (undefined stays unknown). */
export function mulRows(a: number | undefined, b: Dim): number | undefined {
  return a === undefined || b === undefined ? undefined : a * b;
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
