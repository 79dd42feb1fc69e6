/**
 * The MPC histogram over public, increasing edges, with optional small-cell suppression inside the
 * MPC (param `minCount` = k >= 1; see histogramOp in src/jobs/program/ops-stats.ts).
 *
 * Counting: one comparison of every row against every edge gives A shares of [x >= edge_j]
 * ([n, e], integers 0/1); summing rows and differencing adjacent edges gives the bin counts. For
 * suppression the same sums are taken per row segment of the column (local slices; segments of one
 * source add up), so each source s gets its own counts c[s, b].
 *
 * Suppression, all on shares (nothing is opened but the result):
 * 1. keep[s, b] = [c[s, b] >= k]: one comparison for all sources and bins;
 * 2. keep[b] = AND over s of keep[s, b] ({@link allOf}: a product tree of ceil(log2 S) rounds for
 *    up to {@link AND_TREE_MAX} sources, else one comparison [sum = S]);
 * 3. kc[s, b] = keep[b] * c[s, b] (one round); keep[b] * (count[b] + 1) = sum_s kc[s, b] + keep[b];
 * 4. only when k >= 2 (with k = 1 no source can have between 1 and k - 1 rows left over):
 *    R_s = n_s - sum_b kc[s, b], the rows of s outside the released bins; ok_s = 1 - [R_s >= 1] +
 *    [R_s >= k] (one comparison of 2S values); ok = AND over s of ok_s; one product by ok.
 * The result is keep * (count + 1) - 1 in fixed point: the count where released, -1 where
 * suppressed (the recipient decodes -1 as null, src/jobs/executor/run.ts).
 *
 * Costs (a comparison is 9 rounds on rep3 and additive): without suppression one comparison of
 * n*e values. Suppression adds, whatever n: for k >= 2, 2 comparisons (S*B and 2S values, B =
 * bins), 2 products and two AND trees: +20 rounds for S = 1, +22 for 2, +24 for 3-4, +26 for 5-8,
 * +38 for more (the ANDs become comparisons); for k = 1 about half (+10 to +19). Measured bytes per
 * compute party, B = 10: rep3 +4.6 KB (S = 1) to +6.8 KB (S = 5), additive +13 to +17 KB.
 */
import { RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../../protocols/protocol.js';
import { histogramColumn, scaledEdges } from '../program/ops-stats.js';
import { intParam } from '../program/params.js';
import type { Params, ProgramNode } from '../program/types.js';
import type { RowSegment } from '../program/value-type.js';
import type { ExecContext } from './context.js';
import type { OpImpl } from './op-impl.js';
import { columnExps } from '../program/value-type.js';
import { takeColumns } from './ops-relational.js';

/**
 * Most rows {@link allOf} combines by a product tree (ceil(log2 m) rounds, up to 3); more rows use
 * one comparison instead, so the rounds stay bounded whatever the number of sources.
 */
export const AND_TREE_MAX = 8;

/** The `minCount` param of a histogram (0: no suppression). */
export function histogramMinCount(params: Params): number {
  return intParam(params, 'minCount', 0, 0, 1_000_000_000);
}

/**
 * True when `node` suppresses small cells with its `minCount` param, a released -1 meaning
 * suppressed: a histogram, a contingency table or a chi-square test (contingency.ts).
 */
export function suppressesBins(node: ProgramNode): boolean {
  return (
    ['histogram', 'contingency', 'chiSquare'].includes(node.op) && histogramMinCount(node.params ?? {}) >= 1
  );
}

/** A public integer tensor (mod 2^64). */
function ints(values: readonly number[], shape: number[] = [values.length]): RingTensor {
  return RingTensor.fromBigInts(
    values.map((v) => BigInt(v)),
    shape,
  );
}

/** x + c for a public integer c (negative allowed). */
export function plus(p: Protocol, x: Share, c: number): Share {
  return p.addPublic(x, BigInt.asUintN(64, BigInt(c)));
}

/**
 * The AND of the m rows of `bits` (A shares of 0/1 integers, shape [m, w]), as [w]: a product tree
 * when m <= {@link AND_TREE_MAX}, else [sum of the rows >= m] by one comparison.
 */
export async function allOf(ctx: ExecContext, bits: Share): Promise<Share> {
  const { p } = ctx;
  const [m, w] = bits.shape as [number, number];
  if (m > AND_TREE_MAX) return ctx.geZero(plus(p, p.sum(bits, 0), -m));
  let rows = bits;
  while (rows.shape[0]! > 1) {
    const len = rows.shape[0]!;
    const h = Math.floor(len / 2);
    const prod = await p.mul(p.slice(rows, 0, 0, h), p.slice(rows, 0, h, 2 * h));
    rows = len % 2 === 0 ? prod : p.concat([prod, p.slice(rows, 0, 2 * h, len)], 0);
  }
  return p.reshape(rows, [w]);
}

/** Bin counts [bins] from counts of rows at or above each edge [e]. */
function binsOf(p: Protocol, atLeast: Share): Share {
  const e = atLeast.shape[0]!;
  return p.sub(p.slice(atLeast, 0, 0, e - 1), p.slice(atLeast, 0, 1, e));
}

/** Per-source bin counts: c [S, bins] (integers), and each source's rows n_s. */
function sourceCounts(
  p: Protocol,
  ge: Share,
  segments: readonly RowSegment[],
): { counts: Share; rows: number[] } {
  const [n, e] = ge.shape as [number, number];
  const bySource = new Map<string, { parts: Share[]; rows: number }>();
  let offset = 0;
  for (const seg of segments) {
    if (seg.rows === undefined) throw new RangeError(`histogram: the rows of ${seg.source} are unknown`);
    const entry = bySource.get(seg.source) ?? { parts: [], rows: 0 };
    bySource.set(seg.source, entry);
    if (seg.rows > 0) {
      entry.parts.push(p.sum(p.slice(ge, 0, offset, offset + seg.rows), 0));
      entry.rows += seg.rows;
    }
    offset += seg.rows;
  }
  if (offset !== n) throw new RangeError(`histogram: segments cover ${offset} rows of ${n}`);
  const perSource = [...bySource.values()].map(({ parts }) => {
    const atLeast =
      parts.length === 0 ? p.fromPublic(RingTensor.zeros([e]), 'A') : parts.reduce((a, b) => p.add(a, b));
    return p.reshape(binsOf(p, atLeast), [1, e - 1]);
  });
  return {
    counts: perSource.length === 1 ? perSource[0]! : p.concat(perSource, 0),
    rows: [...bySource.values()].map((s) => s.rows),
  };
}

/**
 * keep[b] * (count[b] + 1) with small cells suppressed (see the file comment), as integers, from
 * per-source counts c [S, bins] and the sources' rows.
 */
async function suppressed(ctx: ExecContext, c: Share, rows: readonly number[], k: number): Promise<Share> {
  const { p } = ctx;
  const [s, bins] = c.shape as [number, number];
  const keep = await allOf(ctx, await ctx.geZero(plus(p, c, -k))); // [bins]
  const kc = await p.mul(p.broadcastTo(keep, [s, bins]), c); // [S, bins]
  const kept = p.add(p.sum(kc, 0), keep); // keep * (count + 1)
  if (k === 1) return kept;
  const released = p.sum(kc, 1); // [S]
  const left = (d: number): Share => p.addPublic(p.neg(released), ints(rows.map((r) => r - d)));
  const ge = await ctx.geZero(p.concat([left(1), left(k)], 0)); // [R_s >= 1], [R_s >= k]
  const okS = plus(p, p.sub(p.slice(ge, 0, s, 2 * s), p.slice(ge, 0, 0, s)), 1); // [S]
  const ok = await allOf(ctx, p.reshape(okS, [s, 1])); // [1]
  return p.mul(p.broadcastTo(ok, [bins]), kept);
}

/**
 * The histogram op: counts per bin [e_i, e_i+1) of one column, as fixed point; with `minCount` k
 * >= 1, a suppressed bin is -1 (see the file comment).
 */
export const histogram: OpImpl = async ({ ctx, args, argTypes, params }) => {
  const { p } = ctx;
  const x = args[0]!;
  const t = argTypes[0]!;
  const cols = t.columns!;
  const column = histogramColumn(params, t);
  const edges = params.edges as number[];
  const k = histogramMinCount(params);
  const n = x.shape[0]!;
  const e = edges.length;
  const j = cols.indexOf(column);
  const col = takeColumns(p, x, [j]);
  // the column is held as x / 2^exp (scale.ts): so are the edges
  const negEdges = scaledEdges(edges, columnExps(t)[j]!).map((v) => -v);
  const diff = p.addPublic(p.broadcastTo(col, [n, e]), ctx.fixed(negEdges, [1, e]).broadcastTo([n, e]));
  const ge = await ctx.geZero(diff); // [n, e]: [x >= edge j]
  if (k === 0) return p.shlA(binsOf(p, p.sum(ge, 0)), ctx.f);
  const segments = t.segments?.[j];
  if (segments === undefined) throw new RangeError('histogram: the table type has no row segments');
  const { counts, rows } = sourceCounts(p, ge, segments);
  const kept = await suppressed(ctx, counts, rows, k);
  return plus(p, p.shlA(kept, ctx.f), -(2 ** ctx.f));
};
