/**
 * One-hot membership of each row in each public level of a column, inside the MPC (used by
 * `groupBy`; generic: any op that needs [x == level] for public levels can take it).
 *
 * [x == l] = [x >= l - 1/2] - [x >= l + 1/2]: one comparison of every row against every distinct
 * threshold l ± 1/2 (adjacent levels share one), then a local difference of two columns per level.
 * Thresholds are scaled like the column (held as x / 2^exp: see scaledEdges in
 * src/jobs/program/ops-stats.ts) and clamped far beyond its range, so a level beyond the column's
 * magnitude matches no row. A row counts for level l when its code lies in [l - 1/2, l + 1/2):
 * codes are meant to be integers; the caller checks that the cells span enough resolution units.
 *
 * Cost: one comparison of n * T values (T <= 2L distinct thresholds; L + 1 for consecutive
 * levels), 9 rounds on rep3 and additive; nothing is opened.
 */
import type { Share } from '../../protocols/protocol.js';
import { scaledEdges } from '../program/ops-stats.js';
import type { ExecContext } from './context.js';
import { takeColumns } from './ops-relational.js';

/**
 * The distinct thresholds l ± 1/2 of `levels`, increasing, and for each level the index of its
 * lower and upper threshold.
 */
export function levelThresholds(levels: readonly number[]): {
  thresholds: number[];
  cells: [number, number][];
} {
  const thresholds = [...new Set(levels.flatMap((l) => [l - 0.5, l + 0.5]))].sort((a, b) => a - b);
  const at = (v: number): number => thresholds.indexOf(v);
  return { thresholds, cells: levels.map((l) => [at(l - 0.5), at(l + 0.5)]) };
}

/**
 * A shares of [x_i == levels[j]] as integers 0/1 (not fixed point), shape [n, L], for a column
 * share x of shape [n] or [n, 1] held as x / 2^exp.
 */
export async function oneHotLevels(
  ctx: ExecContext,
  column: Share,
  levels: readonly number[],
  exp: number,
): Promise<Share> {
  const { p } = ctx;
  const n = column.shape[0]!;
  const { thresholds, cells } = levelThresholds(levels);
  const t = thresholds.length;
  const negEdges = scaledEdges(thresholds, exp).map((v) => -v);
  const col = p.reshape(column, [n, 1]);
  const diff = p.addPublic(p.broadcastTo(col, [n, t]), ctx.fixed(negEdges, [1, t]).broadcastTo([n, t]));
  const ge = await ctx.geZero(diff); // [n, t]: [x >= threshold]
  const lower = takeColumns(
    p,
    ge,
    cells.map(([lo]) => lo),
  );
  const upper = takeColumns(
    p,
    ge,
    cells.map(([, hi]) => hi),
  );
  return p.sub(lower, upper);
}

/** One column to encode by {@link oneHotColumns}. */
export interface OneHotSpec {
  /** The column's share, shape [n] or [n, 1], held as x / 2^exp. */
  column: Share;
  /** Its public levels (distinct). */
  levels: readonly number[];
  /** Its scale exponent. */
  exp: number;
}

/**
 * {@link oneHotLevels} of several columns (of equal row counts) with one comparison for all of
 * them (9 rounds instead of 9 per column): one [n, L_i] one-hot per spec, in order.
 */
export async function oneHotColumns(ctx: ExecContext, specs: readonly OneHotSpec[]): Promise<Share[]> {
  const { p } = ctx;
  const n = specs[0]!.column.shape[0]!;
  const plans = specs.map((s) => levelThresholds(s.levels));
  const diffs = specs.map((s, i) => {
    const t = plans[i]!.thresholds.length;
    const negEdges = scaledEdges(plans[i]!.thresholds, s.exp).map((v) => -v);
    const col = p.broadcastTo(p.reshape(s.column, [n, 1]), [n, t]);
    return p.addPublic(col, ctx.fixed(negEdges, [1, t]).broadcastTo([n, t]));
  });
  const ge = await ctx.geZero(diffs.length === 1 ? diffs[0]! : p.concat(diffs, 1)); // [n, sum T_i]
  let offset = 0;
  return plans.map(({ thresholds, cells }) => {
    const at = (k: number): number => offset + k;
    const lower = takeColumns(
      p,
      ge,
      cells.map(([lo]) => at(lo)),
    );
    const upper = takeColumns(
      p,
      ge,
      cells.map(([, hi]) => at(hi)),
    );
    offset += thresholds.length;
    return p.sub(lower, upper);
  });
}
