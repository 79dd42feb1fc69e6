/**
 * Means, covariance and correlation of the columns of a shared table X [n, p], kept within the
 * ring's headroom.
 *
 * mean = (sum of rows) / n, by {@link ExecContext.scalePublic} (the sum is truncated first).
 * cov  = D'^T D' * 2^(2s) / (n - ddof), with D = X - mean and D' = D / 2^s, s = ceil(log2(n) / 2):
 *        pre-scaling keeps the sum of products, before its truncation, near n * var * 2^(2f - 2s),
 *        about var * 2^(2f), instead of n times that; the matrix product sends p*p words, not n*p.
 * corr = cov * (r r^T) with r = rsqrt(diag(cov)), the diagonal set to exactly 1.
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

/** 1/sqrt of each variance on the diagonal of `cov` [p, p], as [p]. */
export function inverseStd(ctx: ExecContext, cov: Share, op: string): Promise<Share> {
  return ctx.need('rsqrt', op)(ctx.p, ctx.diagonal(cov), ctx.f);
}

/** Correlation [p, p] from covariance [p, p] and r = 1/std [p]. */
export async function correlationFrom(ctx: ExecContext, cov: Share, r: Share): Promise<Share> {
  const { p } = ctx;
  const k = cov.shape[0]!;
  const outer = await ctx.mul(
    p.broadcastTo(p.reshape(r, [k, 1]), [k, k]),
    p.broadcastTo(p.reshape(r, [1, k]), [k, k]),
  );
  const corr = await ctx.mul(cov, outer);
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
