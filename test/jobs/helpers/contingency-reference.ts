/**
 * Plaintext references for the contingency and chi-square tests: the suppression rule of
 * src/jobs/executor/contingency.ts written out directly, Pearson's statistic in float64, its stated
 * error bound, and an upper-tail p-value by numerical integration (independent of stdlib).
 */
import { chiSquarePlan, RECIPROCAL_RELATIVE_ERROR } from '../../../src/jobs/executor/chi-square.js';

/** One table spec: row and column code positions and levels. */
export interface TableSpec {
  /** Index of the row code in a row. */
  rowAt: number;
  /** Index of the column code in a row. */
  colAt: number;
  rowLevels: number[];
  columnLevels: number[];
}

/** The level index of a code: l with code in [l - 1/2, l + 1/2), else -1. */
export function levelOf(code: number, levels: readonly number[]): number {
  return levels.findIndex((l) => code >= l - 0.5 && code < l + 0.5);
}

/** Per input (in `union` order, repeated inputs adding up): counts, level rows and row count. */
function perInput(tables: number[][][], union: readonly number[], spec: TableSpec) {
  const [r, c] = [spec.rowLevels.length, spec.columnLevels.length];
  const per = new Map<number, { cells: number[]; rows: number[]; cols: number[]; n: number }>();
  for (const s of union) {
    const e = per.get(s) ?? {
      cells: new Array(r * c).fill(0),
      rows: new Array(r).fill(0),
      cols: new Array(c).fill(0),
      n: 0,
    };
    per.set(s, e);
    for (const row of tables[s]!) {
      const i = levelOf(row[spec.rowAt]!, spec.rowLevels);
      const j = levelOf(row[spec.colAt]!, spec.columnLevels);
      if (i >= 0) e.rows[i]!++;
      if (j >= 0) e.cols[j]!++;
      if (i >= 0 && j >= 0) e.cells[i * c + j]!++;
      e.n++;
    }
  }
  return [...per.values()];
}

/** Whether a remainder is allowed: none, or at least k rows. */
const fine = (left: number, k: number): boolean => left === 0 || left >= k;

/**
 * The released cells (row-major, null when suppressed) of a contingency table of the union of
 * `tables` in `union` order, with minCount k (0: exact counts).
 */
export function referenceTable(
  tables: number[][][],
  union: readonly number[],
  spec: TableSpec,
  k: number,
): (number | null)[] {
  const per = perInput(tables, union, spec);
  const [r, c] = [spec.rowLevels.length, spec.columnLevels.length];
  const total = Array.from({ length: r * c }, (_, x) => per.reduce((t, e) => t + e.cells[x]!, 0));
  if (k === 0) return total;
  const keep = total.map((_, x) => per.every((e) => e.cells[x]! >= k));
  const kept = (e: (typeof per)[number], x: number): number => (keep[x] ? e.cells[x]! : 0);
  const ok = per.every((e) => {
    const all = e.n - e.cells.reduce((t, _, x) => t + kept(e, x), 0);
    const rows = e.rows.map(
      (v, i) => v - Array.from({ length: c }, (_, j) => kept(e, i * c + j)).reduce((a, b) => a + b, 0),
    );
    const cols = e.cols.map(
      (v, j) => v - Array.from({ length: r }, (_, i) => kept(e, i * c + j)).reduce((a, b) => a + b, 0),
    );
    return [all, ...rows, ...cols].every((left) => fine(left, k));
  });
  return total.map((v, x) => (keep[x] && ok ? v : null));
}

/** Pearson's statistic of counts O (row-major, r x c) in float64, with margins and E. */
export function pearson(
  o: readonly number[],
  r: number,
  c: number,
): { chi2: number; rows: number[]; cols: number[]; n: number } {
  const rows = Array.from({ length: r }, (_, i) => o.slice(i * c, (i + 1) * c).reduce((a, b) => a + b, 0));
  const cols = Array.from({ length: c }, (_, j) => rows.reduce((t, _, i) => t + o[i * c + j]!, 0));
  const n = rows.reduce((a, b) => a + b, 0);
  let chi2 = 0;
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) {
      const e = (rows[i]! * cols[j]!) / n;
      chi2 += (o[i * c + j]! - e) ** 2 / e;
    }
  return { chi2, rows, cols, n };
}

/** The stated error bound of the MPC statistic (src/jobs/executor/chi-square.ts) for counts O. */
export function chiSquareBound(o: readonly number[], r: number, c: number, tableRows: number): number {
  const { chi2, rows, cols, n } = pearson(o, r, c);
  const { q, g } = chiSquarePlan(tableRows, r, c);
  let spread = 0;
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) {
      const dev = Math.abs(o[i * c + j]! - (rows[i]! * cols[j]!) / n);
      spread += dev * (2 ** (1 - q) / rows[i]! + (2 ** (1 - q) + n * 2 ** -g) / cols[j]!);
    }
  return (
    3.01 * RECIPROCAL_RELATIVE_ERROR * chi2 + 1.03 * spread + r * c * 2 ** (2 - q) * (2 ** (1 - q) + 2 ** -g)
  );
}

/** ln Γ(k / 2) for a positive integer k (exact recurrences from Γ(1) = 1, Γ(1/2) = √π). */
function lnGammaHalf(k: number): number {
  let v = k % 2 === 0 ? 0 : 0.5 * Math.log(Math.PI);
  for (let z = k % 2 === 0 ? 1 : 0.5; z < k / 2; z++) v += Math.log(z);
  return v;
}

/**
 * P(X >= x), X ~ chi-square(df), by Simpson's rule in u = sqrt(t) (the density times 2u is smooth
 * even for df = 1) on [sqrt(x), sqrt(x + 80 + 40 sqrt(df))]; no stdlib.
 */
export function tailByIntegral(x: number, df: number): number {
  const f = (u: number): number =>
    u <= 0
      ? df === 1
        ? 2 * Math.exp(-0.5 * Math.log(2) - lnGammaHalf(1))
        : 0
      : 2 * Math.exp((df - 1) * Math.log(u) - (u * u) / 2 - (df / 2) * Math.log(2) - lnGammaHalf(df));
  const lo = Math.sqrt(Math.max(0, x));
  const hi = Math.sqrt(Math.max(0, x) + 80 + 40 * Math.sqrt(df));
  const steps = 20_000;
  const h = (hi - lo) / steps;
  let s = f(lo) + f(hi);
  for (let i = 1; i < steps; i++) s += (i % 2 === 1 ? 4 : 2) * f(lo + i * h);
  return (s * h) / 3;
}
