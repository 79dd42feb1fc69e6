/**
 * Share conversions of the `additive` protocol.
 *
 * a2b (arithmetic to boolean; ABY, Demmler et al. 2015, and CrypTen's A2B): the summand x_i of each
 * compute party P_i is itself a boolean sharing of x_i (P_i holds x_i, everyone else 0). The n
 * summands are reduced to two by carry-save adders (one batched AND opening per level), then added
 * by a Kogge-Stone adder on packed 64-bit words (7 openings): csaLevels(n) + 7 openings (a round
 * each all-to-all, two through kings), (n + 10) AND words per value. a2bSummands stops before the adder (comparisons need only the carry into bit
 * 63, which ops/msb.ts computes with a packed carry tree): no communication for two compute
 * parties, csaLevels(n) openings otherwise. Every opening of a2b is a Beaver AND's (e, f), so what
 * a king receives is masked as in beaver.ts.
 *
 * bitToA with daBits (Rotaru & Wood 2019; Escudero et al. 2020, "Improved primitives for MPC over
 * mixed arithmetic-binary circuits"), one opening (wire.ts):
 * 1. The dealer deals random bits r, shared both arithmetically [r]_A and as XOR shares [r]_B
 *    (packed 64 per word).
 * 2. The compute parties open c = b ^ r, bit 0 of each word only, packed: ceil(m/64) words. c is
 *    uniform (r is). P_i's summand b_i ^ r_i is masked by r_i: for every P_i but the correction
 *    party K a draw from its seed with the dealer; for K the dealer's correction, r ^ (the others'
 *    r_j), uniform given everything but r. So whoever receives it (all, or a king) learns nothing.
 * 3. [b]_A = c + [r]_A - 2c[r]_A: P_i sets z_i = r_i·(1 - 2c), the leader adds c.
 */
import { RingTensor, sizeOf } from '../../tensor/index.js';
import type { Protocol } from '../protocol.js';
import { reduceToTwo, sumB } from './adder.js';
import type { AdditiveContext } from './context.js';
import { daBits, packBits, unpackBits } from './correlations.js';
import { AdditiveShare, own } from './share.js';
import { openAmong, openSteps } from './wire.js';

/** Every compute party's summand of `x` as a boolean summand (it holds x_i, everyone else 0). */
function booleanSummands(ctx: AdditiveContext, x: AdditiveShare): AdditiveShare[] {
  return ctx.parties.map((party) => {
    if (!ctx.isCompute) return new AdditiveShare(x.shape, 'B', undefined);
    const local = party === ctx.session.self ? own(x, 'a2b') : new RingTensor(x.shape);
    return new AdditiveShare(x.shape, 'B', local);
  });
}

/** a2b: the summands as boolean summands, then carry-save reduction and a Kogge-Stone adder. */
export function a2b(
  ctx: AdditiveContext,
  p: Protocol<AdditiveShare>,
  x: AdditiveShare,
): Promise<AdditiveShare> {
  return sumB(p, booleanSummands(ctx, x));
}

/**
 * Two B shares whose sum mod 2^64 is x (a2b without its adder, for sign-bit circuits): for two
 * compute parties the boolean summands themselves (no communication), else the carry-save levels.
 */
export function a2bSummands(
  ctx: AdditiveContext,
  p: Protocol<AdditiveShare>,
  x: AdditiveShare,
): Promise<[AdditiveShare, AdditiveShare]> {
  return reduceToTwo(p, booleanSummands(ctx, x));
}

/** bitToA for bit 0 of each word of a B share: A shares of 0/1, one opening. */
export async function bitToA(ctx: AdditiveContext, b: AdditiveShare): Promise<AdditiveShare> {
  const m = sizeOf(b.shape);
  const steps = openSteps(ctx);
  const dealt = ctx.dealer.deal(steps.first, [daBits(m)]);
  const [bits] = await dealt.ready;
  if (!ctx.isCompute) return new AdditiveShare(b.shape, 'A', undefined);
  const [rA, rB] = bits!.fixed as [RingTensor, RingTensor];
  const masked = packBits(own(b, 'bitToA').data);
  new RingTensor([masked.length], masked).xor(rB, new RingTensor([masked.length], masked));
  const opened = await openAmong(ctx, steps, masked, true, false);
  const c = unpackBits(opened.data, m);
  // s = 1 - 2c; z = r·s (+ c on the leader)
  const s = c.shl(1);
  s.neg(s);
  s.add(1n, s);
  const z = ctx.session.self === ctx.leader ? rA.mulAdd(s, c, c) : rA.mul(s, s);
  return new AdditiveShare(b.shape, 'A', z.reshape(b.shape));
}
