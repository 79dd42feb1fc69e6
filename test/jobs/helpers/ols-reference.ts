/**
 * Least squares in float64 for the OLS tests, computed independently of the MPC method: the normal
 * equations of the uncentred design [1, X] solved by Gauss-Jordan elimination with partial
 * pivoting, standard errors from sigma^2 (X^T X)^-1, p-values by Simpson's rule.
 */
import { invert } from '../../../src/jobs/reference.js';
import { simpsonP } from './t-dist.js';

export { invert };

/** A fitted model and its summary. */
export interface OlsReference {
  coef: number[];
  se: number[];
  t: number[];
  p: number[];
  r2: number;
  adjR2: number;
  rse: number;
  f: number;
  df: number;
  vif: number[];
}

/** OLS of column `target` on columns `features` of `rows` (VIFs only when `vifs`). */
export function refOls(
  rows: readonly number[][],
  features: number[],
  target: number,
  vifs = true,
): OlsReference {
  const n = rows.length;
  const k = features.length;
  const design = rows.map((r) => [1, ...features.map((j) => r[j]!)]);
  const y = rows.map((r) => r[target]!);
  const xtx = Array.from({ length: k + 1 }, (_, i) =>
    Array.from({ length: k + 1 }, (_, j) => design.reduce((s, d) => s + d[i]! * d[j]!, 0)),
  );
  const xty = Array.from({ length: k + 1 }, (_, i) => design.reduce((s, d, r) => s + d[i]! * y[r]!, 0));
  const inv = invert(xtx);
  const coef = inv.map((row) => row.reduce((s, v, j) => s + v * xty[j]!, 0));
  const resid = design.map((d, r) => y[r]! - d.reduce((s, v, j) => s + v * coef[j]!, 0));
  const rss = resid.reduce((s, e) => s + e * e, 0);
  const my = y.reduce((s, v) => s + v, 0) / n;
  const tss = y.reduce((s, v) => s + (v - my) ** 2, 0);
  const df = n - k - 1;
  const sigma2 = rss / df;
  const se = inv.map((row, i) => Math.sqrt(sigma2 * row[i]!));
  const t = coef.map((c, i) => c / se[i]!);
  const r2 = 1 - rss / tss;
  // VIF_j = 1 / (1 - R_j^2), R_j^2 of feature j on the others
  const vif = features.map((_, j) => {
    if (k === 1 || !vifs) return 1;
    const others = features.filter((_, i) => i !== j);
    return 1 / (1 - refOls(rows, others, features[j]!, false).r2);
  });
  return {
    coef,
    se,
    t,
    p: t.map((v) => simpsonP(v, df)),
    r2,
    adjR2: 1 - ((1 - r2) * (n - 1)) / df,
    rse: Math.sqrt(sigma2),
    f: r2 / k / ((1 - r2) / df),
    df,
    vif,
  };
}

/** The rows of test/data/diabetes.csv (442 x [10 features, y]) and its header. */
export async function diabetes(): Promise<{ columns: string[]; rows: number[][] }> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(new URL('../../data/diabetes.csv', import.meta.url), 'utf8');
  const [head, ...lines] = text.trim().split('\n');
  return { columns: head!.split(','), rows: lines.map((l) => l.split(',').map(Number)) };
}
