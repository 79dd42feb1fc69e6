/**
 * Truncation of A shares in the `additive` protocol: x -> x / 2^d for fixed-point values (x read as
 * a signed 64-bit value).
 *
 * With a truncation pair from the dealer, any n, one opening (wire.ts), EXACT for |x| < 2^62 (the pair
 * protocol of Escudero et al. 2020, "Improved primitives for MPC over mixed arithmetic-binary
 * circuits", §5, with its wrap corrected): the pair is r uniform, r' = r >>> d and
 * m = msb(r)·2^(64-d), all shared.
 * 1. Every compute party P_i opens u = x + 2^62 + r (the leader adds the public offset), its
 *    summand being x_i + r_i (+ 2^62). u is uniform (r is): it reveals nothing; and u_i is masked
 *    by r_i, a free summand P_i draws from its seed with the dealer, so whoever receives u_i (every
 *    compute party, or a king) learns nothing from it either.
 * 2. With x' = x + 2^62 in [0, 2^63), u = x' + r - w·2^64 where the wrap w = msb(r)·(1 - msb(u))
 *    (r below 2^63 cannot wrap; r at or above wraps exactly when u falls below 2^63), a linear
 *    function of the shared msb(r) since u is public. So
 *    floor(x/2^d) + e = (u >>> d) - r' + (1 - msb(u))·m - 2^(62-d), e in {0, 1},
 *    and z is that (the leader adds the public terms). P(e = 1) = (x mod 2^d) / 2^d: x / 2^d
 *    rounded stochastically, unbiased, error < 1 ulp, never a failure.
 *
 * Local truncation for n = 2 (SecureML, Mohassel & Zhang 2017, Theorem 1), no communication, and
 * PROBABILISTIC (kept as an explicit option for its cost; jobs never use it):
 * P_0 sets z_0 = x_0 >> d, P_1 sets z_1 = -((-x_1) >> d), computed as (x_1 + 2^d - 1) >> d. Same
 * result and the same failure: for uniform x_0 the sum is floor(X / 2^d) + δ, δ ∈ {0, 1} with
 * P(δ = 1) = (X mod 2^d) / 2^d, except with probability |X| / 2^64 + 2^(d-64) (x_1 = X - x_0, or
 * x_1 + 2^d - 1, wraps), where it is off by ±2^(64-d).
 */
import { RingTensor } from '../../tensor/index.js';
import type { AdditiveContext } from './context.js';
import type { Summands } from './dealer.js';
import { truncPair } from './correlations.js';
import { AdditiveShare, own } from './share.js';
import { openAmong, openSteps, type OpenSteps } from './wire.js';

/** The public offset that makes every |x| < 2^62 nonnegative before the pair's opening. */
const TRUNC_OFFSET = 1n << 62n;

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
 * Pair truncation of `x` at `steps` (from openSteps), given this party's summands of the pair (free
 * [r], fixed [r']; undefined on parties that hold no shares), dealt in an earlier message. One
 * opening.
 */
export async function truncateWithPair(
  ctx: AdditiveContext,
  steps: OpenSteps,
  x: AdditiveShare,
  bits: number,
  pair: Summands | undefined,
): Promise<AdditiveShare> {
  if (!ctx.isCompute) return new AdditiveShare(x.shape, 'A', undefined);
  return openAndShift(ctx, steps, x, bits, pair!.free[0]!, Promise.resolve(pair!.fixed));
}

/** Pair truncation as a primitive of its own: the dealer's pair and the opening share one step. */
export async function truncatePair(
  ctx: AdditiveContext,
  x: AdditiveShare,
  bits: number,
): Promise<AdditiveShare> {
  const steps = openSteps(ctx);
  const dealt = ctx.dealer.deal(steps.first, [truncPair(x.shape, bits)]);
  if (!ctx.isCompute) {
    await dealt.ready;
    return new AdditiveShare(x.shape, 'A', undefined);
  }
  const rs = dealt.ready.then((all) => all[0]!.fixed);
  const z = await openAndShift(ctx, steps, x, bits, dealt.free[0]![0]!, rs);
  dealt.release();
  return z;
}

/**
 * Opens u = x + r (+ 2^62 from the leader), then z = (u >>> d) - r' + (1 - msb(u))·m (- 2^(62-d)
 * on the leader). The pair's fixed part [r', m] is awaited last.
 */
async function openAndShift(
  ctx: AdditiveContext,
  steps: OpenSteps,
  x: AdditiveShare,
  bits: number,
  r: RingTensor,
  fixed: Promise<RingTensor[]>,
): Promise<AdditiveShare> {
  const leader = ctx.session.self === ctx.leader;
  const masked = own(x, 'truncate').add(r);
  if (leader) masked.add(TRUNC_OFFSET, masked);
  const u = await openAmong(ctx, steps, masked.data, false);
  const [rs, m] = await fixed;
  const su = u.reshape(x.shape);
  // (1 - msb(u))·m_i, written over m (this party's own summand)
  const noWrapBit = su.shr(63);
  noWrapBit.neg(noWrapBit).add(1n, noWrapBit);
  m!.mul(noWrapBit, m);
  // z = (u >>> d) - r' + m - 2^(62-d) on the leader, m - r' elsewhere, written over r'
  if (leader) {
    su.shr(bits, su);
    su.sub(rs!, rs);
    rs!.add(-(TRUNC_OFFSET >> BigInt(bits)), rs);
  } else {
    rs!.neg(rs);
  }
  rs!.add(m!, rs);
  ctx.pool.give(u.data);
  return new AdditiveShare(x.shape, 'A', rs!);
}
