/**
 * rep3 truncation without failures: the 2-out-of-2 local truncation of SecureML / ABY3 Π_trunc1
 * with its wrap corrected by a three-party OT (ot.ts), in the spirit of CrypTen's wrap count.
 *
 * The value z is split z = A + B mod 2^64 between role 0 (A) and roles 1 and 2 (B, which both
 * hold). Role 0 adds the public offset 2^62 to A, so that, for |z| < 2^62, z' = z + 2^62 lies in
 * [0, 2^63). Read A and B as unsigned: A + B = z' + w·2^64 with w = msb(A) OR msb(B) (both below
 * 2^63 cannot carry out; both at or above must; exactly one at or above must too, since z' < 2^63).
 * Rounding A's half up and B's down, ceil(A/2^d) + floor(B/2^d) = floor(z'/2^d) + e + w·2^(64-d),
 * e in {0, 1} (from the low d bits; ceil(A/2^d) <= 2^(64-d) fits a word). So
 *
 *   floor(z/2^d) + e = ceil(A/2^d) + (B >>> d) - 2^(62-d) - w·2^(64-d),
 *
 * and w·2^(64-d) is an A share from one OT: role 0 knows a = msb(A) and offers f_0 = a, f_1 = 1;
 * the choice is c = msb(B). The OT runs modulo 2^(8 lane), lane = 1, 2, 4 or 8 bytes the narrowest
 * with 8 lane >= d (lanes.ts): its messages travel in lanes of that width (2 bytes for d = 16), and
 * each party multiplies its share of w by 2^(64-d), a share of w·2^(64-d) modulo 2^64 since
 * 2^(64-d)·2^(8 lane) = 0 mod 2^64. The masks are the low lanes of uniform words, still uniform. The result is within one unit of
 * z / 2^d (|error| < 1 ulp, as floor or floor + 1) for every |z| < 2^62: no probabilistic failure. (The
 * probabilistic Π_trunc1 this replaces was off by about 2^(64-d) with probability |z|/2^64 per
 * element.) A value with |z| >= 2^62 is outside the method's range: fixed-point products must stay
 * below 2^62 before truncation (2^30 in real terms for f = 16).
 *
 * truncate(x, d), 1 step: T = (T_0, T_1, T_2) = (ceil(A/2^d) - 2^(62-d) - r, B >>> d, r) with r from
 * K_2; role 0 sends T_0 (n words) with its OT messages (2n lanes) to role 1 and 2n lanes to role 2,
 * roles 1 and 2 send each other n lanes; the result is T - W, W the OT's share. For d = 16 that is
 * 8n + 4n + 4n + 2n + 2n = 20n bytes (56n with whole words).
 *
 * mulTrunc / matmulTrunc, 2 steps (fused with the product): the 3-out-of-3 product is masked by
 * alpha_0 = K_0, alpha_1 = K_1 - K_0, alpha_2 = -K_1. Step 1: role 2 sends z_2 to role 0 (so
 * A = z_0 + z_2 + 2^62 is known to role 0 and B = z_1 to role 1) and role 1 sends
 * T_1 = z_1 >>> d to role 2, which reads c = msb(z_1) as its bit 63 - d (d >= 1; for d = 0, T_1
 * is z_1 itself). Step 2: role 0 sends T_0 and the OT messages; roles 1 and 2 exchange their
 * selected masks. Each message is masked by a PRG stream its receiver does not hold.
 *
 * Every PRG word is drawn at call time, before the first await.
 */
import { bitwiseWordInto, kernel, RingTensor, type Shape } from '../../tensor/index.js';
import { checkTruncation } from '../protocol.js';
import { laneFor, type Lane } from '../lanes.js';
import { payloadWords, wordBytes } from '../wire.js';
import { expectKind, Rep3Share, type Rep3Context } from './context.js';
import {
  drawOtReceiver,
  drawOtSender,
  otReceiverMessage,
  otReceiverShare,
  otSenderMessages,
  type OtReceiverDraws,
  type OtSenderDraws,
} from './ot.js';

/** Largest |z| (exclusive) truncated exactly: the public offset that makes z nonnegative. */
export const TRUNC_RANGE = 1n << 62n;

const MASK64 = (1n << 64n) - 1n;

/** Scratch slots of the sender's synchronous section (ot.ts uses 2 to 5). */
const SLOT_F0 = 6;
const SLOT_LOW = 7;

/** Role 0's randomness: T_2 = r (from K_2) and the OT's draws, taken at call time. */
interface SenderDraws {
  r: RingTensor;
  ot: OtSenderDraws;
}

function drawSender(ctx: Rep3Context, shape: Shape, lane: Lane): SenderDraws {
  const r = new RingTensor(shape);
  ctx.kPrev().fillWords(r.data);
  return { r, ot: drawOtSender(ctx, shape, lane) };
}

/** Role 2's randomness: T_2 = r (from K_2), then the OT's. Role 1 draws only the OT's. */
function drawReceiver(ctx: Rep3Context, shape: Shape, lane: Lane): { r?: RingTensor; ot: OtReceiverDraws } {
  let r: RingTensor | undefined;
  if (ctx.role === 2) {
    r = new RingTensor(shape);
    ctx.kNext().fillWords(r.data);
  }
  return { ...(r !== undefined ? { r } : {}), ot: drawOtReceiver(ctx, shape, lane) };
}

/** 2^(64-d) mod 2^64: the weight of the wrap bit in the truncated sum. */
function wrapUnit(bits: number): bigint {
  return (1n << BigInt(64 - bits)) & MASK64;
}

/**
 * Role 0, given A without the offset (overwritten): the payloads to role 1 (T_0, then the OT's
 * 2n messages in narrow lanes) and role 2 (2n messages in lanes), and its share (T_0 - W_0, r - W_2).
 * The OT shares the wrap bit w modulo 2^(8 lane) (f_0 = msb(A), f_1 = 1); each share times 2^(64-d)
 * is a share of w 2^(64-d) modulo 2^64 (lanes.ts).
 */
function senderMessages(
  ctx: Rep3Context,
  d: SenderDraws,
  a: BigUint64Array,
  bits: number,
): { toRole1: Uint8Array; toRole2: Uint8Array; share: Rep3Share } {
  const k = kernel();
  const n = a.length;
  k.addScalar(a, TRUNC_RANGE, a); // A + 2^62
  const f0 = ctx.scratch(n, SLOT_F0);
  k.shrLogical(a, 63, f0); // msb(A)
  const t0 = k.alloc(n);
  k.shrLogical(a, bits, t0);
  const low = ctx.scratch(n, SLOT_LOW); // ceil: + 1 where A's low d bits are not all zero
  bitwiseWordInto('and', a, (1n << BigInt(bits)) - 1n, low);
  k.addScalar(low, (1n << BigInt(bits)) - 1n, low);
  k.shrLogical(low, bits, low);
  k.add(t0, low, t0); // ceil(A / 2^d)
  k.addScalar(t0, (MASK64 + 1n - (TRUNC_RANGE >> BigInt(bits))) & MASK64, t0); // - 2^(62-d)
  k.sub(t0, d.r.data, t0); // T_0
  const ot = otSenderMessages(ctx, d.ot, f0, 1n);
  const toRole1 = new Uint8Array(8 * n + ot.toRole1.length);
  toRole1.set(wordBytes(t0), 0);
  toRole1.set(ot.toRole1, 8 * n);
  const [wb, wa] = [ot.share.cur!, ot.share.prev!];
  const unit = wrapUnit(bits);
  k.mulScalar(wb.data, unit, wb.data); // W_0
  k.mulScalar(wa.data, unit, wa.data); // W_2
  k.sub(t0, wb.data, t0);
  k.sub(d.r.data, wa.data, wa.data);
  return {
    toRole1,
    toRole2: ot.toRole2,
    share: new Rep3Share(wb.shape, 'A', new RingTensor(wb.shape, t0), wa),
  };
}

/** msb(B) as 0/1 words, from B itself or from T_1 = B >>> d (its bit 63 - d). */
function choiceBits(t1: BigUint64Array, bits: number): BigUint64Array {
  const c = kernel().alloc(t1.length);
  kernel().shrLogical(t1, 63 - bits, c);
  return c;
}

/**
 * Roles 1 and 2 in the OT step: exchange the selected masks, read role 0's payload, and combine
 * T - W. `t1` is B >>> d; role 1 also gets T_0 from role 0's payload.
 */
async function receiverStep(
  ctx: Rep3Context,
  step: number,
  shape: Shape,
  d: { r?: RingTensor; ot: OtReceiverDraws },
  t1: BigUint64Array,
  bits: number,
): Promise<Rep3Share> {
  const s = ctx.session;
  const [p0, p1, p2] = ctx.parties;
  const n = t1.length;
  const c = choiceBits(t1, bits);
  const other = ctx.role === 1 ? p2 : p1;
  const [, fromSender, fromOther] = await Promise.all([
    s.send(other, step, otReceiverMessage(ctx, d.ot, c)),
    s.recv(p0, step),
    s.recv(other, step),
  ]);
  const head = ctx.role === 1 ? 8 * n : 0; // role 1 gets T_0 first
  if (fromSender.byteLength < head) {
    throw new RangeError(`party ${p0} sent ${fromSender.byteLength} bytes for step ${step}, expected more`);
  }
  const w = otReceiverShare(ctx, d.ot, c, fromSender.subarray(head), fromOther, {
    sender: `party ${p0}'s OT messages for step ${step}`,
    other: `party ${other}'s OT mask for step ${step}`,
  });
  const k = kernel();
  const unit = wrapUnit(bits);
  const y1 = k.alloc(n);
  k.mulScalar((ctx.role === 1 ? w.cur! : w.prev!).data, unit, y1); // W_1 = m_c 2^(64-d)
  k.sub(t1, y1, y1); // T_1 - W_1
  const mine = d.ot.mine.data;
  k.mulScalar(mine, unit, mine); // W_0 (role 1) or W_2 (role 2)
  if (ctx.role === 1) {
    const y0 = payloadWords(fromSender.subarray(0, head), n, p0, step).slice();
    k.sub(y0, mine, y0); // T_0 - W_0
    return new Rep3Share(shape, 'A', new RingTensor(shape, y1), new RingTensor(shape, y0));
  }
  const y2 = d.r!.data;
  k.sub(y2, mine, y2); // T_2 - W_2
  return new Rep3Share(shape, 'A', new RingTensor(shape, y2), new RingTensor(shape, y1));
}

/** Truncation of A shares by `bits`, exact for |x| < 2^62 (1 step; see the module comment). */
export async function truncate(ctx: Rep3Context, a: Rep3Share, bits: number): Promise<Rep3Share> {
  expectKind(a, 'A', 'truncate');
  checkTruncation(bits);
  const step = ctx.step();
  const shape = a.shape;
  if (!ctx.compute) return new Rep3Share(shape, 'A');
  const [cur, prev] = ctx.parts(a, 'truncate');
  const k = kernel();
  if (ctx.role === 0) {
    const draws = drawSender(ctx, shape, laneFor(bits));
    const sum = k.alloc(cur.size);
    k.add(cur.data, prev.data, sum); // A = x_0 + x_2
    const m = senderMessages(ctx, draws, sum, bits);
    const [, p1, p2] = ctx.parties;
    await Promise.all([ctx.session.send(p1, step, m.toRole1), ctx.session.send(p2, step, m.toRole2)]);
    return m.share;
  }
  const draws = drawReceiver(ctx, shape, laneFor(bits));
  const t1 = k.alloc(cur.size);
  k.shrLogical((ctx.role === 1 ? cur : prev).data, bits, t1); // B = x_1
  return receiverStep(ctx, step, shape, draws, t1, bits);
}

/** Masks the 3-out-of-3 product z_r for the fused truncation (alpha of the module comment). */
export function maskForTrunc(ctx: Rep3Context, z: RingTensor): void {
  const k = kernel();
  if (ctx.role === 0) ctx.kNext().fillWords(z.data);
  else if (ctx.role === 1) ctx.zeroA(z.data);
  else {
    ctx.kPrev().fillWords(z.data);
    k.neg(z.data, z.data);
  }
}

/**
 * The two steps of a fused truncation of the masked product `z` (this party's z_r, compute
 * parties only). Draws its randomness at once, before the first await.
 */
export async function truncateProduct(
  ctx: Rep3Context,
  shape: Shape,
  z: RingTensor,
  bits: number,
  s1: number,
  s2: number,
): Promise<Rep3Share> {
  const s = ctx.session;
  const k = kernel();
  const [, p1, p2] = ctx.parties;
  if (ctx.role === 0) {
    const draws = drawSender(ctx, shape, laneFor(bits));
    const z2 = payloadWords(await s.recv(p2, s1), z.size, p2, s1);
    k.add(z.data, z2, z.data); // A = z_0 + z_2
    const m = senderMessages(ctx, draws, z.data, bits);
    await Promise.all([s.send(p1, s2, m.toRole1), s.send(p2, s2, m.toRole2)]);
    return m.share;
  }
  const draws = drawReceiver(ctx, shape, laneFor(bits));
  if (ctx.role === 1) {
    const t1 = k.alloc(z.size);
    k.shrLogical(z.data, bits, t1); // T_1 = B >>> d
    await s.send(p2, s1, wordBytes(t1));
    return receiverStep(ctx, s2, shape, draws, t1, bits);
  }
  await s.send(ctx.parties[0], s1, wordBytes(z.data)); // z_2 to role 0
  const t1 = payloadWords(await s.recv(p1, s1), z.size, p1, s1).slice();
  return receiverStep(ctx, s2, shape, draws, t1, bits);
}
