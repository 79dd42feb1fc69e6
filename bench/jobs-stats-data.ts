/**
 * Synthetic tables and float64 references for the statistics rows of the jobs benchmark
 * (bench/jobs-stats.ts). Everything is deterministic (seeded), and every value is rounded to a few
 * decimals before it is written, so that the CSV an owner imports parses back to exactly the
 * doubles the references use.
 *
 * - `reg` (10,000 rows over three owners): 30 features of mixed units (dollars, years, ratios,
 *   grams...; pairwise correlated through a common factor whose mean differs by owner), targets
 *   `y10` and `y30` from known linear models of the first 10 and all 30 features plus noise, and
 *   `hit`, a 0/1 outcome of a known logistic model of the first 10.
 * - `big` (100,000 rows over three owners): `income_usd` (log-normal, in cents), `region` (codes
 *   1..10, unevenly spread) and three columns whose means depend on the region: `spend_usd`, `age`,
 *   `score`.
 */
import { invert } from '../src/jobs/reference.js';
import { writeFileSync } from 'node:fs';

/** A table: column names and row-major rows, per owner. */
export interface Table {
  columns: string[];
  /** Rows of each owner (the first parts.length owners of the network). */
  parts: number[][][];
}

/** The rows of all owners, in owner order (the order of the job's union). */
export function allRows(t: Table): number[][] {
  return t.parts.flat();
}

/** Writes one owner's part as CSV. */
export function writeCsv(path: string, t: Table, owner: number): void {
  const lines = t.parts[owner]!.map((r) => r.join(','));
  writeFileSync(path, [t.columns.join(','), ...lines].join('\n') + '\n');
}

/** mulberry32 uniforms in [0, 1) and Box-Muller normals. */
export function prng(seed: number): { u: () => number; n: () => number } {
  let a = seed >>> 0;
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return { u, n };
}

export const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;

/** Split of `rows` over `owners` owners (the first takes the remainder). */
export function split(rows: number, owners: number): number[] {
  const a = Math.floor(rows / owners);
  return Array.from({ length: owners }, (_, i) => (i === 0 ? rows - (owners - 1) * a : a));
}

/** The feature kinds of `reg`, cycled: name, mean, sd, decimals. */
const KINDS: [string, number, number, number][] = [
  ['income_usd', 52_000, 18_000, 2],
  ['age', 44, 13, 1],
  ['ratio', 0.35, 0.12, 4],
  ['visits', 6, 3, 2],
  ['balance_usd', 150_000, 90_000, 2],
  ['temp_c', 12, 9, 2],
  ['dist_km', 35, 20, 3],
  ['score', 0, 1, 4],
  ['rate_pct', 4.5, 1.5, 3],
  ['weight_g', 3_400, 500, 1],
];

/** Names of the 30 features of `reg`. */
export const REG_FEATURES = Array.from(
  { length: 30 },
  (_, j) => `x${String(j + 1).padStart(2, '0')}_${KINDS[j % KINDS.length]![0]}`,
);

/** Standardized effect of feature j (alternating signs, 0.3 to 0.8 standard deviations). */
const effect = (j: number): number => (j % 2 ? -1 : 1) * (0.3 + 0.05 * (j % 11));

/** The regression table (see the module comment), over `owners` owners. */
export function regTable(rows = 10_000, seed = 101, owners = 3): Table {
  const g = prng(seed);
  const parts = split(rows, owners).map((m, owner) =>
    Array.from({ length: m }, () => {
      const common = g.n() + 0.3 * (owner - 1);
      const z = REG_FEATURES.map(() => 0.5 * common + 0.85 * g.n());
      const x = z.map((v, j) => {
        const [, mean, sd, d] = KINDS[j % KINDS.length]!;
        return round(mean + sd * v, d);
      });
      // the models use the rounded features (standardized with the generating mean and sd)
      const zx = x.map((v, j) => (v - KINDS[j % KINDS.length]![1]) / KINDS[j % KINDS.length]![2]);
      const lin = (k: number): number => zx.slice(0, k).reduce((s, v, j) => s + effect(j) * v, 0);
      const y10 = round(500 + 40 * (lin(10) + 1.2 * g.n()), 2);
      const y30 = round(500 + 40 * (lin(30) + 2 * g.n()), 2);
      const eta = -0.4 + 0.6 * lin(10);
      const hit = g.u() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
      return [...x, y10, y30, hit];
    }),
  );
  return { columns: [...REG_FEATURES, 'y10', 'y30', 'hit'], parts };
}

/** Value columns of `big` that the groupBy averages. */
export const BIG_VALUES = ['spend_usd', 'age', 'score'];

/** The big table (see the module comment). */
export function bigTable(rows = 100_000, seed = 202): Table {
  const g = prng(seed);
  const parts = split(rows, 3).map((m, owner) =>
    Array.from({ length: m }, () => {
      const income = round(Math.exp(10.8 + 0.1 * owner + 0.6 * g.n()), 2);
      const region = 1 + Math.min(9, Math.floor(10 * g.u() ** 1.3));
      const spend = round(Math.abs(200 + 30 * region + 80 * g.n()), 2);
      const age = round(Math.min(95, Math.max(18, 30 + 1.5 * region + 12 * g.n())), 1);
      const score = round(0.5 + 0.02 * region + 0.1 * g.n(), 4);
      return [income, region, spend, age, score];
    }),
  );
  return { columns: ['income_usd', 'region', ...BIG_VALUES], parts };
}

// ------------------------------------------------------------------------ float64 references

/** Means and sample standard deviations of columns `cols` of `rows`, and the standardized rows. */
function standardize(rows: readonly number[][], cols: number[]) {
  const n = rows.length;
  const mean = cols.map((c) => rows.reduce((s, r) => s + r[c]!, 0) / n);
  const sd = cols.map((c, j) => Math.sqrt(rows.reduce((s, r) => s + (r[c]! - mean[j]!) ** 2, 0) / (n - 1)));
  const z = rows.map((r) => cols.map((c, j) => (r[c]! - mean[j]!) / sd[j]!));
  return { mean, sd, z };
}

/** Z^T diag(w) Z with a leading column of ones when `intercept`. */
function gram(z: readonly number[][], w?: readonly number[], intercept = false): number[][] {
  const k = z[0]!.length + (intercept ? 1 : 0);
  const out = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  z.forEach((row, r) => {
    const d = intercept ? [1, ...row] : row;
    const wr = w?.[r] ?? 1;
    for (let i = 0; i < k; i++) for (let j = 0; j <= i; j++) out[i]![j]! += wr * d[i]! * d[j]!;
  });
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) out[i]![j] = out[j]![i]!;
  return out;
}

const matVec = (m: readonly number[][], v: readonly number[]): number[] =>
  m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));

/** Least squares: coefficients and standard errors (intercept first), R², residual SE, VIFs. */
export interface OlsRef {
  coef: number[];
  se: number[];
  r2: number;
  rse: number;
  vif: number[];
}

/** OLS of column `target` on columns `features`, solved on centred, standardized features. */
export function refOls(rows: readonly number[][], features: number[], target: number): OlsRef {
  const n = rows.length;
  const k = features.length;
  const { mean, sd, z } = standardize(rows, features);
  const y = rows.map((r) => r[target]!);
  const my = y.reduce((s, v) => s + v, 0) / n;
  const inv = invert(gram(z));
  const zty = features.map((_, j) => z.reduce((s, row, r) => s + row[j]! * (y[r]! - my), 0));
  const b = matVec(inv, zty);
  const slopes = b.map((v, j) => v / sd[j]!);
  const intercept = my - slopes.reduce((s, v, j) => s + v * mean[j]!, 0);
  const rss = rows.reduce(
    (s, _, r) => s + (y[r]! - my - z[r]!.reduce((a, v, j) => a + v * b[j]!, 0)) ** 2,
    0,
  );
  const tss = y.reduce((s, v) => s + (v - my) ** 2, 0);
  const sigma2 = rss / (n - k - 1);
  const u = mean.map((m, j) => m / sd[j]!);
  const invU = matVec(inv, u);
  const se0 = Math.sqrt(sigma2 * (1 / n + u.reduce((s, ui, i) => s + ui * invU[i]!, 0)));
  return {
    coef: [intercept, ...slopes],
    se: [se0, ...slopes.map((_, j) => Math.sqrt(sigma2 * inv[j]![j]!) / sd[j]!)],
    r2: 1 - rss / tss,
    rse: Math.sqrt(sigma2),
    vif: features.map((_, j) => inv[j]![j]! * (n - 1)),
  };
}

/** Logistic regression: coefficients and standard errors (intercept first), Newton iterations. */
export interface LogitRef {
  coef: number[];
  se: number[];
  iterations: number;
}

/** Maximum-likelihood logistic regression by Newton on standardized features (step < 1e-12). */
export function refLogit(rows: readonly number[][], features: number[], target: number): LogitRef {
  const k = features.length;
  const { mean, sd, z } = standardize(rows, features);
  const y = rows.map((r) => r[target]!);
  let b = new Array<number>(k + 1).fill(0);
  let inv: number[][] = [];
  let iterations = 0;
  while (iterations++ < 100) {
    const mu = z.map((row) => 1 / (1 + Math.exp(-(b[0]! + row.reduce((s, v, j) => s + v * b[j + 1]!, 0)))));
    inv = invert(
      gram(
        z,
        mu.map((m) => m * (1 - m)),
        true,
      ),
    );
    const g = new Array<number>(k + 1).fill(0);
    z.forEach((row, r) => {
      g[0]! += y[r]! - mu[r]!;
      row.forEach((v, j) => (g[j + 1]! += v * (y[r]! - mu[r]!)));
    });
    const step = matVec(inv, g);
    b = b.map((v, i) => v + step[i]!);
    if (Math.max(...step.map(Math.abs)) < 1e-12) break;
  }
  const slopes = b.slice(1).map((v, j) => v / sd[j]!);
  const a = [1, ...mean.map((m, j) => -m / sd[j]!)];
  const invA = matVec(inv, a);
  return {
    coef: [b[0]! - slopes.reduce((s, v, j) => s + v * mean[j]!, 0), ...slopes],
    se: [
      Math.sqrt(a.reduce((s, ai, i) => s + ai * invA[i]!, 0)),
      ...slopes.map((_, j) => Math.sqrt(inv[j + 1]![j + 1]!) / sd[j]!),
    ],
    iterations,
  };
}

/** Type-1 quantiles (numpy 'inverted_cdf'): the ceil(q n)-th smallest value. */
export function refQuantiles(values: readonly number[], qs: readonly number[]): number[] {
  const s = [...values].sort((a, b) => a - b);
  return qs.map((q) => {
    const p = q * s.length;
    const r = Math.abs(p - Math.round(p)) < 1e-9 * Math.max(1, p) ? Math.round(p) : Math.ceil(p);
    return s[Math.min(s.length, Math.max(1, r)) - 1]!;
  });
}

/** Per level of column `by`, the means of columns `cols` ([levels x cols], row-major). */
export function refGroupMeans(
  rows: readonly number[][],
  by: number,
  levels: number[],
  cols: number[],
): number[] {
  return levels.flatMap((l) => {
    const inLevel = rows.filter((r) => r[by] === l);
    return cols.map((c) => inLevel.reduce((s, r) => s + r[c]!, 0) / inLevel.length);
  });
}

/**
 * Largest |got - want| / |want| over the pairs (a null or a missing value counts as Infinity).
 * The bench only compares values that cannot be near 0 (see the cases).
 */
export function maxRelErr(got: readonly (number | null | undefined)[], want: readonly number[]): number {
  let worst = got.length === want.length ? 0 : Infinity;
  want.forEach((w, i) => {
    const g = got[i];
    worst = Math.max(worst, typeof g === 'number' ? Math.abs(g - w) / Math.abs(w) : Infinity);
  });
  return worst;
}
