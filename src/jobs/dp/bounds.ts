/**
 * Public column bounds as the DP plan reads them: per program input and column, the declared
 * [lo, hi]; their ring encoding; and the hull over the inputs a table column's rows come from.
 */
import type { ValueType } from '../program/value-type.js';

/** Largest row count of a DP variance or fit: n * 2^44 (squared encodings at ±2^6 scale) stays below 2^62. */
export const DP_MOMENT_MAX_ROWS = 2 ** 18;

/** Public bounds per program input, per column name (null: none declared). */
export type InputBounds = Record<string, Record<string, readonly [number, number] | null>>;

/** A column's clip bounds in its ring encoding: round(v * 2^(f - e)). */
export function encodedBounds(lo: number, hi: number, exp: number, f: number): [bigint, bigint] {
  const s = 2 ** (f - exp);
  return [BigInt(Math.round(lo * s)), BigInt(Math.round(hi * s))];
}

/**
 * Hull of the bounds of column j of table `t` over the inputs its segments come from, and m, how
 * many times a row of one input appears in the column; or a reason naming the column without.
 */
export function columnBounds(
  t: ValueType,
  j: number,
  bounds: InputBounds,
): { lo: number; hi: number; m: number } | string {
  const column = t.columns![j]!;
  let lo = Infinity;
  let hi = -Infinity;
  const per = new Map<string, number>();
  for (const seg of t.segments![j]!) {
    const b = bounds[seg.source]?.[column];
    if (b === undefined || b === null)
      return `column ${column} of input ${seg.source} declares no bounds (dataset update --bounds)`;
    lo = Math.min(lo, b[0]);
    hi = Math.max(hi, b[1]);
    per.set(seg.source, (per.get(seg.source) ?? 0) + 1);
  }
  return { lo, hi, m: Math.max(1, ...per.values()) };
}

/** max - min of a * b over a in [alo, ahi], b in [blo, bhi] (a square when both are one column). */
export function productRange(alo: bigint, ahi: bigint, blo: bigint, bhi: bigint, square: boolean): bigint {
  if (square) {
    const max = alo * alo > ahi * ahi ? alo * alo : ahi * ahi;
    const min = alo <= 0n && ahi >= 0n ? 0n : alo * alo < ahi * ahi ? alo * alo : ahi * ahi;
    return max - min;
  }
  const corners = [alo * blo, alo * bhi, ahi * blo, ahi * bhi];
  const max = corners.reduce((a, b) => (b > a ? b : a));
  const min = corners.reduce((a, b) => (b < a ? b : a));
  return max - min;
}

/** Largest |value| of an encoded interval. */
export function maxAbs([lo, hi]: readonly [bigint, bigint]): bigint {
  const a = lo < 0n ? -lo : lo;
  const b = hi < 0n ? -hi : hi;
  return a > b ? a : b;
}

/**
 * Why n products of encodings of at most `a` and `b` could overflow the exact sum (|sum| < 2^62)
 * or give no sensitivity (an interval narrower than one encoding unit), or undefined.
 */
export function productProblem(
  n: number,
  a: readonly [bigint, bigint],
  b: readonly [bigint, bigint],
): string | undefined {
  if (!(a[1] > a[0]) || !(b[1] > b[0])) return 'bounds narrower than the resolution of the encoding';
  if (BigInt(n) * maxAbs(a) * maxAbs(b) >= 1n << 62n)
    return 'the products of its bounds summed over its rows would overflow';
  return undefined;
}

/**
 * One row's move of floor(sum / 2^f) when it moves the sum by at most `range`: floor(range / 2^f)
 * + 2 (the truncations of rep3 and additive return floor or floor + 1 of the exact quotient).
 */
export function truncatedRange(range: bigint, f: number): number {
  return Number(range >> BigInt(f)) + 2;
}
