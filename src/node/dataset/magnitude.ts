/**
 * Column magnitudes: the smallest integer e with max |x| <= 2^e, which a dataset description
 * publishes per column so that statistics can scale each column into range (src/jobs scales).
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
 * Each column's magnitude: the data's own, or a larger one the owner declared (a domain bound
 * discloses nothing data-dependent).
 * @throws RangeError naming a column whose declaration is below the data's magnitude, or unknown.
 */
export function declaredMagnitudes(
  columns: string[],
  stats: ColumnStats,
  declared: Readonly<Record<string, number>> = {},
): number[] {
  for (const c of Object.keys(declared))
    if (!columns.includes(c)) throw new RangeError(`declared magnitude for "${c}", which is not a column`);
  return columns.map((c, j) => {
    const own =
      stats.count === 0
        ? MIN_MAGNITUDE
        : magnitudeOf(Math.max(Math.abs(stats.min[j]!), Math.abs(stats.max[j]!)));
    const d = declared[c];
    if (d === undefined) return own;
    if (!isMagnitude(d))
      throw new RangeError(`declared magnitude of "${c}" must be an integer in [${MIN_MAGNITUDE}, 62]`);
    if (d < own)
      throw new RangeError(`column "${c}": declared magnitude 2^${d} is below the data's 2^${own}`);
    return d;
  });
}
