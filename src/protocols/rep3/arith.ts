/**
 * rep3 arithmetic: multiplication, matrix product, truncation, and both fused with truncation.
 *
 * mul / matmul (ABY3 §3.1; Araki et al. 2016), 1 round, each party sends n words to the next:
 *   1. role r computes z_r = x_r*y_r + x_r*y_{r-1} + x_{r-1}*y_r + alpha_r   (a 3-out-of-3 sharing of
 *      x*y; alpha is a zero sharing from the pairwise PRGs, so z_r alone is uniformly random);
 *   2. role r sends z_r to role r+1 and receives z_{r-1}: it now holds (z_r, z_{r-1}).
 *
 * truncate(x, d), 1 round, only role 0 sends (n words, to role 1): a 2-out-of-2 split of x between
 * role 0 (A = x_0 + x_2) and role 1/role 2 (B = x_1, which both hold), truncated locally as in
 * SecureML (Mohassel & Zhang 2017) / ABY3 §5.1.1 Π_trunc1: A' = A >> d (arithmetic),
 * B' = -((-B) >> d). The new sharing is y_2 = r (drawn from K_2, held by roles 2 and 0),
 * y_0 = A' - r (role 0 sends it to role 1), y_1 = B' (roles 1 and 2 compute it themselves).
 *
 * mulTrunc / matmulTrunc, 2 rounds, each party sends n words once (a plain mul then truncate
 * would be 2 rounds with role 0 sending 2n): the 3-out-of-3 products are masked by the zero sharing
 * alpha_0 = K_0, alpha_1 = K_1 - K_0, alpha_2 = -K_1. Round 1: role 2 sends z_2 to role 0 (so
 * A = z_0 + z_2 is known to role 0 and B = z_1 to role 1), and role 1 sends y_1 = -((-z_1) >> d) to
 * role 2. Round 2: role 0 sends y_0 = (A >> d) - r to role 1, with r = y_2 drawn from K_2. Each
 * message is masked by a PRG stream its receiver does not hold (K_1 for role 0, K_0 for role 2,
 * K_2 for role 1).
 *
 * Error of every truncation (x the shared value read as a signed integer): the result is within 1 of
 * x / 2^d (|error| < 1 ulp) except with probability |x| / 2^64 per element, when the signed sum
 * A + B overflows and the result is off by about ±2^(64-d) (see docs/PROTOCOLS.md).
 */
import { broadcastShapes, kernel, RingTensor, sizeOf, type Shape } from '../../tensor/index.js';
import { checkTruncation } from '../protocol.js';
import { matmulShape } from '../shapes.js';
import { payloadTensor, wordBytes } from '../wire.js';
import { expectKind, Rep3Share, type Rep3Context } from './context.js';

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

/** -((-b) >> d): the rounding-up shift of the second half of a 2-out-of-2 split. */
function negSar(b: RingTensor, bits: number): RingTensor {
  const o = b.neg();
  const k = kernel();
  k.shrArithmetic(o.data, bits, o.data);
  k.neg(o.data, o.data);
  return o;
}

/** Truncation of A shares by `bits` (1 round; role 0 sends n words to role 1). */
export async function truncate(ctx: Rep3Context, a: Rep3Share, bits: number): Promise<Rep3Share> {
  expectKind(a, 'A', 'truncate');
  checkTruncation(bits);
  const step = ctx.step();
  if (!ctx.compute) return new Rep3Share(a.shape, 'A');
  const [cur, prev] = ctx.parts(a, 'truncate');
  const s = ctx.session;
  const k = kernel();
  if (ctx.role === 0) {
    const y0 = cur.add(prev); // A = x_0 + x_2
    k.shrArithmetic(y0.data, bits, y0.data);
    const r = new RingTensor(a.shape);
    ctx.kPrev().fillWords(r.data); // y_2 from K_2
    k.sub(y0.data, r.data, y0.data);
    await s.send(ctx.next, step, wordBytes(y0.data));
    return new Rep3Share(a.shape, 'A', y0, r);
  }
  if (ctx.role === 1) {
    const y1 = negSar(cur, bits); // B = x_1 is role 1's cur
    const payload = await s.recv(ctx.prev, step);
    return new Rep3Share(a.shape, 'A', y1, payloadTensor(payload, a.shape, ctx.prev, step));
  }
  const y1 = negSar(prev, bits); // role 2 holds x_1 as prev
  const r = new RingTensor(a.shape);
  ctx.kNext().fillWords(r.data);
  return new Rep3Share(a.shape, 'A', r, y1);
}

/** The 3-out-of-3 product z_r masked for the fused truncation (see the module comment). */
function maskForTrunc(ctx: Rep3Context, z: RingTensor): void {
  const k = kernel();
  if (ctx.role === 0) ctx.kNext().fillWords(z.data);
  else if (ctx.role === 1) ctx.zeroA(z.data);
  else {
    ctx.kPrev().fillWords(z.data);
    k.neg(z.data, z.data);
  }
}

async function truncRounds(
  ctx: Rep3Context,
  shape: Shape,
  z: RingTensor,
  bits: number,
  s1: number,
  s2: number,
): Promise<Rep3Share> {
  const s = ctx.session;
  const k = kernel();
  if (ctx.role === 0) {
    const z2 = payloadTensor(await s.recv(ctx.prev, s1), shape, ctx.prev, s1);
    k.add(z.data, z2.data, z.data); // A = z_0 + z_2
    k.shrArithmetic(z.data, bits, z.data);
    const r = new RingTensor(shape);
    ctx.kPrev().fillWords(r.data);
    k.sub(z.data, r.data, z.data); // y_0
    await s.send(ctx.next, s2, wordBytes(z.data));
    return new Rep3Share(shape, 'A', z, r);
  }
  if (ctx.role === 1) {
    const y1 = negSar(z, bits);
    await s.send(ctx.next, s1, wordBytes(y1.data));
    const y0 = payloadTensor(await s.recv(ctx.prev, s2), shape, ctx.prev, s2);
    return new Rep3Share(shape, 'A', y1, y0);
  }
  await s.send(ctx.next, s1, wordBytes(z.data)); // z_2 to role 0
  const r = new RingTensor(shape);
  ctx.kNext().fillWords(r.data);
  const y1 = payloadTensor(await s.recv(ctx.prev, s1), shape, ctx.prev, s1);
  return new Rep3Share(shape, 'A', r, y1);
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
  return truncRounds(ctx, shape, z, bits, s1, s2);
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
  return truncRounds(ctx, shape, z, bits, s1, s2);
}
