/**
 * Probabilistic truncation of A shares in the `additive` protocol: x -> x >> d for fixed-point
 * values (x read as a signed 64-bit value).
 *
 * With a truncation pair (r, r' = r >> d) from the dealer, any n (Escudero et al. 2020, "Improved
 * primitives for MPC over mixed arithmetic-binary circuits", §5; ABY3's pairs), one round:
 * 1. Every compute party P_i opens u = x + r (sends x_i + r_i to every other compute party).
 * 2. The leader sets z = (u >> d) - r'_i, every other party z = -r'_i.
 * u is uniform (r is), so opening it reveals nothing. If X + R (signed) does not overflow,
 * floor(U / 2^d) - floor(R / 2^d) = floor(X / 2^d) + δ with δ ∈ {0, 1}, P(δ = 1) = (X mod 2^d) / 2^d:
 * the result is X / 2^d rounded stochastically, unbiased, error < 1 ulp. It overflows with
 * probability |X| / 2^64, and then the result is off by ±2^(64-d).
 *
 * Local truncation for n = 2 (SecureML, Mohassel & Zhang 2017, Theorem 1), no communication:
 * P_0 sets z_0 = x_0 >> d, P_1 sets z_1 = -((-x_1) >> d), computed as (x_1 + 2^d - 1) >> d. Same
 * result and the same failure: for uniform x_0 the sum is floor(X / 2^d) + δ, δ ∈ {0, 1} with
 * P(δ = 1) = (X mod 2^d) / 2^d, except with probability |X| / 2^64 + 2^(d-64) (x_1 = X - x_0, or
 * x_1 + 2^d - 1, wraps), where it is off by ±2^(64-d).
 */
import { RingTensor } from '../../tensor/index.js';
import { roundStep, type AdditiveContext } from './context.js';
import type { Summands } from './dealer.js';
import { truncPair } from './correlations.js';
import { AdditiveShare, own } from './share.js';
import { openAmong } from './wire.js';

/** How a protocol instance truncates. */
export type TruncationMode = 'local' | 'pair';

/**
 * SecureML local truncation (n = 2 only): no communication. `inPlace` overwrites x's summand (for
 * a product nothing else references).
 */
export function truncateLocal(
  ctx: AdditiveContext,
  x: AdditiveShare,
  bits: number,
  inPlace = false,
): AdditiveShare {
  if (!ctx.isCompute) return new AdditiveShare(x.shape, 'A', undefined);
  const xi = own(x, 'truncate');
  let z: RingTensor;
  if (ctx.session.self === ctx.leader) {
    z = xi.sar(bits, inPlace ? xi : undefined);
  } else {
    // -((-x_1) >> d) = ceil(x_1 / 2^d) = (x_1 + 2^d - 1) >> d: two passes instead of three.
    z = xi.add((1n << BigInt(bits)) - 1n, inPlace ? xi : undefined);
    z.sar(bits, z);
  }
  return new AdditiveShare(x.shape, 'A', z);
}

/**
 * Pair truncation of `x` at `step`, given this party's summands of the pair (free [r], fixed [r'];
 * undefined on parties that hold no shares), dealt in an earlier message. One round.
 */
export async function truncateWithPair(
  ctx: AdditiveContext,
  step: number,
  x: AdditiveShare,
  bits: number,
  pair: Summands | undefined,
): Promise<AdditiveShare> {
  if (!ctx.isCompute) return new AdditiveShare(x.shape, 'A', undefined);
  return openAndShift(ctx, step, x, bits, pair!.free[0]!, Promise.resolve(pair!.fixed[0]!));
}

/** Pair truncation as a primitive of its own: the dealer's pair and the opening share one step. */
export async function truncatePair(
  ctx: AdditiveContext,
  x: AdditiveShare,
  bits: number,
): Promise<AdditiveShare> {
  const step = roundStep(ctx.session);
  const dealt = ctx.dealer.deal(step, [truncPair(x.shape, bits)]);
  if (!ctx.isCompute) {
    await dealt.ready;
    return new AdditiveShare(x.shape, 'A', undefined);
  }
  const rs = dealt.ready.then((all) => all[0]!.fixed[0]!);
  const z = await openAndShift(ctx, step, x, bits, dealt.free[0]![0]!, rs);
  dealt.release();
  return z;
}

/** Opens u = x + r, then z = (u >> d) - r' on the leader, -r' elsewhere. r' is awaited last. */
async function openAndShift(
  ctx: AdditiveContext,
  step: number,
  x: AdditiveShare,
  bits: number,
  r: RingTensor,
  shifted: Promise<RingTensor>,
): Promise<AdditiveShare> {
  const masked = own(x, 'truncate').add(r);
  const u = await openAmong(ctx.session, ctx.parties, step, masked.data, false, ctx.pool);
  const rs = await shifted;
  // z = (u >> d) - r' on the leader, -r' elsewhere, written over r' (this party's own summand).
  if (ctx.session.self === ctx.leader) {
    const su = u.reshape(x.shape);
    su.sar(bits, su);
    su.sub(rs, rs);
  } else {
    rs.neg(rs);
  }
  ctx.pool.give(u.data);
  return new AdditiveShare(x.shape, 'A', rs);
}
