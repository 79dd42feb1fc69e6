/**
 * Plaintext reference statistics in float64, computed the way the MPC ops define them: what a job's
 * result is compared with (tests, the demo, the benchmark). Rows are row-major arrays of numbers.
 */
import { LINREG_DEFAULT_EPOCHS, linregLearningRate } from './program/ops-stats.js';

/** Column means. */
export function refMeans(rows: readonly number[][]): number[] {
  const p = rows[0]!.length;
  const out = new Array<number>(p).fill(0);
  for (const r of rows) for (let j = 0; j < p; j++) out[j]! += r[j]!;
  return out.map((s) => s / rows.length);
}

/** Covariance matrix with `ddof` (1: sample). */
export function refCovariance(rows: readonly number[][], ddof = 1): number[][] {
  const m = refMeans(rows);
  const p = m.length;
  const c = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (const r of rows) {
    for (let i = 0; i < p; i++) {
      const di = r[i]! - m[i]!;
      for (let j = 0; j < p; j++) c[i]![j]! += di * (r[j]! - m[j]!);
    }
  }
  return c.map((row) => row.map((v) => v / (rows.length - ddof)));
}

/** Pearson correlation matrix. */
export function refCorrelation(rows: readonly number[][]): number[][] {
  const c = refCovariance(rows);
  return c.map((row, i) => row.map((v, j) => (i === j ? 1 : v / Math.sqrt(c[i]![i]! * c[j]![j]!))));
}

/**
 * The `linreg` op in float64: gradient descent on the correlation matrix of [features, target],
 * mapped back to original units: [intercept, coefficients].
 */
export function refLinregGd(
  rows: readonly number[][],
  features: readonly number[],
  target: number,
  epochs = LINREG_DEFAULT_EPOCHS,
  learningRate = linregLearningRate(features.length),
): number[] {
  const cols = [...features, target];
  const sub = rows.map((r) => cols.map((c) => r[c]!));
  const corr = refCorrelation(sub);
  const cov = refCovariance(sub);
  const m = refMeans(sub);
  const k = features.length;
  let w = new Array<number>(k).fill(0);
  for (let t = 0; t < epochs; t++) {
    w = w.map(
      (wi, i) =>
        wi - learningRate * (corr[i]!.slice(0, k).reduce((s, g, j) => s + g * w[j]!, 0) - corr[i]![k]!),
    );
  }
  const sdY = Math.sqrt(cov[k]![k]!);
  const beta = w.map((wi, i) => (wi * sdY) / Math.sqrt(cov[i]![i]!));
  return [m[k]! - beta.reduce((s, b, i) => s + b * m[i]!, 0), ...beta];
}

/** Ordinary least squares by the normal equations: [intercept, coefficients]. */
export function refOls(rows: readonly number[][], features: readonly number[], target: number): number[] {
  const x = rows.map((r) => [1, ...features.map((f) => r[f]!)]);
  const y = rows.map((r) => r[target]!);
  const k = x[0]!.length;
  const a = Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => x.reduce((s, xr) => s + xr[i]! * xr[j]!, 0)),
  );
  const b = Array.from({ length: k }, (_, i) => x.reduce((s, xr, n) => s + xr[i]! * y[n]!, 0));
  for (let i = 0; i < k; i++) {
    for (let r = i + 1; r < k; r++) {
      const f = a[r]![i]! / a[i]![i]!;
      for (let c = i; c < k; c++) a[r]![c]! -= f * a[i]![c]!;
      b[r]! -= f * b[i]!;
    }
  }
  const out = new Array<number>(k).fill(0);
  for (let i = k - 1; i >= 0; i--) {
    out[i] = (b[i]! - a[i]!.slice(i + 1).reduce((s, v, j) => s + v * out[i + 1 + j]!, 0)) / a[i]![i]!;
  }
  return out;
}

/** The inverse of a square matrix in float64 (Gauss-Jordan with partial pivoting). */
export function invert(a: readonly number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) piv = r;
    [m[c], m[piv]] = [m[piv]!, m[c]!];
    const d = m[c]![c]!;
    for (let j = 0; j < 2 * n; j++) m[c]![j]! /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      if (f !== 0) for (let j = 0; j < 2 * n; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return m.map((row) => row.slice(n));
}
