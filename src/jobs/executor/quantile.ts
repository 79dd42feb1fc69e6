/**
 * The MPC quantile (quantileOp in src/jobs/program/ops-quantile.ts): bisection on counts, no sort.
 *
 * The column is held scaled (scale.ts): every value is an integer number of units 2^-f within
 * [-2^(6+f), 2^(6+f)] (its magnitude bound 2^e maps to 2^6). The grid is the points
 * g_m = -2^(6+f) + m units for m = 1..2^S with S = f + 7 = 23 steps: (-2^6, 2^6] in steps of
 * 2^-f = 2^(6-22) scaled units, i.e. 2^(e-22) in natural units, 2^-22 of the column's bound. That
 * is exactly the resolution the column is held at: a finer grid adds nothing, a coarser one loses
 * precision the data has. So the released value is the r-th smallest held value itself (the
 * smallest g with count(x <= g) >= r), except that a held value of exactly -2^6 (a value equal to
 * -2^e) comes back one step above. Against the data: within half a step (the input's rounding).
 *
 * For each level (all in parallel), the number m* of grid points g_m with count(x <= g_m) < r is
 * found bit by bit from the top: at step j, with acc the bits found so far (A shares, integers),
 *   c = -2^(6+f) + acc + 2^j                     (local: acc is shared, the offset public)
 *   count = sum over rows of [c - x >= 0]         (one comparison of n * levels values; c - x is
 *                                                  local, exact while |c - x| < 2^63)
 *   acc += 2^j * [r - 1 - count >= 0]            (one comparison of the levels' integer counts)
 * and the result is g = -2^(6+f) + acc + 1. Everything is an integer on the ring (counts, bits,
 * grid offsets), so nothing is ever truncated: the probabilistic truncation of rep3 and additive
 * (failing with probability about |x| / 2^64) never runs, and the result is exact.
 *
 * Suppression (`minCount` = k >= 1), on shares: per source s (the column's row segments), the rows
 * strictly below g, L_s = count_s(x <= g - 1 unit), and strictly above, U_s = n_s - count_s(x <=
 * g): one comparison of 2n values per level; keep = AND over s of [L_s >= k] and [U_s >= k] (one
 * comparison of 2 values per source and level, then {@link allOf}); released: keep * (g - P) + P
 * with the placeholder P = -2^7 scaled (below any grid point), which the recipient decodes as
 * null ({@link suppressedBelow}).
 *
 * Rounds (a comparison is 9 on rep3 and additive): S * (9 + 9) = 414 for the bisection; suppression
 * adds 9 + 9 + the AND of 2 conditions per source (ceil(log2(2 * sources)) rounds up to 4
 * sources, else 9) + 1: 20 for one source, 22 for three (measured). Elements compared:
 * S * n * levels, plus 2 * n * levels with suppression.
 */
import { RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../../protocols/protocol.js';
import { quantileLevels, quantileMinCount, quantileRank } from '../program/ops-quantile.js';
import { SCALE_TARGET_BITS } from '../program/scales.js';
import type { ProgramNode } from '../program/types.js';
import type { RowSegment } from '../program/value-type.js';
import type { ExecContext } from './context.js';
import { allOf, suppressesBins } from './histogram.js';
import type { OpImpl } from './op-impl.js';
import { takeColumns } from './ops-relational.js';

/** Bisection steps for f fractional bits: one per bit of the held range [-2^(6+f), 2^(6+f)]. */
export function quantileSteps(f: number): number {
  return f + SCALE_TARGET_BITS + 1;
}

/** The released placeholder of a suppressed quantile, in scaled units: -2^7, below every grid point. */
const PLACEHOLDER = -(2 ** (SCALE_TARGET_BITS + 1));

/**
 * The value below which a released element of `node` means "suppressed", in the units the shares
 * hold (before the recipient multiplies by the result's units), or undefined when `node` never
 * suppresses: -0.5 for a histogram with minCount (a count of -1), -2^6 - 1/2 for a quantile with
 * minCount (the placeholder -2^7).
 */
export function suppressedBelow(node: ProgramNode): number | undefined {
  if (suppressesBins(node)) return -0.5;
  if (node.op === 'quantile' && quantileMinCount(node.params ?? {}) >= 1)
    return -(2 ** SCALE_TARGET_BITS) - 0.5;
  return undefined;
}

/** x + c for a public integer c (ring units; negative allowed). */
function plus(p: Protocol, x: Share, c: number): Share {
  return p.addPublic(x, BigInt.asUintN(64, BigInt(c)));
}

/** A public integer vector. */
function ints(values: readonly number[]): RingTensor {
  return RingTensor.fromBigInts(
    values.map((v) => BigInt.asUintN(64, BigInt(v))),
    [values.length],
  );
}

/** [x_row <= c_i] for every row and candidate, as [n, w] integer A shares (one comparison). */
async function atOrBelow(ctx: ExecContext, col: Share, c: Share): Promise<Share> {
  const { p } = ctx;
  const n = col.shape[0]!;
  const w = c.shape[0]!;
  const diff = p.sub(p.broadcastTo(p.reshape(c, [1, w]), [n, w]), p.broadcastTo(col, [n, w]));
  return ctx.geZero(diff);
}

/** The grid point of each level by bisection (see the file comment), in ring units. */
async function bisect(ctx: ExecContext, col: Share, ranks: readonly number[]): Promise<Share> {
  const { p } = ctx;
  const low = -(2 ** (SCALE_TARGET_BITS + ctx.f));
  const rankLess1 = ints(ranks.map((r) => r - 1));
  let acc = p.fromPublic(RingTensor.zeros([ranks.length]), 'A');
  for (let j = quantileSteps(ctx.f) - 1; j >= 0; j--) {
    const counts = p.sum(await atOrBelow(ctx, col, plus(p, acc, low + 2 ** j)), 0);
    const below = await ctx.geZero(p.addPublic(p.neg(counts), rankLess1)); // [count < r]
    acc = p.add(acc, p.mulPublic(below, BigInt(2 ** j)));
  }
  return plus(p, acc, low + 1);
}

/** Per-source sums of the rows of `bits` [n, w] over the column's segments: [[w] per source], rows. */
function bySource(
  p: Protocol,
  bits: Share,
  segments: readonly RowSegment[],
): { sums: Share[]; rows: number[] } {
  const [n, w] = bits.shape as [number, number];
  const acc = new Map<string, { parts: Share[]; rows: number }>();
  let offset = 0;
  for (const seg of segments) {
    if (seg.rows === undefined) throw new RangeError(`quantile: the rows of ${seg.source} are unknown`);
    const entry = acc.get(seg.source) ?? { parts: [], rows: 0 };
    acc.set(seg.source, entry);
    if (seg.rows > 0) entry.parts.push(p.sum(p.slice(bits, 0, offset, offset + seg.rows), 0));
    entry.rows += seg.rows;
    offset += seg.rows;
  }
  if (offset !== n) throw new RangeError(`quantile: segments cover ${offset} rows of ${n}`);
  const zero = (): Share => p.fromPublic(RingTensor.zeros([w]), 'A');
  return {
    sums: [...acc.values()].map((e) =>
      e.parts.length === 0 ? zero() : e.parts.reduce((a, b) => p.add(a, b)),
    ),
    rows: [...acc.values()].map((e) => e.rows),
  };
}

/**
 * keep [levels] (integers 0/1): every source has at least k rows strictly below g and k strictly
 * above (see the file comment).
 */
async function keepBits(
  ctx: ExecContext,
  col: Share,
  g: Share,
  segments: readonly RowSegment[],
  k: number,
): Promise<Share> {
  const { p } = ctx;
  const w = g.shape[0]!;
  const le = await atOrBelow(ctx, col, p.concat([plus(p, g, -1), g], 0)); // [n, 2w]
  const { sums, rows } = bySource(p, le, segments);
  const conditions = sums.flatMap((s, i) => {
    const below = p.slice(s, 0, 0, w); // L_s
    const above = p.addPublic(p.neg(p.slice(s, 0, w, 2 * w)), BigInt(rows[i]!)); // U_s
    return [plus(p, below, -k), plus(p, above, -k)].map((v) => p.reshape(v, [1, w]));
  });
  return allOf(ctx, await ctx.geZero(p.concat(conditions, 0))); // [2S, w] -> [w]
}

/**
 * The quantile op: the grid point of each level (scaled fixed point); with `minCount` k >= 1 a
 * suppressed level is released as the placeholder -2^7 (see the file comment).
 */
export const quantile: OpImpl = async ({ ctx, args, argTypes, params }) => {
  const { p } = ctx;
  const t = argTypes[0]!;
  const j = t.columns!.indexOf(params.column as string);
  const col = takeColumns(p, args[0]!, [j]); // [n, 1]
  const n = col.shape[0]!;
  const ranks = quantileLevels(params).map((q) => quantileRank(q, n));
  const g = await bisect(ctx, col, ranks);
  const k = quantileMinCount(params);
  if (k === 0) return g;
  const segments = t.segments?.[j];
  if (segments === undefined) throw new RangeError('quantile: the table type has no row segments');
  const keep = await keepBits(ctx, col, g, segments, k);
  const placeholder = PLACEHOLDER * 2 ** ctx.f;
  return plus(p, await p.mul(keep, plus(p, g, -placeholder)), placeholder);
};

/** The quantile implementation by op name. */
export const QUANTILE_IMPLS: Readonly<Record<string, OpImpl>> = { quantile };
