/**
 * Exact least squares in MPC (the `ols`, `olsSummary` and `olsFit` ops).
 *
 * The problem is solved standardized: with C the correlation matrix of [features, target]
 * (moments.ts), G = C[:k, :k] and h = C[:k, k], the standardized coefficients are w = G^-1 h, with
 * G^-1 by Newton-Schulz (newton-schulz.ts). Standardizing makes the solve independent of the
 * columns' units, and G's condition is the features' collinearity alone. Back in the original
 * units: beta_j = w_j sd_y / sd_j (held with SLOPE_EXTRA_BITS more bits), intercept = mean_y -
 * sum_j beta_j mean_j.
 *
 * The summary (every formula exact for least squares; e = 1 - R² with R² = h . w):
 * - se_j sqrt(df) = sd_y / sd_j * sqrt(e * VIF_j), VIF_j = (G^-1)_jj, df = n - k - 1;
 * - se_0 sqrt(df) = sd_y * sqrt(e * ((n - 1) / n + u^T G^-1 u)), u_j = mean_j / sd_j;
 * - s = sd_y sqrt(e), so the residual standard error is s sqrt((n - 1) / df).
 * The MPC releases beta, se * sqrt(df) (so that it has beta's units and precision), R², s and the
 * VIFs; the recipient divides by sqrt(df) and finishes t, p, intervals and the F test
 * (finalize-regression.ts).
 *
 * Guards (opened to the recipient before any output; a failure fails the job with the reason):
 * collinearity and convergence (newton-schulz.ts); for the summary, e >= 2^-8 (R² <= 0.996: beyond,
 * the standard errors' relative precision, about k 2^-f / e, is poor) and |mean_j| <= 32 sd_j (the
 * intercept's variance stays in range).
 */
import { encodeFixed } from '../../tensor/index.js';
import type { Share } from '../../protocols/protocol.js';
import { SLOPE_EXTRA_BITS } from '../program/ops-regression.js';
import { numberParam } from '../program/params.js';
import type { Params } from '../program/types.js';
import type { ValueType } from '../program/value-type.js';
import type { ExecContext } from './context.js';
import { RSQRT_MAX_LOG2 } from './engine-nonlinear.js';
import { correlationFrom, covariance, inverseStd, mulScaled, type ScaledShare } from './moments.js';
import { invertCorrelation } from './newton-schulz.js';
import { columnIndices, type OpImpl } from './op-impl.js';
import { takeColumns } from './ops-relational.js';

/** Extra fractional bits of the correlation matrix, h and w in the solve (their entries are small). */
export const SOLVE_EXTRA_BITS = 4;

/** Smallest 1 - R² the summary accepts, as a power of two. */
export const MIN_UNEXPLAINED_BITS = 8;
/** Largest |mean / sd| of a feature the summary accepts, as a power of two. */
export const MAX_MEAN_TO_SD_BITS = 5;

/** The solved regression, shared by the three ops. */
interface Solved {
  k: number;
  n: number;
  /** Coefficients [k + 1], intercept first, in the scaled units of the terms (slopes times 2^8). */
  coef: Share;
  /** Standardized coefficients [k, 1], with SOLVE_EXTRA_BITS more bits. */
  w: Share;
  /** h = corr(features, target) [k, 1], with SOLVE_EXTRA_BITS more bits. */
  h: Share;
  /** G^-1 [k, k]. */
  ginv: Share;
  /** Feature means [k]. */
  meanX: Share;
  /** 1 / sd of the features [k]. */
  rx: ScaledShare;
  /** sd of the target [1]. */
  sdY: Share;
}

async function solve(
  ctx: ExecContext,
  x: Share,
  t: ValueType,
  params: Params,
  node: { id: string; op: string },
): Promise<Solved> {
  const { p } = ctx;
  const features = params.features as string[];
  const k = features.length;
  const xs = takeColumns(p, x, columnIndices(t, [...features, params.target as string]));
  const { mean, cov } = await covariance(ctx, xs, 1);
  const r = await inverseStd(ctx, cov, node);
  const c = await correlationFrom(ctx, cov, r, SOLVE_EXTRA_BITS);
  const top = p.slice(c, 0, 0, k);
  const ridge = numberParam(params, 'ridge', 0);
  let g = p.slice(top, 1, 0, k);
  if (ridge > 0) g = p.addPublic(g, encodeFixed(eye(k, ridge), [k, k], ctx.f + SOLVE_EXTRA_BITS));
  const h = p.slice(top, 1, k, k + 1);
  // |h| <= 1 holds for correlations: a failed truncation would break it (checked with the solve)
  const one = encodeFixed(new Array<number>(k).fill(1 + 2 ** -8), [k, 1], ctx.f + SOLVE_EXTRA_BITS);
  const hInRange = p.reshape(p.concat([p.addPublic(p.neg(h), one), p.addPublic(h, one)], 0), [2 * k]);
  const ginv = await invertCorrelation(ctx, await p.truncate(g, SOLVE_EXTRA_BITS), node, hInRange);
  const w = await refinedSolve(ctx, g, ginv, h);
  const rx = { share: p.slice(r.share, 0, 0, k), bits: r.bits };
  const varY = p.slice(ctx.diagonal(cov), 0, k, k + 1);
  const sdY = await mulScaled(ctx, varY, { share: p.slice(r.share, 0, k, k + 1), bits: r.bits });
  // w * sd_y first (about beta * sd_x: not small), then * (1 / sd_x), to 2^8 beta
  const wsd = await ctx.mul(p.reshape(w, [k]), p.broadcastTo(sdY, [k]));
  const beta = await p.mulTrunc(wsd, rx.share, rx.bits + SOLVE_EXTRA_BITS - SLOPE_EXTRA_BITS);
  const meanX = p.slice(mean, 0, 0, k);
  const fitted = p.sum(await p.mulTrunc(beta, meanX, ctx.f + SLOPE_EXTRA_BITS), 0, true);
  const intercept = p.sub(p.slice(mean, 0, k, k + 1), fitted);
  return { k, n: x.shape[0]!, coef: p.concat([intercept, beta], 0), w, h, ginv, meanX, rx, sdY };
}

function eye(k: number, v: number): number[] {
  return Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? v : 0));
}

/**
 * w = G^-1 h with f + SOLVE_EXTRA_BITS fractional bits (G, h given with as many): w0 = X h, then
 * one step of iterative refinement, w = w0 + X (h - G w0), whose residual is formed at the finer
 * resolution, so that w is limited by G's and h's precision rather than by X's f bits.
 */
async function refinedSolve(ctx: ExecContext, g: Share, x: Share, h: Share): Promise<Share> {
  const { p } = ctx;
  const w0 = await ctx.matmul(x, h);
  const residual = p.sub(h, await p.matmulTrunc(g, w0, ctx.f + SOLVE_EXTRA_BITS));
  return p.add(w0, await ctx.matmul(x, residual));
}

/** The solve for a node's table and params, once per (table, features, target, ridge). */
function solved(call: Parameters<OpImpl>[0]): Promise<Solved> {
  const { ctx, args, argTypes, params, node } = call;
  const key = JSON.stringify(['ols', node.args[0], params.features, params.target, params.ridge ?? 0]);
  return ctx.memo(key, () => solve(ctx, args[0]!, argTypes[0]!, params, node));
}

/** What the summary and fit release: se * sqrt(df) [k + 1], R² [1], s [1], VIFs [k]. */
interface Inference {
  se: Share;
  r2: Share;
  s: Share;
  vif: Share;
}

async function infer(ctx: ExecContext, m: Solved, node: { id: string; op: string }): Promise<Inference> {
  const { p } = ctx;
  const { k, n } = m;
  const r2 = p.sum(await p.mulTrunc(m.h, m.w, ctx.f + 2 * SOLVE_EXTRA_BITS));
  const e = p.addPublic(p.neg(p.reshape(r2, [1])), ctx.fixed([1]));
  const vif = ctx.diagonal(m.ginv);
  const u = await mulScaled(ctx, m.meanX, m.rx);
  const q = p.sum(await ctx.mul(p.reshape(u, [k, 1]), await ctx.matmul(m.ginv, p.reshape(u, [k, 1]))));
  const z = await ctx.mul(
    p.concat([p.broadcastTo(e, [k]), e, e], 0),
    p.concat([vif, p.addPublic(p.reshape(q, [1]), ctx.fixed([(n - 1) / n])), ctx.constant([1])], 0),
  );
  const lim = 2 ** MAX_MEAN_TO_SD_BITS;
  const ok = await ctx.geZero(
    p.concat(
      [
        p.addPublic(e, ctx.fixed([-(2 ** -MIN_UNEXPLAINED_BITS)])),
        p.addPublic(p.neg(u), ctx.fixed(new Array<number>(k).fill(lim))),
        p.addPublic(u, ctx.fixed(new Array<number>(k).fill(lim))),
        p.addPublic(p.neg(p.slice(z, 0, k, k + 1)), ctx.fixed([2 ** (RSQRT_MAX_LOG2 - 1)])),
      ],
      0,
    ),
  );
  ctx.guard(
    node.id,
    `the fit is too close to exact (R² above ${1 - 2 ** -MIN_UNEXPLAINED_BITS}), or a feature's mean is more than ${lim} standard deviations from 0 (centre it), or the intercept's variance is out of range: standard errors would be imprecise in fixed point`,
    ok,
  );
  const roots = await ctx.mul(z, await ctx.need('rsqrt', node.op)(p, z, ctx.f)); // sqrt(z)
  const scaled = await ctx.mul(roots, p.broadcastTo(m.sdY, [k + 2]));
  const seX = await mulScaled(ctx, p.slice(scaled, 0, 0, k), m.rx);
  return {
    se: p.concat([p.slice(scaled, 0, k, k + 1), seX], 0),
    r2: p.reshape(r2, [1]),
    s: p.slice(scaled, 0, k + 1, k + 2),
    vif,
  };
}

function inference(call: Parameters<OpImpl>[0], m: Solved): Promise<Inference> {
  const { ctx, node, params } = call;
  const key = JSON.stringify(['ols-inference', node.args[0], params.features, params.target]);
  return ctx.memo(key, () => infer(ctx, m, node));
}

const ols: OpImpl = async (call) => (await solved(call)).coef;

/** Released: [coef (k + 1), se * sqrt(df) (k + 1)]; the recipient finishes the table. */
const olsSummary: OpImpl = async (call) => {
  const m = await solved(call);
  return call.ctx.p.concat([m.coef, (await inference(call, m)).se], 0);
};

/** Released: [R², s, VIF (k)]; the recipient finishes the fit statistics. */
const olsFit: OpImpl = async (call) => {
  const m = await solved(call);
  const inf = await inference(call, m);
  return call.ctx.p.concat([inf.r2, inf.s, inf.vif], 0);
};

/** The regression implementations by op name. */
export const REGRESSION_IMPLS: Record<string, OpImpl> = { ols, olsSummary, olsFit };
