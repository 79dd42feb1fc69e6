/**
 * The plaintext reference of the quantile op (test/jobs/quantile.test.ts): its definition
 * implemented literally on the column as held (scaled to its magnitude bound 2^e, in fixed point
 * with f = 16), numpy's 'inverted_cdf' as numpy computes it, and the test programs.
 */
import type { Params, Program } from '../../../src/jobs/program/types.js';

/** Fractional bits of the test jobs. */
export const F = 16;

/** The smallest e with max |x| <= 2^e (what a description publishes). */
export function magnitude(values: readonly number[]): number {
  return Math.ceil(Math.log2(Math.max(...values.map((v) => Math.abs(v)))));
}

/** The textbook rank: the smallest r with r / n >= q. */
export function rankOf(q: number, n: number): number {
  let r = 1;
  while (r / n < q) r++;
  return r;
}

/** A value as the column is held: scaled by 2^-(e-6), in integer units of 2^-f (encodeFixed rounds). */
export function held(v: number, e: number): number {
  return Math.round(v * 2 ** (6 - e) * 2 ** F);
}

/** The grid point of level q over held values, by plaintext bisection (the definition), in held units. */
export function gridPoint(units: readonly number[], q: number): number {
  const low = -(2 ** (6 + F));
  const r = rankOf(q, units.length);
  let [lo, hi] = [0, 2 ** (7 + F)]; // count(g_hi) >= r; g_lo is below the grid
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (units.filter((u) => u <= low + mid).length >= r) hi = mid;
    else lo = mid;
  }
  return low + hi;
}

/**
 * The reference: each level's grid point in natural units, or null where some source (an entry
 * of `bySource`: its values, repeats included) has fewer than k held values strictly below or
 * strictly above it (k = 0: never suppressed).
 */
export function reference(
  bySource: readonly number[][],
  qs: readonly number[],
  e: number,
  k = 0,
): (number | null)[] {
  const units = bySource.map((s) => s.map((v) => held(v, e)));
  const all = units.flat();
  return qs.map((q) => {
    const g = gridPoint(all, q);
    const ok = units.every((s) => s.filter((u) => u < g).length >= k && s.filter((u) => u > g).length >= k);
    return k > 0 && !ok ? null : g * 2 ** -F * 2 ** (e - 6);
  });
}

/** The rank numpy's 'inverted_cdf' takes: from the float index n*q - 1, the previous or the next. */
export function numpyRank(n: number, q: number): number {
  const index = n * q - 1;
  const previous = Math.floor(index);
  return Math.max(0, index === previous ? previous : previous + 1) + 1;
}

/** numpy.quantile(values, q, method='inverted_cdf'), as numpy computes it. */
export function numpyInvertedCdf(values: readonly number[], q: number): number {
  return [...values].sort((a, b) => a - b)[numpyRank(values.length, q) - 1]!;
}

/**
 * A program over inputs h1..hN (columns `columns`), their union in `union` order (input indices,
 * repeats allowed; one index: that input alone), and one quantile node per case.
 */
export function program(columns: string[], union: number[], cases: Record<string, Params>): Program {
  const names = [...new Set(union)].sort().map((i) => `h${i + 1}`);
  const table = union.length === 1 ? names[0]! : 'u';
  return {
    version: 1,
    inputs: names.map((name) => ({ name, columns })),
    nodes: [
      ...(union.length > 1 ? [{ id: 'u', op: 'union', args: union.map((i) => `h${i + 1}`) }] : []),
      ...Object.entries(cases).map(([id, params]) => ({ id, op: 'quantile', args: [table], params })),
    ],
    outputs: Object.keys(cases).map((id) => ({ name: id, node: id })),
  };
}
