/**
 * Column magnitudes: the smallest integer e with max |x| <= 2^e, which a dataset description
 * publishes per column so that statistics can scale each column into range (src/jobs scales).
 */

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
