/**
 * The MPC `groupBy` (src/jobs/program/ops-groupby.ts): counts, sums or means of columns per public
 * level of a column of category codes, with small groups suppressed inside the MPC (`minCount`).
 *
 * 1. membership: H = one-hot [n, G] of each row in each level (one-hot.ts: one comparison of n*T
 *    values, T <= 2G thresholds), integers 0/1;
 * 2. counts = column sums of H (integers; local); per source s, c[s, g] from H's rows of s (the
 *    group column's row segments, as histogram.ts counts per source);
 * 3. sums = H^T X [G, p] (one matrix product, no truncation: H is integer, X fixed point);
 * 4. means = sums / counts by the count's binary exponent (count-divide.ts, ~30 rounds);
 * 5. suppression, all on shares: keep[g] = AND_s [c[s, g] >= k]; for k >= 2, with R_s the rows of
 *    s outside the kept groups, ok = AND_s (R_s = 0 or R_s >= k) and keep *= ok (as histogram.ts);
 *    a `mean` without minCount keeps the non-empty groups ([count >= 1]) so that nothing divides
 *    by zero;
 * 6. release: keep * (v - S) + S, S = {@link SUPPRESSED_WORD} (-2^(63-f) in fixed point, beyond any
 *    value a group can take): the value where kept, S where suppressed. The recipient decodes S as
 *    null ({@link nullSuppressedGroups}); a released -1 stays -1.
 *
 * Costs (rep3; a comparison is 9 rounds): count 1 comparison of n*T values (+ suppression: two
 * comparisons of S*G and 2S values, 2 products, two AND trees, as histogram); sum + 1 round of G*p
 * words; mean + 30 rounds (and 1 comparison of G values without minCount); release 1 round.
 */
import { RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../../protocols/protocol.js';
import { groupByParams } from '../program/ops-groupby.js';
import { SCALE_TARGET_BITS } from '../program/scales.js';
import type { Params, ProgramNode } from '../program/types.js';
import { columnExps, type RowSegment, type ValueType } from '../program/value-type.js';
import type { ExecContext } from './context.js';
import { divideByCounts, MEAN_RELATIVE_ERROR } from './count-divide.js';
import { allOf } from './histogram.js';
import { columnIndices, type OpImpl } from './op-impl.js';
import { oneHotLevels } from './one-hot.js';
import { takeColumns } from './ops-relational.js';

/** The ring word a suppressed group element is released as: 2^63, the most negative value. */
export const SUPPRESSED_WORD = 1n << 63n;

/** x + c for a public integer c (negative allowed). */
function plus(p: Protocol, x: Share, c: number): Share {
  return p.addPublic(x, BigInt.asUintN(64, BigInt(c)));
}

/** Per-source counts c [S, G] (integers) from the one-hot H [n, G], and each source's rows. */
function sourceCounts(
  p: Protocol,
  oneHot: Share,
  segments: readonly RowSegment[],
): { counts: Share; rows: number[] } {
  const [n, g] = oneHot.shape as [number, number];
  const bySource = new Map<string, { parts: Share[]; rows: number }>();
  let offset = 0;
  for (const seg of segments) {
    if (seg.rows === undefined) throw new RangeError(`groupBy: the rows of ${seg.source} are unknown`);
    const entry = bySource.get(seg.source) ?? { parts: [], rows: 0 };
    bySource.set(seg.source, entry);
    if (seg.rows > 0) entry.parts.push(p.sum(p.slice(oneHot, 0, offset, offset + seg.rows), 0, true));
    entry.rows += seg.rows;
    offset += seg.rows;
  }
  if (offset !== n) throw new RangeError(`groupBy: segments cover ${offset} rows of ${n}`);
  const perSource = [...bySource.values()].map(({ parts }) =>
    parts.length === 0 ? p.fromPublic(RingTensor.zeros([1, g]), 'A') : parts.reduce((a, b) => p.add(a, b)),
  );
  return {
    counts: perSource.length === 1 ? perSource[0]! : p.concat(perSource, 0),
    rows: [...bySource.values()].map((s) => s.rows),
  };
}

/**
 * keep[g] (integers 0/1, [G]): every source has at least k rows in group g, and (k >= 2) no source
 * has between 1 and k - 1 rows outside the kept groups. c is [S, G]; rows the sources' rows.
 */
async function keptGroups(ctx: ExecContext, c: Share, rows: readonly number[], k: number): Promise<Share> {
  const { p } = ctx;
  const [s, g] = c.shape as [number, number];
  const keep = await allOf(ctx, await ctx.geZero(plus(p, c, -k))); // [G]
  if (k === 1) return keep; // no source can have 1 to k - 1 rows left over
  const released = p.sum(await p.mul(p.broadcastTo(keep, [s, g]), c), 1); // [S]
  const left = (d: number): Share =>
    p.addPublic(p.neg(released), RingTensor.fromBigInts(rows.map((r) => BigInt(r - d))));
  const ge = await ctx.geZero(p.concat([left(1), left(k)], 0)); // [R_s >= 1], [R_s >= k]
  const okS = plus(p, p.sub(p.slice(ge, 0, s, 2 * s), p.slice(ge, 0, 0, s)), 1); // [S]
  const ok = await allOf(ctx, p.reshape(okS, [s, 1])); // [1]
  return p.mul(p.broadcastTo(ok, [g]), keep);
}

/** keep * (v - S) + S: v where keep is 1, the suppressed word where it is 0 (keep [G], v [G, ...]). */
async function release(p: Protocol, v: Share, keep: Share): Promise<Share> {
  const g = keep.shape[0]!;
  const k = v.shape.length === 1 ? keep : p.broadcastTo(p.reshape(keep, [g, 1]), [...v.shape]);
  return p.addPublic(await p.mul(k, p.addPublic(v, SUPPRESSED_WORD)), SUPPRESSED_WORD);
}

/** The `groupBy` op (see the file comment). */
export const groupBy: OpImpl = async ({ ctx, args, argTypes, params }) => {
  const { p } = ctx;
  const x = args[0]!;
  const t = argTypes[0]!;
  const g = groupByParams(params, t);
  const n = x.shape[0]!;
  const j = t.columns!.indexOf(g.by);
  const oneHot = await oneHotLevels(ctx, takeColumns(p, x, [j]), g.levels, columnExps(t)[j]!); // [n, G]
  const counts = p.sum(oneHot, 0); // [G]
  let value: Share;
  if (g.agg === 'count') value = p.shlA(counts, ctx.f);
  else {
    const xs = takeColumns(p, x, columnIndices(t, g.columns));
    value = await p.matmul(p.transpose(oneHot), xs); // [G, p]: sums, fixed point
    if (g.agg === 'mean') value = await divideByCounts(ctx, value, counts, n);
  }
  let keep: Share | undefined;
  if (g.minCount >= 1) {
    const segments = t.segments?.[j];
    if (segments === undefined) throw new RangeError('groupBy: the table type has no row segments');
    const { counts: c, rows } = sourceCounts(p, oneHot, segments);
    keep = await keptGroups(ctx, c, rows, g.minCount);
  } else if (g.agg === 'mean') keep = await ctx.geZero(plus(p, counts, -1)); // non-empty groups
  return keep === undefined ? value : release(p, value, keep);
};

/** True when `node`'s released values may hold {@link SUPPRESSED_WORD} (a groupBy). */
export function releasesSuppressedGroups(node: ProgramNode | undefined): boolean {
  return node?.op === 'groupBy';
}

/**
 * The decoded values of a released `groupBy` with null where the opened word is
 * {@link SUPPRESSED_WORD}; `decoded` unchanged for any other node.
 */
export function nullSuppressedGroups(
  node: ProgramNode | undefined,
  opened: RingTensor,
  decoded: (number | null)[],
): (number | null)[] {
  if (!releasesSuppressedGroups(node)) return decoded;
  const words = opened.toBigInts();
  return decoded.map((v, i) => (words[i] === SUPPRESSED_WORD ? null : v));
}

/**
 * Why released element i of a `groupBy` over table `arg` is impossible, or undefined: a count not
 * an integer in [0, rows], a mean beyond its column's magnitude bound (plus the division's relative
 * error), a sum beyond rows times it; `tol` is the element's tolerance (output-checks.ts).
 */
export function groupByProblem(
  v: number,
  i: number,
  arg: ValueType | undefined,
  params: Params,
  scales: Readonly<Record<string, number>>,
  tol: number,
): string | undefined {
  if (arg === undefined) return undefined;
  const g = groupByParams(params, arg);
  const rows = arg.shape[0] ?? Infinity;
  if (g.agg === 'count') return Number.isInteger(v) && v >= 0 && v <= rows ? undefined : 'not a count';
  const scale = scales[g.columns[i % g.columns.length]!];
  if (scale === undefined) return undefined;
  const bound = 2 ** (scale + SCALE_TARGET_BITS) * (1 + MEAN_RELATIVE_ERROR);
  if (g.agg === 'mean') return Math.abs(v) > bound + tol ? "beyond the column's magnitude bound" : undefined;
  return Math.abs(v) > rows * bound + tol ? "beyond the rows times the column's magnitude bound" : undefined;
}

/** The groupBy implementation by op name. */
export const GROUPBY_IMPLS: Record<string, OpImpl> = { groupBy };
