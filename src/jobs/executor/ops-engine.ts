/**
 * MPC implementations of the engine ops: arithmetic through the protocol's primitives (with
 * fixed-point truncation after products), ReLU and the nonlinear functions through the engine's
 * generic ops (src/protocols/ops) when this build has them.
 */
import { relu as reluOp } from '../../protocols/ops/compare.js';
import type { Share } from '../../protocols/protocol.js';
import type { NonlinearOps } from './context.js';
import type { OpImpl } from './op-impl.js';

const add: OpImpl = async ({ ctx, args }) => ctx.p.add(args[0]!, args[1]!);
const sub: OpImpl = async ({ ctx, args }) => ctx.p.sub(args[0]!, args[1]!);
const neg: OpImpl = async ({ ctx, args }) => ctx.p.neg(args[0]!);

function bcast(ctx: Parameters<OpImpl>[0]['ctx'], args: Share[], shape: number[]): [Share, Share] {
  return [ctx.p.broadcastTo(args[0]!, shape), ctx.p.broadcastTo(args[1]!, shape)];
}

const mul: OpImpl = async ({ ctx, args, type }) => ctx.mul(...bcast(ctx, args, type.shape as number[]));
const matmul: OpImpl = async ({ ctx, args }) => ctx.matmul(args[0]!, args[1]!);
const transpose: OpImpl = async ({ ctx, args }) => ctx.p.transpose(args[0]!);
const scale: OpImpl = async ({ ctx, args, params }) => ctx.scalePublic(args[0]!, params.factor as number);
const constant: OpImpl = async ({ ctx, params, type }) =>
  ctx.constant(params.values as number[], type.shape as number[]);

const relu: OpImpl = async ({ ctx, args }) => reluOp(ctx.p, args[0]!);

function nonlinear(name: keyof NonlinearOps): OpImpl {
  return async ({ ctx, args, node }) => ctx.need(name, node.op)(ctx.p, args[0]!, ctx.f);
}

const sqrt: OpImpl = async ({ ctx, args, node }) =>
  ctx.mul(args[0]!, await ctx.need('rsqrt', node.op)(ctx.p, args[0]!, ctx.f));

const div: OpImpl = async ({ ctx, args, node, type }) => {
  const [a, b] = bcast(ctx, args, type.shape as number[]);
  return ctx.mul(a, await ctx.need('reciprocal', node.op)(ctx.p, b, ctx.f));
};

/** The engine implementations by op name. */
export const ENGINE_IMPLS: Record<string, OpImpl> = {
  add,
  sub,
  mul,
  div,
  neg,
  scale,
  matmul,
  transpose,
  constant,
  relu,
  sigmoid: nonlinear('sigmoid'),
  exp: nonlinear('exp'),
  reciprocal: nonlinear('reciprocal'),
  rsqrt: nonlinear('rsqrt'),
  sqrt,
};
