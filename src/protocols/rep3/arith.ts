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
import { maskForTrunc, truncateProduct, zeroMask, type ProductMask } from './trunc.js';

type Parts = [RingTensor, RingTensor];

function bcast(ctx: Rep3Context, x: Rep3Share, shape: Shape, what: string): Parts {
  const [c, p] = ctx.parts(x, what);
  return [c.broadcastTo(shape), p.broadcastTo(shape)];
}

/**
 * out = (x_r*y_r + x_r*y_{r-1} + x_{r-1}*y_r + mask) >>> shift, in one kernel pass: the mask's PRG
 * words are read where they were drawn (out may be one of them).
 */
function localMul(x: Parts, y: Parts, mask: ProductMask, out: BigUint64Array, shift = 0): void {
  kernel().mulAdd3(x[0].data, x[1].data, y[0].data, y[1].data, mask.plus, mask.minus, out, shift);
}

/** (x_r*(y_r + y_{r-1}) + x_{r-1}*y_r + mask) >>> shift: two products, one pass for the rest. */
function localMatmul(x: Parts, y: Parts, mask: ProductMask, shift = 0): RingTensor {
  const k = kernel();
  const sum = k.alloc(y[0].size);
  k.add(y[0].data, y[1].data, sum);
  const z = x[0].matmul(new RingTensor(y[0].shape, sum));
  const t = x[1].matmul(y[0]);
  if (mask.plus !== null) k.add(t.data, mask.plus, t.data);
  if (mask.minus !== null) k.sub(t.data, mask.minus, t.data);
  k.add(z.data, t.data, z.data);
  if (shift > 0) k.shrLogical(z.data, shift, z.data);
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
  const mask = zeroMask(ctx, z.data); // z_r gets K_r - K_{r-1}, a zero sharing
  localMul(bcast(ctx, a, shape, 'mul'), bcast(ctx, b, shape, 'mul'), mask, z.data);
  return reshare(ctx, step, shape, z);
}

/** Matrix product of A shares (1 round, m*n words to the next party). */
export async function matmul(ctx: Rep3Context, a: Rep3Share, b: Rep3Share): Promise<Rep3Share> {
  expectKind(a, 'A', 'matmul');
  expectKind(b, 'A', 'matmul');
  const shape = matmulShape(a.shape, b.shape);
  const step = ctx.step();
  if (!ctx.compute) return new Rep3Share(shape, 'A');
  const mask = zeroMask(ctx, kernel().alloc(sizeOf(shape)));
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
  // Roles 0 and 2 go on with z_r, role 1 with T_1 = z_1 >>> d alone (the same pass computes it).
  const z = new RingTensor(shape);
  const mask = maskForTrunc(ctx, z.data);
  const shift = ctx.role === 1 ? bits : 0;
  localMul(bcast(ctx, a, shape, 'mulTrunc'), bcast(ctx, b, shape, 'mulTrunc'), mask, z.data, shift);
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
  const mask = maskForTrunc(ctx, kernel().alloc(sizeOf(shape)));
  const shift = ctx.role === 1 ? bits : 0; // role 1 goes on with T_1 = z_1 >>> d
  const z = localMatmul(ctx.parts(a, 'matmulTrunc'), ctx.parts(b, 'matmulTrunc'), mask, shift);
  return truncateProduct(ctx, shape, z, bits, s1, s2);
}
