/**
 * Means, covariance and correlation of the columns of a shared table X [n, p], kept within the
 * ring's headroom.
 *
 * mean = (sum of rows) / n, by {@link ExecContext.scalePublic} (the sum is truncated first).
 * cov  = D'^T D' * 2^(2s) / (n - ddof), with D = X - mean and D' = D / 2^s, s = ceil(log2(n) / 2):
 *        pre-scaling keeps the sum of products, before its truncation, near n * var * 2^(2f - 2s),
 *        about var * 2^(2f), instead of n times that; the matrix product sends p*p words, not n*p.
 * corr = (cov * r_i) * r_j with r = rsqrt(diag(cov)), the diagonal set to exactly 1. The
 *        products go in that order so that no intermediate is small (r_i r_j would keep few
 *        significant bits), and r carries {@link RSQRT_EXTRA_BITS} more fractional bits than the
 *        data (see {@link inverseStd}).
 */
import type { Share } from '../../protocols/protocol.js';
import { RingTensor } from '../../tensor/index.js';
import type { ExecContext } from './context.js';

/** Bits by which centred data is pre-scaled before summing n products. */
export function prescaleBits(n: number): number {
  return Math.max(0, Math.ceil(Math.log2(Math.max(1, n)) / 2));
}

/** Column means of X [n, p] as [p]. */
export function columnMeans(ctx: ExecContext, x: Share): Promise<Share> {
  return ctx.scalePublic(ctx.p.sum(x, 0), 1 / x.shape[0]!);
}

/** Means [p] and covariance [p, p] of the columns of X [n, p]. */
export async function covariance(
  ctx: ExecContext,
  x: Share,
  ddof: number,
): Promise<{ mean: Share; cov: Share }> {
  const { p } = ctx;
  const n = x.shape[0]!;
  const mean = await columnMeans(ctx, x);
  const d = p.sub(x, p.broadcastTo(p.reshape(mean, [1, x.shape[1]!]), x.shape));
  const s = prescaleBits(n);
  const ds = s > 0 ? await p.truncate(d, s) : d;
  const gram = await ctx.matmul(p.transpose(ds), ds);
  return { mean, cov: await ctx.scalePublic(gram, 2 ** (2 * s) / (n - ddof)) };
}

/** A share of value * 2^bits (a fixed-point value with `bits` fractional bits). */
export interface ScaledShare {
  /** The share. */
  share: Share;
  /** Its fractional bits. */
  bits: number;
}

/**
 * Extra fractional bits asked of rsqrt (the engine's rsqrt takes at most 18): reading the variance
 * with f + e fractional bits makes rsqrt see var / 2^e and return r * 2^(e/2) with f + e bits, so r
 * comes back with f + 3e/2 fractional bits: 8 times finer than with f, for e = 2.
 */
export const RSQRT_EXTRA_BITS = 2;

/** Smallest variance (in its scaled units) whose rsqrt keeps the stated error: 2^-14. */
export const MIN_SCALED_VARIANCE_BITS = 14;

/**
 * 1/sqrt of each variance on the diagonal of `cov` [p, p], as [p] with extra fractional bits. A
 * guard (ExecContext.guard) requires every variance >= 2^-14 in its scaled units, inside rsqrt's
 * domain with margin: a column whose standard deviation is below 2^-13 of its magnitude bound fails
 * the job instead of giving a wrong result.
 */
export async function inverseStd(
  ctx: ExecContext,
  cov: Share,
  node: { id: string; op: string },
): Promise<ScaledShare> {
  const e = Math.max(0, Math.min(RSQRT_EXTRA_BITS, 18 - ctx.f)) & ~1;
  const diag = ctx.diagonal(cov);
  const floor = RingTensor.fill(diag.shape, -(1n << BigInt(Math.max(0, ctx.f - MIN_SCALED_VARIANCE_BITS))));
  ctx.guard(
    node.id,
    'a column varies too little relative to its magnitude bound',
    await ctx.geZero(ctx.p.addPublic(diag, floor)),
  );
  const share = await ctx.need('rsqrt', node.op)(ctx.p, diag, ctx.f + e);
  return { share, bits: ctx.f + (3 * e) / 2 };
}

/** x * r (x with f fractional bits, r scaled and broadcast to x): the result has f fractional bits. */
export function mulScaled(ctx: ExecContext, x: Share, r: ScaledShare): Promise<Share> {
  return ctx.p.mulTrunc(x, ctx.p.broadcastTo(r.share, x.shape), r.bits);
}

/** Correlation [p, p] from covariance [p, p] and r = 1/std [p]. */
export async function correlationFrom(ctx: ExecContext, cov: Share, r: ScaledShare): Promise<Share> {
  const { p } = ctx;
  const k = cov.shape[0]!;
  const rows = { share: p.broadcastTo(p.reshape(r.share, [k, 1]), [k, k]), bits: r.bits };
  const cols = { share: p.broadcastTo(p.reshape(r.share, [1, k]), [k, k]), bits: r.bits };
  const corr = await mulScaled(ctx, await mulScaled(ctx, cov, rows), cols);
  const offDiag: number[] = [];
  const eye: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      offDiag.push(i === j ? 0 : 1);
      eye.push(i === j ? 1 : 0);
    }
  }
  const masked = p.mulPublic(corr, RingTensor.fromBigInts(offDiag.map(BigInt), [k, k]));
  return p.addPublic(masked, ctx.fixed(eye, [k, k]));
}
