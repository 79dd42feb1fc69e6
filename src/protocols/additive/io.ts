/**
 * Input and output of the `additive` protocol.
 *
 * input (owner O, any session party), with PRG seeds O shares with each compute party:
 * - O is a compute party: every other compute party P_j draws its summand r_j from the seed it
 *   shares with O; O keeps x - Σ r_j. No communication.
 * - O is not: every compute party but the last, K, draws r_j from its seed with O; O sends x - Σ r_j
 *   to K. One round; O sends 8m bytes, K receives them; no one else communicates.
 * Any coalition that misses one compute party (and O) sees only PRG output or values masked by it.
 *
 * reveal (to named parties only), one round: the compute parties first re-randomise their
 * summands with a zero-sharing from the PRGs of neighbouring compute parties (so the summands a
 * recipient sees are uniform given the value), then each sends its summand to every recipient
 * other than itself. A party not named receives nothing. The dealer too may be named: the
 * re-randomisation uses seeds it does not hold, so although it knows every triple summand, it
 * learns the revealed value and nothing else; it receives nothing in any other primitive.
 */
import { RingTensor, fmtShape, shapesEqual, sizeOf, type Shape } from '../../tensor/index.js';
import { checkParty, checkRecipients, ProtocolUsageError, type ShareKind } from '../protocol.js';
import { roundStep, type AdditiveContext } from './context.js';
import { AdditiveShare, own } from './share.js';
import { wordBytes } from '../wire.js';
import { recvWords, settleLater } from './wire.js';

/** Party `owner` shares `value` (given on the owner only) of `shape` as an A share. */
export async function input(
  ctx: AdditiveContext,
  owner: number,
  value: RingTensor | undefined,
  shape: Shape,
): Promise<AdditiveShare> {
  const { session, parties } = ctx;
  const self = session.self;
  checkParty(session.parties, owner, 'input: owner');
  if (self === owner) {
    if (!(value instanceof RingTensor))
      throw new ProtocolUsageError('input: the owner must give a RingTensor');
    if (!shapesEqual(value.shape, shape)) {
      throw new ProtocolUsageError(
        `input: value has shape ${fmtShape(value.shape)}, expected ${fmtShape(shape)}`,
      );
    }
  }
  const ownerComputes = parties.includes(owner);
  const k = parties[parties.length - 1]!;
  const step = ownerComputes ? -1 : roundStep(session);
  // The parties whose summand comes from the seed they share with the owner.
  const seeded = parties.filter((p) => p !== (ownerComputes ? owner : k));
  if (self === owner) {
    const rest = value!.clone();
    for (const p of seeded) rest.sub(ctx.pairPrg(p).ring(shape), rest);
    if (ownerComputes) return new AdditiveShare(shape, 'A', rest);
    await session.send(k, step, wordBytes(rest.data));
    return new AdditiveShare(shape, 'A', undefined);
  }
  if (seeded.includes(self)) return new AdditiveShare(shape, 'A', ctx.pairPrg(owner).ring(shape));
  if (self === k && !ownerComputes) {
    const words = await recvWords(session, owner, step, sizeOf(shape));
    return new AdditiveShare(shape, 'A', new RingTensor(shape, words));
  }
  return new AdditiveShare(shape, 'A', undefined);
}

/** This party's summand plus its part of a fresh zero-sharing among the compute parties. */
function rerandomise(ctx: AdditiveContext, x: RingTensor, kind: ShareKind): RingTensor {
  const { parties } = ctx;
  const n = parties.length;
  const i = parties.indexOf(ctx.session.self);
  const out = x.clone();
  // Edge (P_j, P_{j+1}): P_j adds the pair's PRG output, P_{j+1} subtracts it (XOR for B). For n = 2
  // the two edges are one pair, used once.
  const edges = n === 2 ? 1 : n;
  for (let j = 0; j < edges; j++) {
    const lo = parties[j]!;
    const hi = parties[(j + 1) % n]!;
    if (i !== j && i !== (j + 1) % n) continue;
    const r = ctx.pairPrg(i === j ? hi : lo).ring(x.shape);
    if (kind === 'B') out.xor(r, out);
    else if (i === j) out.add(r, out);
    else out.sub(r, out);
  }
  return out;
}

/** Opens `x` to the parties in `to` only; they get the value, everyone else undefined. */
export async function reveal(
  ctx: AdditiveContext,
  x: AdditiveShare,
  to: readonly number[],
): Promise<RingTensor | undefined> {
  checkRecipients(ctx.session.parties, to);
  const { session, parties } = ctx;
  const self = session.self;
  if (to.length === 0) return undefined;
  const step = roundStep(session);
  const m = sizeOf(x.shape);
  const xor = x.kind === 'B';
  let mine: RingTensor | undefined;
  const sends: Promise<void>[] = [];
  if (ctx.isCompute) {
    mine = rerandomise(ctx, own(x, 'reveal'), x.kind);
    for (const r of to) if (r !== self) sends.push(session.send(r, step, wordBytes(mine.data)));
  }
  if (!to.includes(self)) {
    await settleLater(sends);
    return undefined;
  }
  const senders = parties.filter((p) => p !== self);
  const sent = settleLater(sends);
  const received = await Promise.all(senders.map((p) => recvWords(session, p, step, m)));
  await sent;
  // `mine` may have been handed to the channel: accumulate into a fresh tensor.
  const acc = new RingTensor(x.shape);
  if (mine !== undefined) acc.data.set(mine.data);
  for (const w of received) {
    const t = new RingTensor(x.shape, w);
    if (xor) acc.xor(t, acc);
    else acc.add(t, acc);
  }
  return acc;
}
