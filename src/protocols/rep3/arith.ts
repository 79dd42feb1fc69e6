/**
 * rep3 arithmetic: multiplication, matrix product, and both fused with truncation (trunc.ts).
 *
 * mul / matmul (ABY3 §3.1; Araki et al. 2016), 1 round, each party sends n words to the next:
 *   1. role r computes z_r = x_r*y_r + x_r*y_{r-1} + x_{r-1}*y_r + alpha_r   (a 3-out-of-3 sharing of
 *      x*y; alpha is a zero sharing from the pairwise PRGs, so z_r alone is uniformly random);
 *   2. role r sends z_r to role r+1 and receives z_{r-1}: it now holds (z_r, z_{r-1}).
 *
 * mulTrunc / matmulTrunc: the product, 3-out-of-3 and masked for truncation, is truncated without
 * a reshare by trunc.ts (2 rounds), exactly: truncation never fails for |x| < 2^62.
 */
import { broadcastShapes, kernel, RingTensor, sizeOf, type Shape } from '../../tensor/index.js';
import { checkTruncation } from '../protocol.js';
import { matmulShape } from '../shapes.js';
import { payloadTensor, wordBytes } from '../wire.js';
import { expectKind, Rep3Share, type Rep3Context } from './context.js';
import { maskForTrunc, truncateProduct } from './trunc.js';

type Parts = [RingTensor, RingTensor];

function bcast(ctx: Rep3Context, x: Rep3Share, shape: Shape, what: string): Parts {
  const [c, p] = ctx.parts(x, what);
  return [c.broadcastTo(shape), p.broadcastTo(shape)];
}

/** z_r = x_r*y_r + x_r*y_{r-1} + x_{r-1}*y_r + z (in place in z). */
function localMul(x: Parts, y: Parts, z: RingTensor): void {
  const k = kernel();
  k.mulAdd(x[0].data, y[0].data, z.data, z.data);
  k.mulAdd(x[0].data, y[1].data, z.data, z.data);
  k.mulAdd(x[1].data, y[0].data, z.data, z.data);
}

/** x_r*(y_r + y_{r-1}) + x_{r-1}*y_r, then + mask (in place). */
function localMatmul(x: Parts, y: Parts, mask: RingTensor): RingTensor {
  const z = x[0].matmul(y[0].add(y[1]));
  const t = x[1].matmul(y[0]);
  const k = kernel();
  k.add(z.data, t.data, z.data);
  k.add(z.data, mask.data, z.data);
  return z;
}

/** Elementwise product of A shares (1 round, n words to the next party). */
export async function mul(ctx: Rep3Context, a: Rep3Share, b: Rep3Share): Promise<Rep3Share> {
  expectKind(a, 'A', 'mul');
  expectKind(b, 'A', 'mul');
  const shape = broadcastShapes(a.shape, b.shape);
  const step = ctx.step();
  if (!ctx.compute) return new Rep3Share(shape, 'A');
  const z = new RingTensor(shape);
  ctx.zeroA(z.data);
  localMul(bcast(ctx, a, shape, 'mul'), bcast(ctx, b, shape, 'mul'), z);
  return reshare(ctx, step, shape, z);
}

/** Matrix product of A shares (1 round, m*n words to the next party). */
export async function matmul(ctx: Rep3Context, a: Rep3Share, b: Rep3Share): Promise<Rep3Share> {
  expectKind(a, 'A', 'matmul');
  expectKind(b, 'A', 'matmul');
  const shape = matmulShape(a.shape, b.shape);
  const step = ctx.step();
  if (!ctx.compute) return new Rep3Share(shape, 'A');
  const mask = new RingTensor(shape);
  ctx.zeroA(mask.data);
  const z = localMatmul(ctx.parts(a, 'matmul'), ctx.parts(b, 'matmul'), mask);
  return reshare(ctx, step, shape, z);
}

/** Sends z_r to the next party and pairs it with z_{r-1} from the previous one: a rep3 share. */
export async function reshare(
  ctx: Rep3Context,
  step: number,
  shape: Shape,
  z: RingTensor,
  kind: 'A' | 'B' = 'A',
): Promise<Rep3Share> {
  const s = ctx.session;
  const [, payload] = await Promise.all([s.send(ctx.next, step, wordBytes(z.data)), s.recv(ctx.prev, step)]);
  return new Rep3Share(shape, kind, z, payloadTensor(payload, shape, ctx.prev, step));
}

/** mul then truncate by `bits`, fused: 2 rounds, n words sent by each party. */
export async function mulTrunc(
  ctx: Rep3Context,
  a: Rep3Share,
  b: Rep3Share,
  bits: number,
): Promise<Rep3Share> {
  expectKind(a, 'A', 'mulTrunc');
  expectKind(b, 'A', 'mulTrunc');
  checkTruncation(bits);
  const shape = broadcastShapes(a.shape, b.shape);
  const s1 = ctx.step();
  const s2 = ctx.step();
  if (!ctx.compute) return new Rep3Share(shape, 'A');
  // Role 1's product is only truncated and dropped: a scratch buffer (the others send theirs).
  const z = ctx.role === 1 ? new RingTensor(shape, ctx.scratch(sizeOf(shape), 1)) : new RingTensor(shape);
  maskForTrunc(ctx, z);
  localMul(bcast(ctx, a, shape, 'mulTrunc'), bcast(ctx, b, shape, 'mulTrunc'), z);
  return truncateProduct(ctx, shape, z, bits, s1, s2);
}

/** matmul then truncate by `bits`, fused: 2 rounds, m*n words sent by each party. */
export async function matmulTrunc(
  ctx: Rep3Context,
  a: Rep3Share,
  b: Rep3Share,
  bits: number,
): Promise<Rep3Share> {
  expectKind(a, 'A', 'matmulTrunc');
  expectKind(b, 'A', 'matmulTrunc');
  checkTruncation(bits);
  const shape = matmulShape(a.shape, b.shape);
  const s1 = ctx.step();
  const s2 = ctx.step();
  if (!ctx.compute) return new Rep3Share(shape, 'A');
  const mask = new RingTensor(shape);
  maskForTrunc(ctx, mask);
  const z = localMatmul(ctx.parts(a, 'matmulTrunc'), ctx.parts(b, 'matmulTrunc'), mask);
  return truncateProduct(ctx, shape, z, bits, s1, s2);
}
