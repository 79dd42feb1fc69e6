/**
 * Logistic regression in MPC (the `logit`, `logitSummary` and `logitFit` ops): Newton-Raphson
 * (IRLS) on standardized features, to convergence.
 *
 * With D = [1, z] the design of standardized features (z = (x - mean) / sd), each iteration:
 * mu = sigmoid(D b), H = D^T diag(mu (1 - mu)) D / n, g = D^T (y - mu) / n, b += H^-1 g, with H^-1
 * by Newton-Schulz (newton-schulz.ts; λ_max(H) <= trace(H) <= (k + 1) / 4). The sums over rows
 * are pre-scaled by 2^-s, s = ceil(log2(n) / 2), as the covariance is (moments.ts). The fit stops
 * when every |step| < 2^-10 (standardized units); then the step's quadratic convergence leaves an
 * error near 2^-20. Whether it has converged is opened to every party of the job after each
 * iteration, so the iteration count (at most maxIterations) is the one thing besides the outputs
 * the parties learn; a fit that has not converged by then fails the job (e.g. separable data, whose
 * maximum-likelihood estimate does not exist).
 *
 * Standard errors come from the inverse information H^-1 / n at the last iterate; in the original
 * units: se_j = sqrt((H^-1)_jj / n) / sd_j, and the intercept's from a^T H^-1 a / n with
 * a = [1, -mean_j / sd_j]. Released: coefficients (slopes with SLOPE_EXTRA_BITS more bits) and
 * se * sqrt(n); the recipient finishes z, p and the intervals (finalize-regression.ts).
 *
 * Guards: the target holds only 0 and 1; H is invertible within bounds; |mean_j| <= 32 sd_j.
 */
import { RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../../protocols/protocol.js';
import { LOGIT_DEFAULT_ITERATIONS } from '../program/ops-logistic.js';
import { SLOPE_EXTRA_BITS } from '../program/ops-regression.js';
import { intParam } from '../program/params.js';
import type { Params } from '../program/types.js';
import { columnExps, type ValueType } from '../program/value-type.js';
import type { ExecContext } from './context.js';
import { RSQRT_MAX_LOG2 } from './engine-nonlinear.js';
import { covariance, inverseStd, mulScaled, prescaleBits, type ScaledShare } from './moments.js';
import { invertSpd } from './newton-schulz.js';
import { columnIndices, type OpCall, type OpImpl } from './op-impl.js';
import { takeColumns } from './ops-relational.js';

/** The fit stops when every Newton step is below 2^-LOGIT_STEP_BITS (standardized units). */
export const LOGIT_STEP_BITS = 10;
/** Largest diagonal element of H^-1 accepted (about VIF / mean(mu (1 - mu))). */
export const LOGIT_MAX_INFO_DIAG = 2 ** 12;

interface Fitted {
  k: number;
  n: number;
  iterations: number;
  /** [intercept, 2^8 slopes] in scaled units. */
  coef: Share;
  hinv: Share;
  meanX: Share;
  rx: ScaledShare;
}

type Node = { id: string; op: string };

function fill(shape: number[], v: number, ctx: ExecContext): RingTensor {
  return ctx.fixed(new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(v), shape);
}

/** A shares of 1 when every element of `x` lies in (-tol, tol), else 0 (integer). */
async function allWithin(ctx: ExecContext, x: Share, tol: number): Promise<Share> {
  const { p } = ctx;
  const flat = p.reshape(x, [x.shape.reduce((a, b) => a * b, 1)]);
  const m = flat.shape[0]!;
  const bits = await ctx.geZero(
    p.concat([p.addPublic(p.neg(flat), fill([m], tol, ctx)), p.addPublic(flat, fill([m], tol, ctx))], 0),
  );
  return ctx.geZero(p.reshape(p.addPublic(p.sum(bits), BigInt.asUintN(64, BigInt(-2 * m))), [1]));
}

async function everyone(p: Protocol, bit: Share): Promise<boolean> {
  const all = Array.from({ length: p.session.parties }, (_, i) => i);
  return (await p.reveal(bit, all))!.toSignedBigInts()[0] === 1n;
}

/** One Newton step from `beta`: the new beta, H^-1 and whether the step was below tolerance. */
async function newtonStep(
  ctx: ExecContext,
  d: Share,
  ds: Share,
  y: Share,
  beta: Share,
  s: number,
  node: Node,
) {
  const { p } = ctx;
  const [n, k1] = d.shape as [number, number];
  const mu = await ctx.need('sigmoid', node.op)(p, await ctx.matmul(d, beta), ctx.f);
  const w = await ctx.mul(mu, p.addPublic(p.neg(mu), fill([n, 1], 1, ctx)));
  const dw = await ctx.mul(ds, p.broadcastTo(w, [n, k1]));
  const h = await ctx.scalePublic(await ctx.matmul(p.transpose(dw), ds), 2 ** (2 * s) / n);
  const g = await ctx.scalePublic(await ctx.matmul(p.transpose(ds), p.sub(y, mu)), 2 ** s / n);
  const hinv = await invertSpd(
    ctx,
    h,
    {
      bound: k1 / 4,
      maxDiag: LOGIT_MAX_INFO_DIAG,
      what: 'the information matrix is too close to singular (collinear features, or outcomes nearly separated by them)',
    },
    node,
  );
  const step = await ctx.matmul(hinv, g);
  const small = await allWithin(ctx, step, 2 ** -LOGIT_STEP_BITS);
  return { beta: p.add(beta, step), hinv, small };
}

async function fit(ctx: ExecContext, x: Share, t: ValueType, params: Params, node: Node): Promise<Fitted> {
  const { p } = ctx;
  const features = params.features as string[];
  const target = params.target as string;
  const [k, n] = [features.length, x.shape[0]!];
  const fx = takeColumns(p, x, columnIndices(t, features));
  const yExp = columnExps(t)[t.columns!.indexOf(target)]!;
  const y = await ctx.scalePublic(takeColumns(p, x, columnIndices(t, [target])), 2 ** yExp);
  const y1y = await ctx.mul(y, p.addPublic(p.neg(y), fill([n, 1], 1, ctx)));
  ctx.guard(
    node.id,
    `the target "${target}" holds a value other than 0 and 1`,
    await allWithin(ctx, y1y, 2 ** -8),
  );
  const { mean, cov } = await covariance(ctx, fx, 1);
  const rx = await inverseStd(ctx, cov, node);
  const z = await mulScaled(ctx, p.sub(fx, p.broadcastTo(p.reshape(mean, [1, k]), [n, k])), rx);
  const d = p.concat([ctx.constant(new Array<number>(n).fill(1), [n, 1]), z], 1);
  const s = prescaleBits(n);
  const ds = s > 0 ? await p.truncate(d, s) : d;
  const maxIterations = intParam(params, 'maxIterations', LOGIT_DEFAULT_ITERATIONS, 1, 1000);
  let beta = ctx.constant(new Array<number>(k + 1).fill(0), [k + 1, 1]);
  let hinv: Share | undefined;
  let iterations = 0;
  for (let done = false; !done;) {
    iterations++;
    const step = await newtonStep(ctx, d, ds, y, beta, s, node);
    ({ beta, hinv } = step);
    done = await everyone(p, step.small);
    if (!done && iterations >= maxIterations) {
      ctx.guard(
        node.id,
        `the fit did not converge in ${maxIterations} iterations`,
        p.fromPublic(RingTensor.fill([1], 0n), 'A'),
      );
      done = true;
    }
  }
  const bz = p.reshape(p.slice(beta, 0, 1, k + 1), [k]);
  const slopes = await p.mulTrunc(bz, rx.share, rx.bits - SLOPE_EXTRA_BITS);
  const fitted = p.sum(await p.mulTrunc(slopes, mean, ctx.f + SLOPE_EXTRA_BITS), 0, true);
  const intercept = p.sub(p.reshape(p.slice(beta, 0, 0, 1), [1]), fitted);
  return { k, n, iterations, coef: p.concat([intercept, slopes], 0), hinv: hinv!, meanX: mean, rx };
}

function fitted(call: OpCall): Promise<Fitted> {
  const { ctx, args, argTypes, params, node } = call;
  const key = JSON.stringify(['logit', node.args[0], params.features, params.target, params.maxIterations]);
  return ctx.memo(key, () => fit(ctx, args[0]!, argTypes[0]!, params, node));
}

/** se * sqrt(n) per term [k + 1] (intercept first), in the scaled units of the terms. */
async function standardErrors(ctx: ExecContext, m: Fitted, node: Node): Promise<Share> {
  const { p } = ctx;
  const { k } = m;
  const u = await mulScaled(ctx, m.meanX, m.rx);
  const a = p.concat([ctx.constant([1]), p.neg(u)], 0);
  const ha = await ctx.matmul(m.hinv, p.reshape(a, [k + 1, 1]));
  const q0 = p.sum(await ctx.mul(p.reshape(a, [k + 1, 1]), ha));
  const v = p.concat([p.reshape(q0, [1]), p.slice(ctx.diagonal(m.hinv), 0, 1, k + 1)], 0);
  const lim = 32;
  const ok = await ctx.geZero(
    p.concat(
      [
        p.addPublic(p.neg(u), fill([k], lim, ctx)),
        p.addPublic(u, fill([k], lim, ctx)),
        p.addPublic(p.neg(p.reshape(q0, [1])), fill([1], 2 ** (RSQRT_MAX_LOG2 - 1), ctx)),
      ],
      0,
    ),
  );
  ctx.guard(node.id, `a feature's mean is more than ${lim} standard deviations from 0 (centre it)`, ok);
  const roots = await ctx.mul(v, await ctx.need('rsqrt', node.op)(p, v, ctx.f));
  const seX = await mulScaled(ctx, p.slice(roots, 0, 1, k + 1), m.rx);
  return p.concat([p.slice(roots, 0, 0, 1), seX], 0);
}

const logit: OpImpl = async (call) => (await fitted(call)).coef;

const logitSummary: OpImpl = async (call) => {
  const m = await fitted(call);
  return call.ctx.p.concat([m.coef, await standardErrors(call.ctx, m, call.node)], 0);
};

const logitFit: OpImpl = async (call) => {
  const m = await fitted(call);
  return call.ctx.constant([m.iterations]);
};

/** The logistic regression implementations by op name. */
export const LOGISTIC_IMPLS: Record<string, OpImpl> = { logit, logitSummary, logitFit };
