/**
 * Means, covariance and correlation of the columns of a shared table X [n, p], kept within the
 * ring's headroom.
 *
 * mean = (sum of rows) / n, by {@link ExecContext.scalePublic} (the sum is truncated first).
 * cov  = D'^T D' * 2^(2s) / (n - ddof), with D = X - mean and D' = D / 2^s, s = ceil(log2(n) / 2):
 *        pre-scaling keeps the sum of products, before its truncation, near n * var * 2^(2f - 2s),
 *        about var * 2^(2f), instead of n times that; the matrix product sends p*p words, not n*p.
 *        The products keep 4 more fractional bits until the public factor is applied
 *        ({@link scaledGram}): the factor (up to 8) would otherwise multiply their truncation's
 *        unit of error.
 * corr = (cov * r_i) * r_j with r = rsqrt(diag(cov)), the diagonal set to exactly 1. The
 *        products go in that order so that no intermediate is small (r_i r_j would keep few
 *        significant bits), and r carries {@link RSQRT_EXTRA_BITS} more fractional bits than the
 *        data (see {@link inverseStd}).
 */
import type { Share } from '../../protocols/protocol.js';
import { encodeFixed, RingTensor } from '../../tensor/index.js';
import { SCALE_BITS, type ExecContext } from './context.js';

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
  return { mean, cov: await scaledGram(ctx, ds, 2 ** (2 * s) / (n - ddof)) };
}

/** Fractional bits beyond f the Gram product keeps until it is scaled (see {@link scaledGram}). */
const GRAM_EXTRA_BITS = 4;

/**
 * c * D'^T D' (D' [n, p] with f fractional bits, 1 <= c <= 8 public): the product keeps
 * GRAM_EXTRA_BITS more fractional bits, is multiplied by round(c * 2^(SCALE_BITS - 4)) and
 * truncated by SCALE_BITS. The value truncated is as large as ExecContext.scalePublic's of the
 * truncated product (the same range), and the error is about 1 + c/16 units instead of 1 + c.
 */
async function scaledGram(ctx: ExecContext, ds: Share, c: number): Promise<Share> {
  const { p, f } = ctx;
  const gram = await p.matmulTrunc(p.transpose(ds), ds, f - GRAM_EXTRA_BITS);
  const m = BigInt(Math.round(c * 2 ** (SCALE_BITS - GRAM_EXTRA_BITS)));
  return p.truncate(p.mulPublic(gram, m), SCALE_BITS);
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

/**
 * Smallest variance (in its scaled units) the moment statistics accept: 2^-6. The covariance is
 * held with f = 16 fractional bits, so a variance of 2^-6 keeps about 2^-10 relative precision;
 * smaller ones would leave correlations and regressions a few significant bits (a column whose
 * spread is tiny against its published bound, e.g. a declared domain far wider than the data).
 */
export const MIN_SCALED_VARIANCE_BITS = 6;

/**
 * 1/sqrt of each variance on the diagonal of `cov` [p, p], as [p] with extra fractional bits. A
 * guard (ExecContext.guard) requires every variance >= 2^-6 in its scaled units (precision, and
 * rsqrt's domain): a column whose standard deviation is below 2^-9 of its magnitude bound fails
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
  const r = await ctx.need('rsqrt', node.op)(ctx.p, diag, ctx.f + e);
  return refineRsqrt(ctx, diag, { share: r, bits: ctx.f + (3 * e) / 2 });
}

/**
 * One Newton step for r = 1/sqrt(v): r' = r (3 - v r^2) / 2, which squares r's relative error
 * (rsqrt's, about 2^-15, becomes one unit of r's 2^-(f+3) resolution). v r^2 is formed as
 * (v r) r so that every product stays small: v r = sqrt(v) <= 2^7 with f bits, then times r
 * gives about 1 with r's bits. 3 products (6 rounds on rep3).
 */
async function refineRsqrt(ctx: ExecContext, v: Share, r: ScaledShare): Promise<ScaledShare> {
  const { p } = ctx;
  const root = await p.mulTrunc(v, r.share, r.bits); // sqrt(v), f bits
  const vr2 = await p.mulTrunc(root, r.share, ctx.f); // v r^2, r.bits bits
  const threeMinus = p.addPublic(p.neg(vr2), BigInt(3) << BigInt(r.bits));
  return { share: await p.mulTrunc(r.share, threeMinus, r.bits + 1), bits: r.bits };
}

/** x * r (x with f fractional bits, r scaled and broadcast to x): the result has f fractional bits. */
export function mulScaled(ctx: ExecContext, x: Share, r: ScaledShare): Promise<Share> {
  return ctx.p.mulTrunc(x, ctx.p.broadcastTo(r.share, x.shape), r.bits);
}

/**
 * Correlation [p, p] from covariance [p, p] and r = 1/std [p], with f + `extraBits` fractional
 * bits (its entries are at most 1, so a few more bits cost no headroom; exact least squares uses 4).
 */
export async function correlationFrom(
  ctx: ExecContext,
  cov: Share,
  r: ScaledShare,
  extraBits = 0,
): Promise<Share> {
  const { p } = ctx;
  const k = cov.shape[0]!;
  const rows = { share: p.broadcastTo(p.reshape(r.share, [k, 1]), [k, k]), bits: r.bits };
  const cols = p.broadcastTo(p.reshape(r.share, [1, k]), [k, k]);
  const corr = await p.mulTrunc(await mulScaled(ctx, cov, rows), cols, r.bits - extraBits);
  const offDiag: number[] = [];
  const eye: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      offDiag.push(i === j ? 0 : 1);
      eye.push(i === j ? 1 : 0);
    }
  }
  const masked = p.mulPublic(corr, RingTensor.fromBigInts(offDiag.map(BigInt), [k, k]));
  return p.addPublic(masked, encodeFixed(eye, [k, k], ctx.f + extraBits));
}
