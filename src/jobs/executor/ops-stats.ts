/**
 * MPC implementations of the statistics. Costs (rep3, per party, p columns, n rows): mean 2 rounds
 * and p words; covariance about 6 rounds and p*p + n*p words (the pre-scaling truncation of the
 * centred data is n*p); correlation adds an rsqrt of p values and two p*p products; histogram one
 * comparison of n*edges words (plus the suppression of small bins: histogram.ts); linreg a
 * correlation plus one p*p @ p product per epoch.
 */
import type { Share } from '../../protocols/protocol.js';
import { intParam, numberParam } from '../program/params.js';
import { LINREG_DEFAULT_EPOCHS, linregLearningRate } from '../program/ops-stats.js';
import { histogram } from './histogram.js';
import { correlationFrom, covariance, inverseStd, mulScaled } from './moments.js';
import { columnIndices, type OpImpl } from './op-impl.js';
import { takeColumns } from './ops-relational.js';

const count: OpImpl = async ({ ctx, args }) => ctx.constant([args[0]!.shape[0]!], []);

function axisOf(kind: 'table' | 'tensor', params: Record<string, unknown>): number {
  return kind === 'table' ? 0 : typeof params.axis === 'number' ? params.axis : 0;
}

const sum: OpImpl = async ({ ctx, args, argTypes, params }) =>
  ctx.p.sum(args[0]!, axisOf(argTypes[0]!.kind, params));

const mean: OpImpl = async ({ ctx, args, argTypes, params }) => {
  const axis = axisOf(argTypes[0]!.kind, params);
  return ctx.scalePublic(ctx.p.sum(args[0]!, axis), 1 / args[0]!.shape[axis]!);
};

const variance: OpImpl = async ({ ctx, args, params }) => {
  const { cov } = await covariance(ctx, args[0]!, intParam(params, 'ddof', 1, 0, 1));
  return ctx.diagonal(cov);
};

const std: OpImpl = async ({ ctx, args, params, node }) => {
  const { cov } = await covariance(ctx, args[0]!, intParam(params, 'ddof', 1, 0, 1));
  return mulScaled(ctx, ctx.diagonal(cov), await inverseStd(ctx, cov, node));
};

const covarianceImpl: OpImpl = async ({ ctx, args, params }) =>
  (await covariance(ctx, args[0]!, intParam(params, 'ddof', 1, 0, 1))).cov;

const correlation: OpImpl = async ({ ctx, args, node }) => {
  const { cov } = await covariance(ctx, args[0]!, 1);
  return correlationFrom(ctx, cov, await inverseStd(ctx, cov, node));
};

/**
 * Linear regression by full-batch gradient descent on standardized data. With Z the standardized
 * features and y_z the standardized target, the gradient step w <- w - lr * (Z^T Z w - Z^T y_z) / n
 * only needs the correlation matrix C of [features, target]: G = C[:p, :p], h = C[:p, p], so each
 * epoch costs one p x p product whatever n is (the same iterates as GD over the rows). The result
 * is mapped back to the original units: beta = w * sd_y / sd_x, intercept = mean_y - beta . mean_x.
 */
const linreg: OpImpl = async ({ ctx, args, argTypes, params, node }) => {
  const { p } = ctx;
  const features = params.features as string[];
  const target = params.target as string;
  const k = features.length;
  const epochs = intParam(params, 'epochs', LINREG_DEFAULT_EPOCHS, 1, Number.MAX_SAFE_INTEGER);
  const lr = numberParam(params, 'learningRate', linregLearningRate(k));
  const xs = takeColumns(p, args[0]!, columnIndices(argTypes[0]!, [...features, target]));
  const { mean, cov } = await covariance(ctx, xs, 1);
  const r = await inverseStd(ctx, cov, node);
  const c = await correlationFrom(ctx, cov, r);
  const top = p.slice(c, 0, 0, k);
  const lrG = await ctx.scalePublic(p.slice(top, 1, 0, k), lr);
  const lrH = await ctx.scalePublic(p.slice(top, 1, k, k + 1), lr);
  let w = lrH; // the first step from w = 0
  for (let t = 1; t < epochs; t++) w = p.sub(p.add(w, lrH), await ctx.matmul(lrG, w));
  const varY = p.slice(ctx.diagonal(cov), 0, k, k + 1);
  const sdY = await mulScaled(ctx, varY, { share: p.slice(r.share, 0, k, k + 1), bits: r.bits });
  // w * sd_y first (about beta * sd_x: not small), then * r_x
  const wsd = await ctx.mul(p.reshape(w, [k]), p.broadcastTo(sdY, [k]));
  const beta = await mulScaled(ctx, wsd, { share: p.slice(r.share, 0, 0, k), bits: r.bits });
  const fitted = p.sum(await ctx.mul(beta, p.slice(mean, 0, 0, k)), 0, true);
  const intercept = p.sub(p.slice(mean, 0, k, k + 1), fitted);
  return p.concat([intercept, beta], 0);
};

/**
 * Welch's t-test: each table's mean and sample variance of the column, [mean_a, var_a, mean_b,
 * var_b] (the recipient finishes t, df and p). The result's declared shape has 7 elements; the
 * MPC part releases the first 4.
 */
const ttest: OpImpl = async ({ ctx, args, argTypes, params }) => {
  const parts: Share[] = [];
  for (const i of [0, 1]) {
    const x = takeColumns(ctx.p, args[i]!, columnIndices(argTypes[i]!, [params.column as string]));
    const { mean, cov } = await covariance(ctx, x, 1);
    parts.push(mean, ctx.diagonal(cov));
  }
  return ctx.p.concat(parts, 0);
};

/** The statistics implementations by op name. */
export const STATISTIC_IMPLS: Record<string, OpImpl> = {
  count,
  sum,
  mean,
  variance,
  std,
  covariance: covarianceImpl,
  correlation,
  correlationTest: correlation, // the p-values are the recipient's (finalize.ts)
  ttest,
  histogram,
  linreg,
};
