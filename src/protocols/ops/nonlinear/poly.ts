/**
 * Polynomial approximation on t ∈ [0, 1] and its evaluation on fixed-point shares.
 *
 * Fit: interpolation at the degree+1 Chebyshev nodes of [0, 1] (close to the minimax polynomial),
 * solved in float64 for monomial coefficients in t; computed once per function and cached.
 *
 * Evaluation of sum_k c_k t^k on a share t with 0 <= t <= 1: the powers t^2..t^d by a product tree
 * (level L computes t^(2^(L-1)+1..2^L) from the powers before it, one batched mulTrunc per level:
 * ceil(log2 d) levels), then sum_k t^k * round(c_k * 2^(f+e)) locally and one truncation by
 * inBits+e (e = 4 extra bits keep the coefficients' rounding below 2^-(f+4)), plus c_0. t may carry
 * a few more fractional bits than the result (inBits > f) to cut the powers' rounding. Rounds (rep3):
 * 2 * ceil(log2 d) + 1. Error: the fit's error (tabulated in docs/ML.md) plus about
 * (1 + sum |c_k|) ulp of rounding.
 */
import type { Protocol, Share } from '../../protocol.js';
import { fixedWord, mulTruncMany } from './common.js';

const EXTRA_BITS = 4;
const cache = new Map<string, number[]>();

/** Monomial coefficients c_0..c_d of the Chebyshev interpolant of `fn` on [0, 1] (cached under `key`). */
export function fitPolynomial(key: string, fn: (t: number) => number, degree: number): number[] {
  const id = `${key}/${degree}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const n = degree + 1;
  const nodes = Array.from({ length: n }, (_, k) => 0.5 + 0.5 * Math.cos(((2 * k + 1) * Math.PI) / (2 * n)));
  // Vandermonde system V c = fn(nodes), Gaussian elimination with partial pivoting.
  const a = nodes.map((x) => [...Array.from({ length: n }, (_, j) => x ** j), fn(x)]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[piv]![col]!)) piv = r;
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const m = a[r]![col]! / a[col]![col]!;
      for (let c = col; c <= n; c++) a[r]![c]! -= m * a[col]![c]!;
    }
  }
  const coeffs = a.map((row, i) => row[n]! / row[i]!);
  cache.set(id, coeffs);
  return coeffs;
}

/** Evaluates the plain polynomial (float64), for error estimates. */
export function polyValue(coeffs: readonly number[], t: number): number {
  let s = 0;
  for (let k = coeffs.length - 1; k >= 0; k--) s = s * t + coeffs[k]!;
  return s;
}

/**
 * sum_k coeffs[k] * t^k on a fixed-point share t with `inBits` fractional bits (default f; 0 <= t <= 1
 * for the stated error; any shape); the result has f fractional bits.
 */
export async function evalPolynomial<S extends Share>(
  p: Protocol<S>,
  t: S,
  coeffs: readonly number[],
  f: number,
  inBits = f,
): Promise<S> {
  const d = coeffs.length - 1;
  const pw: S[] = [t]; // pw[k-1] = t^k
  while (pw.length < d) {
    const have = pw.length;
    const want = Math.min(d, 2 * have);
    const level: [S, S][] = [];
    for (let k = have + 1; k <= want; k++) level.push([pw[have - 1]!, pw[k - have - 1]!]);
    pw.push(...(await mulTruncMany(p, level, inBits)));
  }
  let acc: S | undefined;
  for (let k = 1; k <= d; k++) {
    const term = p.mulPublic(pw[k - 1]!, fixedWord(coeffs[k]!, f + EXTRA_BITS));
    acc = acc === undefined ? term : p.add(acc, term);
  }
  const value = acc === undefined ? p.mulPublic(t, 0n) : await p.truncate(acc, inBits + EXTRA_BITS);
  return p.addPublic(value, fixedWord(coeffs[0]!, f));
}
