/**
 * Column magnitudes: the smallest integer e with max |x| <= 2^e, which a dataset description
 * publishes per column so that statistics can scale each column into range (src/jobs scales);
 * and column bounds [lo, hi], public domain bounds an owner declares (differential privacy clips a
 * column to them), which set the column's magnitude.
 */
import type { ColumnStats } from './mock.js';

/** Smallest magnitude exponent published (an all-zero column, or values below 2^-40). */
export const MIN_MAGNITUDE = -40;
/** Largest magnitude exponent published. */
export const MAX_MAGNITUDE = 62;

/**
 * The smallest integer e in [MIN_MAGNITUDE, MAX_MAGNITUDE] with maxAbs <= 2^e (MAX_MAGNITUDE for
 * anything larger, which no fixed-point job can hold anyway).
 * @example magnitudeOf(100) // 7; magnitudeOf(128) // 7; magnitudeOf(0.001) // -9
 */
export function magnitudeOf(maxAbs: number): number {
  if (!(maxAbs > 2 ** MIN_MAGNITUDE)) return MIN_MAGNITUDE;
  if (!(maxAbs <= 2 ** MAX_MAGNITUDE)) return MAX_MAGNITUDE;
  let e = Math.ceil(Math.log2(maxAbs));
  while (2 ** e < maxAbs) e++; // log2 rounding
  while (e > MIN_MAGNITUDE && 2 ** (e - 1) >= maxAbs) e--;
  return e;
}

/** Whether `e` is a valid published magnitude. */
export function isMagnitude(e: unknown): e is number {
  return typeof e === 'number' && Number.isInteger(e) && e >= MIN_MAGNITUDE && e <= MAX_MAGNITUDE;
}

/** Magnitudes of row-major values (`columns` per row). */
export function magnitudesOf(values: ArrayLike<number>, columns: number): number[] {
  const max = new Array<number>(columns).fill(0);
  for (let i = 0; i < values.length; i++)
    max[i % columns] = Math.max(max[i % columns]!, Math.abs(values[i]!));
  return max.map(magnitudeOf);
}

/**
 * Each column's magnitude: the data's own, or a larger one the owner declared, or for a column
 * with declared bounds (checked to hold the data: {@link checkedBounds}) the magnitude of its
 * bounds (a domain bound discloses nothing data-dependent).
 * @throws RangeError naming a column whose declaration is below the data's magnitude, or unknown.
 * @throws {InvalidBoundsError} naming a bounded column with a declared magnitude other than its
 *   bounds'.
 */
export function declaredMagnitudes(
  columns: string[],
  stats: ColumnStats,
  declared: Readonly<Record<string, number>> = {},
  bounds: ReadonlyArray<ColumnBounds | undefined> = [],
): number[] {
  for (const c of Object.keys(declared))
    if (!columns.includes(c)) throw new RangeError(`declared magnitude for "${c}", which is not a column`);
  return columns.map((c, j) => {
    const own =
      stats.count === 0
        ? MIN_MAGNITUDE
        : magnitudeOf(Math.max(Math.abs(stats.min[j]!), Math.abs(stats.max[j]!)));
    const d = declared[c];
    if (d !== undefined && !isMagnitude(d))
      throw new RangeError(`declared magnitude of "${c}" must be an integer in [${MIN_MAGNITUDE}, 62]`);
    const b = bounds[j];
    if (b !== undefined) {
      const e = boundsMagnitude(b);
      if (d !== undefined && d !== e)
        throw new InvalidBoundsError(
          c,
          `column "${c}": declared magnitude 2^${d} differs from 2^${e}, the magnitude of its bounds (declare one or the other)`,
        );
      return e;
    }
    if (d === undefined) return own;
    if (d < own)
      throw new RangeError(`column "${c}": declared magnitude 2^${d} is below the data's 2^${own}`);
    return d;
  });
}

/** Largest |lo| or |hi| of declared column bounds: 2^{@link MAX_MAGNITUDE}. */
export const MAX_BOUND = 2 ** MAX_MAGNITUDE;

/** Column bounds [lo, hi] (see ColumnInfo.bounds in ../types.ts). */
export type ColumnBounds = readonly [number, number];

/**
 * Why `b` is not valid column bounds, or undefined when it is: two finite numbers lo < hi with
 * |lo|, |hi| <= {@link MAX_BOUND}.
 */
export function boundsProblem(b: unknown): string | undefined {
  if (!Array.isArray(b) || b.length !== 2 || !b.every((x) => typeof x === 'number' && Number.isFinite(x)))
    return 'bounds must be two finite numbers [lo, hi]';
  const [lo, hi] = b as [number, number];
  if (!(lo < hi)) return 'the lower bound must be below the upper bound';
  if (Math.abs(lo) > MAX_BOUND || Math.abs(hi) > MAX_BOUND) return 'bounds must lie within ±2^62';
  return undefined;
}

/** Whether `b` is valid column bounds (see {@link boundsProblem}). */
export function isBounds(b: unknown): b is [number, number] {
  return boundsProblem(b) === undefined;
}

/** The magnitude a column with bounds [lo, hi] publishes: that of max(|lo|, |hi|). */
export function boundsMagnitude([lo, hi]: ColumnBounds): number {
  return magnitudeOf(Math.max(Math.abs(lo), Math.abs(hi)));
}

/**
 * Declared column bounds that are malformed, name no column, or do not hold the data. The message
 * names the column and, for data outside, the side and the bound (a public value), never a value
 * of the data.
 */
export class InvalidBoundsError extends Error {
  override readonly name = 'InvalidBoundsError';
  constructor(
    /** The column. */
    readonly column: string,
    message: string,
    /** For data outside the bounds: the side it crosses. */
    readonly side?: 'lower' | 'upper',
  ) {
    super(message);
  }
}

/**
 * Checks the entries of declared bounds (without the data): each names a column and is valid
 * bounds, or null (a removal). @throws {InvalidBoundsError} naming the column.
 */
export function checkBoundsEntries(
  columns: readonly string[],
  declared: Readonly<Record<string, ColumnBounds | null>>,
): void {
  for (const [c, b] of Object.entries(declared)) {
    if (!columns.includes(c))
      throw new InvalidBoundsError(c, `declared bounds for "${c}", which is not a column`);
    if (b === null) continue;
    const problem = boundsProblem(b);
    if (problem !== undefined) throw new InvalidBoundsError(c, `column "${c}": ${problem}`);
  }
}

/**
 * Checks declared bounds ({@link checkBoundsEntries}) and that the column's values (its smallest
 * `min[j]` and largest `max[j]`) lie within them. Returns each column's bounds (undefined: none or
 * null), in column order, with -0 as 0.
 * @throws {InvalidBoundsError} naming the column (and the side the data crosses).
 */
export function checkedBounds(
  columns: readonly string[],
  min: ArrayLike<number>,
  max: ArrayLike<number>,
  declared: Readonly<Record<string, ColumnBounds | null>> = {},
): Array<[number, number] | undefined> {
  checkBoundsEntries(columns, declared);
  return columns.map((c, j) => {
    const b = Object.hasOwn(declared, c) ? declared[c] : undefined;
    if (b === undefined || b === null) return undefined;
    const [lo, hi] = b;
    if (min[j]! < lo)
      throw new InvalidBoundsError(
        c,
        `column "${c}" has values below the declared lower bound ${lo}`,
        'lower',
      );
    if (max[j]! > hi)
      throw new InvalidBoundsError(
        c,
        `column "${c}" has values above the declared upper bound ${hi}`,
        'upper',
      );
    return [lo + 0, hi + 0];
  });
}

/** Each column's smallest and largest value, from row-major values (`columns` per row). */
export function columnRanges(
  values: ArrayLike<number>,
  columns: number,
): { min: Float64Array; max: Float64Array } {
  const min = new Float64Array(columns).fill(Infinity);
  const max = new Float64Array(columns).fill(-Infinity);
  for (let i = 0; i < values.length; i++) {
    const j = i % columns;
    const v = values[i]!;
    if (v < min[j]!) min[j] = v;
    if (v > max[j]!) max[j] = v;
  }
  return { min, max };
}
