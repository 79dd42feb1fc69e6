/** Deterministic synthetic tables and plaintext reference statistics for executor tests. */

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw. */
export function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** `rows` patients with correlated age, bmi, sbp (row-major). */
export function patients(rows: number, seed: number): number[][] {
  const r = rng(seed);
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const age = 50 + 12 * normal(r);
    const bmi = 27 + 0.05 * (age - 50) + 4 * normal(r);
    const sbp = 90 + 0.5 * age + 0.9 * bmi + 9 * normal(r);
    out.push([round2(age), round2(bmi), round2(sbp)]);
  }
  return out;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Column means. */
export function means(rows: number[][]): number[] {
  const p = rows[0]!.length;
  return Array.from({ length: p }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length);
}

/** Covariance matrix (ddof). */
export function cov(rows: number[][], ddof = 1): number[][] {
  const m = means(rows);
  const p = m.length;
  const c = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (const r of rows)
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) c[i]![j]! += (r[i]! - m[i]!) * (r[j]! - m[j]!);
  return c.map((row) => row.map((v) => v / (rows.length - ddof)));
}

/**
 * Largest error of `actual` (a covariance, row-major) against the reference `c`, each element's
 * relative to sqrt(c_ii c_jj): the measure docs/JOBS.md states the covariance's bound in (1e-3).
 * An element's error relative to itself is no bound: a covariance near 0 keeps only the absolute
 * precision of the columns' scale.
 */
export function covarianceError(actual: readonly (number | null)[], c: number[][]): number {
  const p = c.length;
  let worst = 0;
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      const err = Math.abs(actual[i * p + j]! - c[i]![j]!) / Math.sqrt(c[i]![i]! * c[j]![j]!);
      worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
    }
  return worst;
}

/** Correlation matrix. */
export function corr(rows: number[][]): number[][] {
  const c = cov(rows);
  return c.map((row, i) => row.map((v, j) => v / Math.sqrt(c[i]![i]! * c[j]![j]!)));
}

/** The same gradient descent as the linreg op, in float64: [intercept, coefficients]. */
export function linregGd(
  rows: number[][],
  features: number[],
  target: number,
  epochs: number,
  lr: number,
): number[] {
  const cols = [...features, target];
  const sub = rows.map((r) => cols.map((c) => r[c]!));
  const c = corr(sub);
  const cv = cov(sub);
  const m = means(sub);
  const k = features.length;
  let w = new Array<number>(k).fill(0);
  for (let t = 0; t < epochs; t++) {
    w = w.map((wi, i) => wi - lr * (c[i]!.slice(0, k).reduce((s, g, j) => s + g * w[j]!, 0) - c[i]![k]!));
  }
  const sdY = Math.sqrt(cv[k]![k]!);
  const beta = w.map((wi, i) => (wi * sdY) / Math.sqrt(cv[i]![i]!));
  return [m[k]! - beta.reduce((s, b, i) => s + b * m[i]!, 0), ...beta];
}

/** Ordinary least squares by the normal equations (small k), for reference: [intercept, coefficients]. */
export function ols(rows: number[][], features: number[], target: number): number[] {
  const X = rows.map((r) => [1, ...features.map((f) => r[f]!)]);
  const y = rows.map((r) => r[target]!);
  const k = X[0]!.length;
  const A = Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => X.reduce((s, x) => s + x[i]! * x[j]!, 0)),
  );
  const b = Array.from({ length: k }, (_, i) => X.reduce((s, x, n) => s + x[i]! * y[n]!, 0));
  // Gaussian elimination
  for (let i = 0; i < k; i++) {
    for (let r = i + 1; r < k; r++) {
      const f = A[r]![i]! / A[i]![i]!;
      for (let c = i; c < k; c++) A[r]![c]! -= f * A[i]![c]!;
      b[r]! -= f * b[i]!;
    }
  }
  const x = new Array<number>(k).fill(0);
  for (let i = k - 1; i >= 0; i--)
    x[i] = (b[i]! - A[i]!.slice(i + 1).reduce((s, a, j) => s + a * x[i + 1 + j]!, 0)) / A[i]![i]!;
  return x;
}
