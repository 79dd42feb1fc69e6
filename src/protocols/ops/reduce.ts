/**
 * Reductions over any protocol: sum (local, exact in the ring) and mean along an axis.
 *
 * mean = sum * c / 2^(f+e) with c = round(2^(f+e) / n) and e = ceil(log2 n) extra bits: one
 * mulPublic and one truncation by f+e (1 round on rep3). Error: |c/2^(f+e) - 1/n| <= 2^-(f+e+1), so
 * the mean is off by at most |mean| * 2^-(f+1) plus 1 ulp (2^-f) from the truncation. The
 * intermediate sum * c is about |mean| * 2^(2f+e): it must stay below 2^62 (so |mean| < 2^(30-e)
 * for f = 16), and the truncation's failure probability is about |mean| * 2^(2f+e-64).
 */
import { normalizeAxis } from '../../tensor/index.js';
import type { Protocol, Share } from '../protocol.js';

/** Sum along `axis` (all elements when undefined). Exact; no communication. */
export function sum<S extends Share>(p: Protocol<S>, x: S, axis?: number, keepDims = false): S {
  return p.sum(x, axis, keepDims);
}

/** Mean along `axis` (all elements when undefined) of fixed-point values with f fractional bits. */
export async function mean<S extends Share>(
  p: Protocol<S>,
  x: S,
  axis: number | undefined,
  f: number,
  keepDims = false,
): Promise<S> {
  const n =
    axis === undefined ? x.shape.reduce((a, b) => a * b, 1) : x.shape[normalizeAxis(axis, x.shape.length)]!;
  if (n === 0) throw new RangeError('mean of an empty axis');
  const s = p.sum(x, axis, keepDims);
  if (n === 1) return s;
  const e = Math.ceil(Math.log2(n));
  const c = BigInt(Math.round(2 ** (f + e) / n));
  return p.truncate(p.mulPublic(s, c), f + e);
}
