/**
 * Logistic regression in float64 for the logit tests, independently of the MPC method: Newton on
 * the uncentred design [1, X] until the step is below 1e-12, standard errors from the inverse
 * observed information, normal p-values by Simpson's rule on the normal density.
 */
import { invert } from './ols-reference.js';

/** A fitted logistic model. */
export interface LogitReference {
  coef: number[];
  se: number[];
  z: number[];
  p: number[];
  iterations: number;
}

/** Two-sided normal p-value of z by Simpson's rule. */
export function normalP(z: number): number {
  const f = (x: number): number => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  const n = 20_000;
  const h = Math.abs(z) / n;
  let s = f(0) + f(Math.abs(z));
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return Math.max(0, 1 - (2 * s * h) / 3);
}

/** Maximum-likelihood logistic regression of 0/1 column `target` on `features`. */
export function refLogit(rows: readonly number[][], features: number[], target: number): LogitReference {
  const k = features.length;
  const design = rows.map((r) => [1, ...features.map((j) => r[j]!)]);
  const y = rows.map((r) => r[target]!);
  let b = new Array<number>(k + 1).fill(0);
  let inv: number[][] = [];
  let iterations = 0;
  for (; iterations < 100; iterations++) {
    const mu = design.map((d) => 1 / (1 + Math.exp(-d.reduce((s, v, j) => s + v * b[j]!, 0))));
    const h = Array.from({ length: k + 1 }, (_, i) =>
      Array.from({ length: k + 1 }, (_, j) =>
        design.reduce((s, d, r) => s + d[i]! * d[j]! * mu[r]! * (1 - mu[r]!), 0),
      ),
    );
    const g = Array.from({ length: k + 1 }, (_, i) =>
      design.reduce((s, d, r) => s + d[i]! * (y[r]! - mu[r]!), 0),
    );
    inv = invert(h);
    const step = inv.map((row) => row.reduce((s, v, j) => s + v * g[j]!, 0));
    b = b.map((v, i) => v + step[i]!);
    if (Math.max(...step.map(Math.abs)) < 1e-12) break;
  }
  const se = inv.map((row, i) => Math.sqrt(row[i]!));
  const z = b.map((c, i) => c / se[i]!);
  return { coef: b, se, z, p: z.map(normalP), iterations };
}

/** Breast cancer rows (569 x [30 features, class 0 malignant / 1 benign]) from test/data. */
export async function breastCancer(): Promise<number[][]> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(new URL('../../data/breast_cancer.csv', import.meta.url), 'utf8');
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
}
