/**
 * rep3 comparisons on values of a known bit length, and ReLU by bit injection.
 *
 * The sign of x when x lies in [-2^(k-1), 2^(k-1)) (`bits` = k, 1 <= k <= 63) is bit k-1 of
 * x mod 2^k: a ring homomorphism, so the shares' low k bits suffice. The split of rep3.trunc does
 * the rest without a carry-save step: role 0 knows a = x_0 + x_2, roles 1 and 2 know b = x_1, and
 * a + b = x mod 2^64, so
 *   msb(x) = a_(k-1) ^ b_(k-1) ^ carry out of bits [0, k-1) of a + b.
 * Steps (K = k - 1):
 *   1. both halves as bit planes (planes.ts); role 0 sends the K low planes of a, masked by
 *      K_2 words, to role 1: a replicated B share of a (components a ^ rho, 0, rho), and b is one
 *      already (0, b, 0). 1 round, K bits per element from role 0 (none when K = 0);
 *   2. the carry out of K bits by carry.ts (ripple chains in groups, then a tree): about 2K ANDs
 *      per element in at most one round more than a log-depth tree;
 *   3. e = a_(k-1) ^ (role 0's part of the carry) on role 0, c = b_(k-1) ^ (the carry's b_1) on
 *      roles 1 and 2, msb = e ^ c: inject.ts turns it into A shares (3 words, 2 rounds), or
 *      multiplies x by 1 - msb for ReLU (5 words, 2 rounds).
 * A value outside the bound gives an unspecified 0/1 (the bit k-1 of x mod 2^k): callers pass
 * `bits` only where the range holds by construction (docs/PROTOCOLS.md, "Bounded comparisons").
 *
 * ReLU with no bound (k = 64) takes the sign bit from signBit (sign.ts, 8 rounds) and injects it
 * the same way: 10 rounds as before, 5 words instead of bitToA's 6 plus mul's 3.
 */
import { bitwiseWordInto, kernel } from '../../tensor/index.js';
import type { Cost } from '../protocol.js';
import { payloadWords, wordBytes } from '../wire.js';
import type { WordPair } from './bool.js';
import { carryOut, carryPlan } from './carry.js';
import { expectKind, type Rep3Context, type Rep3Share } from './context.js';
import { splitBitToA, splitCost, splitInject } from './inject.js';
import { fromPlane, planeWords, toPlanes } from './planes.js';
import { signBit, signBitCost } from './sign.js';

function plus(...cs: Cost[]): Cost {
  return cs.reduce((a, c) => ({ rounds: a.rounds + c.rounds, bytesSent: a.bytesSent + c.bytesSent }));
}

/**
 * This party's part of msb(x) for x in [-2^(bits-1), 2^(bits-1)): n words of 0/1, e on role 0
 * and c on roles 1 and 2 with msb = e ^ c; undefined on other parties.
 */
export async function boundedSign(
  ctx: Rep3Context,
  x: Rep3Share,
  bits: number,
): Promise<BigUint64Array | undefined> {
  expectKind(x, 'A', 'bounded sign');
  if (!Number.isInteger(bits) || bits < 1 || bits > 64)
    throw new RangeError(`bounded sign: ${bits} bits is not an integer in [1, 64]`);
  const K = bits - 1;
  const plan = K > 0 ? carryPlan(K) : { rounds: [] };
  if (!ctx.compute) {
    for (let i = 0; i < (K > 0 ? 1 : 0) + plan.rounds.length; i++) ctx.step();
    return undefined;
  }
  const k = kernel();
  const n = x.shape.reduce((a, b) => a * b, 1);
  const W = planeWords(n);
  const [cur, prev] = ctx.parts(x, 'bounded sign');
  const t = k.alloc(W);
  let half: BigUint64Array;
  if (ctx.role === 0) {
    half = k.alloc(n);
    k.add(cur.data, prev.data, half);
  } else half = ctx.role === 1 ? cur.data : prev.data;
  const planes = toPlanes(half, W, t);
  const plane = (m: BigUint64Array, i: number): BigUint64Array => m.subarray(i * W, (i + 1) * W);
  const top = plane(planes, K);
  if (K > 0) {
    const zero = k.alloc(W).fill(0n);
    const a: WordPair[] = [];
    const b: WordPair[] = [];
    const step = ctx.step();
    if (ctx.role === 0) {
      const rho = k.alloc(K * W);
      ctx.kPrev().fillWords(rho);
      const msg = k.alloc(K * W);
      k.xor(planes.subarray(0, K * W), rho, msg);
      await ctx.session.send(ctx.next, step, wordBytes(msg));
      for (let i = 0; i < K; i++) a.push([plane(msg, i), plane(rho, i)]);
      for (let i = 0; i < K; i++) b.push([zero, zero]);
    } else if (ctx.role === 1) {
      const msg = payloadWords(await ctx.session.recv(ctx.prev, step), K * W, ctx.prev, step);
      for (let i = 0; i < K; i++) a.push([zero, plane(msg, i)]);
      for (let i = 0; i < K; i++) b.push([plane(planes, i), zero]);
    } else {
      const rho = k.alloc(K * W);
      ctx.kNext().fillWords(rho);
      for (let i = 0; i < K; i++) a.push([plane(rho, i), zero]);
      for (let i = 0; i < K; i++) b.push([zero, plane(planes, i)]);
    }
    const [cc, cp] = await carryOut(ctx, a, b, W);
    // role 0 holds carry components (0, 2), role 1 (1, 0), role 2 (2, 1)
    if (ctx.role === 0) {
      k.xor(top, cc, top);
      k.xor(top, cp, top);
    } else k.xor(top, ctx.role === 1 ? cc : cp, top);
  }
  return fromPlane(top, n);
}

/** The cost of {@link boundedSign} on this party. */
export function boundedSignCost(ctx: Rep3Context, n: number, bits: number): Cost {
  const K = bits - 1;
  if (K === 0) return { rounds: 0, bytesSent: 0 };
  const W = planeWords(n);
  const { rounds } = carryPlan(K);
  const ands = rounds.reduce((s, r) => s + r, 0);
  if (!ctx.compute) return { rounds: 1 + rounds.length, bytesSent: 0 };
  return { rounds: 1 + rounds.length, bytesSent: 8 * W * (ands + (ctx.role === 0 ? K : 0)) };
}

/** A shares of msb(x) (of 1 - msb(x) when `negate`) for x in [-2^(bits-1), 2^(bits-1)). */
export async function boundedMsb(
  ctx: Rep3Context,
  x: Rep3Share,
  bits: number,
  negate: boolean,
): Promise<Rep3Share> {
  const bit = await boundedSign(ctx, x, bits);
  if (negate && ctx.role === 0) bitwiseWordInto('xor', bit!, 1n, bit!);
  return splitBitToA(ctx, x.shape, bit);
}

/** The cost of {@link boundedMsb}. */
export function boundedMsbCost(ctx: Rep3Context, n: number, bits: number): Cost {
  return plus(boundedSignCost(ctx, n, bits), splitCost(ctx, n, false));
}

/**
 * max(x, 0) = x * (1 - msb(x)) for x in [-2^(bits-1), 2^(bits-1)) (bits <= 63), or for every
 * ring value (bits = 64: the sign from signBit).
 */
export async function reluInject(ctx: Rep3Context, x: Rep3Share, bits: number): Promise<Rep3Share> {
  expectKind(x, 'A', 'relu');
  let bit: BigUint64Array | undefined;
  if (bits < 64) bit = await boundedSign(ctx, x, bits);
  else {
    const b = await signBit(ctx, x);
    if (ctx.compute) {
      const [bc, bp] = ctx.parts(b, 'relu');
      bit = kernel().alloc(bc.size);
      if (ctx.role === 0) kernel().xor(bc.data, bp.data, bit);
      else bit.set(ctx.role === 1 ? bc.data : bp.data);
      bitwiseWordInto('and', bit, 1n, bit);
    }
  }
  if (ctx.role === 0) bitwiseWordInto('xor', bit!, 1n, bit!); // 1 - msb
  return splitInject(ctx, x, bit);
}

/** The cost of {@link reluInject}. */
export function reluInjectCost(ctx: Rep3Context, n: number, bits: number): Cost {
  const sign = bits < 64 ? boundedSignCost(ctx, n, bits) : signBitCost(ctx, n);
  return plus(sign, splitCost(ctx, n, true));
}
