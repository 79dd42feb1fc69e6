/**
 * The MPC contingency table (contingencyOp in src/jobs/program/ops-categorical.ts) and the counting
 * and small-cell suppression it shares with the chi-square test (chi-square.ts).
 *
 * Counting: one comparison of every row against the thresholds l ± 1/2 of both columns' levels
 * gives the one-hots A [n, R] and B [n, C] (one-hot.ts; integers 0/1); counts = A^T B, a matrix
 * product over the rows, exact (integers, no truncation). For suppression the product is taken per
 * chunk of rows that come from one input in each column (the columns' row segments; long chunks
 * are split so that padding to equal length at most doubles the rows), as one batched product
 * [M, R, L] x [M, L, C]; a chunk's counts belong to the inputs of both its columns.
 *
 * Suppression (`minCount` = k >= 1), all on shares, nothing opened but the result:
 * 1. keep[i, j] = AND over inputs s of [c_s[i, j] >= k] (one comparison, {@link allOf});
 * 2. kc_s = keep * c_s and keep * count (one product);
 * 3. for k >= 2, per input s, the rows outside the kept cells: overall (n_s - sum kc_s), within each
 *    row level i (rows of s with code l_i, matched in columns or not, minus sum_j kc_s[i, j]) and
 *    within each column level j; each must be 0 or >= k: ok = 1 - [L >= 1] + [L >= k] (one
 *    comparison of 2S(1 + R + C) values), AND over all, one product by ok. Without the per-level
 *    remainders, a margin released elsewhere (a histogram or groupBy count of one level) minus the
 *    released cells of its row would isolate the rows of a single suppressed cell.
 * The result is keep * (count + 1) - 1 in fixed point: the count where released, -1 where
 * suppressed (decoded as null by the recipient: `suppressesBins` in histogram.ts).
 *
 * Costs (a comparison is 9 rounds on rep3 and additive): one comparison of n * T values (T <= 2R +
 * 2C thresholds) and one matrix product (1 round); suppression adds two comparisons (S*R*C and
 * 2S(1 + R + C) values), 2 products and two AND trees, as histogram.ts.
 */
import { RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../../protocols/protocol.js';
import { categoricalParams, type CategoricalParams } from '../program/ops-categorical.js';
import { columnExps, type RowSegment, type ValueType } from '../program/value-type.js';
import type { ExecContext } from './context.js';
import { allOf, plus } from './histogram.js';
import type { OpImpl } from './op-impl.js';
import { oneHotColumns } from './one-hot.js';
import { takeColumns } from './ops-relational.js';

/**
 * The exact counts of a table and, for suppression (`minCount` >= 1), their parts per input
 * (without minCount, one pseudo-input `*` holding every row).
 */
export interface CategoricalCounts {
  /** Counts [R, C] (A shares of integers). */
  counts: Share;
  /** Counts per input, [S, R * C]. */
  bySource: Share;
  /** Rows of each input per row level (matched in the other column or not), [S, R]. */
  rowLevelsBySource: Share;
  /** Rows of each input per column level, [S, C]. */
  columnLevelsBySource: Share;
  /** Each input's rows (public). */
  sourceRows: number[];
}

/** A run of rows [start, end) whose two columns each come from one input. */
interface Chunk {
  start: number;
  end: number;
  /** The input(s) of its rows: the row column's and the column column's. */
  sources: string[];
}

/** Where each input's rows lie in a column: [start, end, source] per segment. */
function spans(segments: readonly RowSegment[], n: number): [number, number, string][] {
  const out: [number, number, string][] = [];
  let at = 0;
  for (const s of segments) {
    if (s.rows === undefined) throw new RangeError(`contingency: the rows of ${s.source} are unknown`);
    out.push([at, at + s.rows, s.source]);
    at += s.rows;
  }
  if (at !== n) throw new RangeError(`contingency: segments cover ${at} rows of ${n}`);
  return out;
}

/**
 * The chunks of rows (see the file comment): runs where both columns come from one input each,
 * split into pieces of at most ceil(n / runs) rows.
 */
function chunksOf(rowSegs: readonly RowSegment[], colSegs: readonly RowSegment[], n: number): Chunk[] {
  const a = spans(rowSegs, n);
  const b = spans(colSegs, n);
  const cuts = [...new Set([0, n, ...a.map((s) => s[1]), ...b.map((s) => s[1])])].sort((x, y) => x - y);
  const runs: Chunk[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [start, end] = [cuts[i]!, cuts[i + 1]!];
    if (end <= start) continue;
    const src = (sp: [number, number, string][]): string => sp.find(([s, e]) => s <= start && start < e)![2];
    runs.push({ start, end, sources: [...new Set([src(a), src(b)])] });
  }
  const most = Math.max(1, Math.ceil(n / Math.max(1, runs.length)));
  return runs.flatMap((r) =>
    Array.from({ length: Math.ceil((r.end - r.start) / most) }, (_, k) => ({
      start: r.start + k * most,
      end: Math.min(r.end, r.start + (k + 1) * most),
      sources: r.sources,
    })),
  );
}

/** Rows [start, end) of x [n, w], zero-padded to `len` rows. */
function padded(p: Protocol, x: Share, { start, end }: Chunk, len: number): Share {
  const part = p.slice(x, 0, start, end);
  const w = x.shape[1]!;
  if (end - start === len) return part;
  return p.concat([part, p.fromPublic(RingTensor.zeros([len - (end - start), w]), 'A')], 0);
}

/** Counts per chunk, [M, R, C]: A^T B over each chunk's rows, in one (batched) matrix product. */
async function chunkCounts(p: Protocol, a: Share, b: Share, chunks: readonly Chunk[]): Promise<Share> {
  const [r, c] = [a.shape[1]!, b.shape[1]!];
  const m = chunks.length;
  const len = Math.max(...chunks.map((k) => k.end - k.start));
  if (m === 1 && len === a.shape[0]) return p.reshape(await p.matmul(p.transpose(a), b), [1, r, c]);
  const stack = (x: Share, w: number): Share =>
    p.reshape(
      p.concat(
        chunks.map((k) => padded(p, x, k, len)),
        0,
      ),
      [m, len, w],
    );
  return p.matmul(p.transpose(stack(a, r), [0, 2, 1]), stack(b, c));
}

/** Sum of the rows of `parts` (a [M, ...] share) whose chunk holds input `s`, flattened. */
function sumFor(p: Protocol, parts: Share, chunks: readonly Chunk[], s: string): Share {
  const size = parts.shape.slice(1).reduce((x, y) => x * y, 1);
  const mine = chunks.flatMap((k, i) => (k.sources.includes(s) ? [p.slice(parts, 0, i, i + 1)] : []));
  return p.reshape(
    mine.reduce((x, y) => p.add(x, y)),
    [1, size],
  );
}

/**
 * The counts of the table of `c` over table x of type t, and their parts per input (see
 * {@link CategoricalCounts}).
 */
export async function categoricalCounts(
  ctx: ExecContext,
  x: Share,
  t: ValueType,
  c: CategoricalParams,
): Promise<CategoricalCounts> {
  const { p } = ctx;
  const n = x.shape[0]!;
  const [i, j] = [t.columns!.indexOf(c.rows), t.columns!.indexOf(c.columns)];
  const exps = columnExps(t);
  const [a, b] = await oneHotColumns(ctx, [
    { column: takeColumns(p, x, [i]), levels: c.rowLevels, exp: exps[i]! },
    { column: takeColumns(p, x, [j]), levels: c.columnLevels, exp: exps[j]! },
  ]);
  if (t.segments === undefined) throw new RangeError('contingency: the table type has no row segments');
  // without suppression one product over all rows (one pseudo-input) is all that is needed
  const chunks =
    c.minCount > 0 ? chunksOf(t.segments[i]!, t.segments[j]!, n) : [{ start: 0, end: n, sources: ['*'] }];
  const perChunk = await chunkCounts(p, a!, b!, chunks); // [M, R, C]
  const sums = (x: Share): Share =>
    p.concat(
      chunks.map((k) => p.sum(p.slice(x, 0, k.start, k.end), 0, true)),
      0,
    ); // [M, w]
  const [rowSums, colSums] = [sums(a!), sums(b!)];
  const sources = [...new Set(chunks.flatMap((k) => k.sources))];
  const bySources = (parts: Share): Share =>
    p.concat(
      sources.map((s) => sumFor(p, parts, chunks, s)),
      0,
    );
  return {
    counts: p.sum(perChunk, 0),
    bySource: bySources(perChunk),
    rowLevelsBySource: bySources(rowSums),
    columnLevelsBySource: bySources(colSums),
    sourceRows: sources.map((s) =>
      chunks.filter((k) => k.sources.includes(s)).reduce((sum, k) => sum + k.end - k.start, 0),
    ),
  };
}

/**
 * The rows of each input outside the cells counted by `kept` ([S, R * C], per input): overall,
 * per row level and per column level, as a flat [S * (1 + R + C)] share of integers.
 */
export function remainders(p: Protocol, cc: CategoricalCounts, kept: Share): Share {
  const [r, c] = cc.counts.shape as [number, number];
  const s = cc.sourceRows.length;
  const cube = p.reshape(kept, [s, r, c]);
  const total = p.addPublic(
    p.neg(p.sum(kept, 1, true)),
    RingTensor.fromBigInts(
      cc.sourceRows.map((v) => BigInt(v)),
      [s, 1],
    ),
  );
  const rows = p.sub(cc.rowLevelsBySource, p.sum(cube, 2));
  const cols = p.sub(cc.columnLevelsBySource, p.sum(cube, 1));
  return p.reshape(p.concat([total, rows, cols], 1), [s * (1 + r + c)]);
}

/** The values compared to decide suppression of remainders L: L - 1 and L - k, as one flat share. */
export function remainderTests(p: Protocol, left: Share, k: number): Share {
  return p.concat([plus(p, left, -1), plus(p, left, -k)], 0);
}

/** From [L >= 1] and [L >= k] (as {@link remainderTests} lays them out): [L = 0 or L >= k]. */
export function remaindersOk(p: Protocol, bits: Share): Share {
  const m = bits.shape[0]! / 2;
  return plus(p, p.sub(p.slice(bits, 0, m, 2 * m), p.slice(bits, 0, 0, m)), 1);
}

/**
 * keep * (count + 1) per cell ([R, C] integers): the cells every input has at least k rows in,
 * all zero when an input has 1 to k - 1 rows outside the kept cells overall or in a level.
 */
async function keptCells(ctx: ExecContext, cc: CategoricalCounts, k: number): Promise<Share> {
  const { p } = ctx;
  const [r, c] = cc.counts.shape as [number, number];
  const s = cc.sourceRows.length;
  const keep = await allOf(ctx, await ctx.geZero(plus(p, cc.bySource, -k))); // [R*C]
  const both = p.concat([cc.bySource, p.reshape(cc.counts, [1, r * c])], 0); // [S + 1, R*C]
  const prod = await p.mul(p.broadcastTo(p.reshape(keep, [1, r * c]), [s + 1, r * c]), both);
  const kept = p.reshape(p.add(p.slice(prod, 0, s, s + 1), p.reshape(keep, [1, r * c])), [r, c]);
  if (k === 1) return kept; // no input can have 1 to k - 1 rows left over
  const left = remainders(p, cc, p.slice(prod, 0, 0, s));
  const okBits = remaindersOk(p, await ctx.geZero(remainderTests(p, left, k)));
  const ok = await allOf(ctx, p.reshape(okBits, [okBits.shape[0]!, 1])); // [1]
  return p.mul(p.broadcastTo(p.reshape(ok, [1, 1]), [r, c]), kept);
}

/**
 * The contingency op: counts per pair of levels, as fixed point; with `minCount` k >= 1, a
 * suppressed cell is -1 (see the file comment).
 */
export const contingency: OpImpl = async ({ ctx, args, argTypes, params }) => {
  const { p } = ctx;
  const c = categoricalParams(params, argTypes[0]!);
  const cc = await categoricalCounts(ctx, args[0]!, argTypes[0]!, c);
  if (c.minCount === 0) return p.shlA(cc.counts, ctx.f);
  const kept = await keptCells(ctx, cc, c.minCount);
  return plus(p, p.shlA(kept, ctx.f), -(2 ** ctx.f));
};
