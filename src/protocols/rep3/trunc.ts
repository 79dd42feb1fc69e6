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
 *
 * Each role's local work is one fused kernel pass per step (kernel.ts FusedOps: wrapSend for role
 * 0, selectLanes then unwrapLanes and subMulScalar for roles 1 and 2), which compute on the OT's
 * lanes as they are drawn and as they travel; the draws and the bytes on the wire are those of
 * ot.ts's general OT (drawOtSender, drawOtReceiver), which bitToA still uses.
 */
import { kernel, RingTensor, type Shape } from '../../tensor/index.js';
import { checkTruncation } from '../protocol.js';
import { laneFor, type Lane } from '../lanes.js';
import { payloadWords, wordBytes } from '../wire.js';
import { expectKind, Rep3Share, type Rep3Context } from './context.js';
import { drawOtReceiver, drawOtSender, type OtReceiverDraws, type OtSenderDraws } from './ot.js';
import { largeBytes } from '../../util/large-buffers.js';

/** Largest |z| (exclusive) truncated exactly: the public offset that makes z nonnegative. */
export const TRUNC_RANGE = 1n << 62n;

const MASK64 = (1n << 64n) - 1n;

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
 * Role 0, given A = z + z2 without the offset (`out`, which may be z, receives the share's first
 * component):
 * the payloads to role 1 (T_0, then the OT's 2n messages in narrow lanes) and role 2 (2n messages
 * in lanes), and its share (T_0 - W_0, r - W_2), in one pass (kernel wrapSend). The OT shares the
 * wrap bit w modulo 2^(8 lane) (f_0 = msb(A), f_1 = 1); each share times 2^(64-d) is a share of
 * w 2^(64-d) modulo 2^64 (lanes.ts).
 */
function senderMessages(
  d: SenderDraws,
  z: BigUint64Array,
  z2: BigUint64Array,
  bits: number,
  out: BigUint64Array,
): { toRole1: Uint8Array; toRole2: Uint8Array; share: Rep3Share } {
  const n = z.length;
  const { lane, ra, rb } = d.ot;
  const toRole1 = largeBytes(8 * n + 2 * n * lane);
  const toRole2 = largeBytes(2 * n * lane);
  const t0 = new BigUint64Array(toRole1.buffer, 0, n);
  const r = d.r.data;
  const [masks1, masks2] = [d.ot.toRole1Masks, d.ot.toRole2Masks];
  const msg1 = toRole1.subarray(8 * n);
  kernel().wrapSend(z, z2, r, ra.data, rb.data, masks1, masks2, bits, lane, t0, msg1, toRole2, out, r);
  const shape = d.r.shape;
  return { toRole1, toRole2, share: new Rep3Share(shape, 'A', new RingTensor(shape, out), d.r) };
}

/** Checks a payload of lanes (the kernel would throw, without naming the party). */
function checkLanes(bytes: Uint8Array, lanes: number, lane: Lane, what: string): void {
  if (bytes.byteLength !== lanes * lane) {
    throw new RangeError(
      `${what}: ${bytes.byteLength} bytes, expected ${lanes * lane} (${lanes} lanes of ${lane})`,
    );
  }
}

/**
 * Roles 1 and 2 in the OT step: exchange the selected masks, read role 0's payload, and combine
 * T - W. `t1` is B >>> d (never written: it may be a payload); msb(B) is its bit 63 - d. Role 1
 * also gets T_0 from role 0's payload.
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
  const { lane, masks } = d.ot;
  const k = kernel();
  const choice = 63 - bits; // msb(B) = bit 63 - d of B >>> d
  const selected = largeBytes(n * lane);
  k.selectLanes(t1, choice, masks, lane, selected);
  const other = ctx.role === 1 ? p2 : p1;
  const [, fromSender, fromOther] = await Promise.all([
    s.send(other, step, selected),
    s.recv(p0, step),
    s.recv(other, step),
  ]);
  const head = ctx.role === 1 ? 8 * n : 0; // role 1 gets T_0 first
  if (fromSender.byteLength < head) {
    throw new RangeError(`party ${p0} sent ${fromSender.byteLength} bytes for step ${step}, expected more`);
  }
  const messages = fromSender.subarray(head);
  checkLanes(messages, 2 * n, lane, `party ${p0}'s OT messages for step ${step}`);
  checkLanes(fromOther, n, lane, `party ${other}'s OT mask for step ${step}`);
  const unit = wrapUnit(bits);
  const y1 = k.alloc(n);
  k.unwrapLanes(t1, choice, messages, fromOther, lane, unit, y1); // T_1 - W_1, W_1 = m_c 2^(64-d)
  const mine = d.ot.mine.data; // r_b (role 1) or r_a (role 2): W_0 or W_2 = mine 2^(64-d)
  if (ctx.role === 1) {
    k.subMulScalar(payloadWords(fromSender.subarray(0, head), n, p0, step), mine, unit, mine); // T_0 - W_0
    return new Rep3Share(shape, 'A', new RingTensor(shape, y1), new RingTensor(shape, mine));
  }
  const y2 = d.r!.data;
  k.subMulScalar(y2, mine, unit, y2); // T_2 - W_2
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
    const m = senderMessages(draws, cur.data, prev.data, bits, k.alloc(cur.size)); // A = x_0 + x_2
    const [, p1, p2] = ctx.parties;
    await Promise.all([ctx.session.send(p1, step, m.toRole1), ctx.session.send(p2, step, m.toRole2)]);
    return m.share;
  }
  const draws = drawReceiver(ctx, shape, laneFor(bits));
  const t1 = k.alloc(cur.size);
  k.shrLogical((ctx.role === 1 ? cur : prev).data, bits, t1); // B = x_1
  return receiverStep(ctx, step, shape, draws, t1, bits);
}

/** The masks of a product's words: z_r gets + plus - minus (PRG words; null: none). */
export interface ProductMask {
  plus: BigUint64Array | null;
  minus: BigUint64Array | null;
}

/**
 * Draws the mask of the 3-out-of-3 product z_r for the fused truncation (alpha of the module
 * comment: K_0, K_1 - K_0, -K_1), `out` receiving the first stream drawn; the second, role 1's,
 * goes to scratch slot 0.
 */
export function maskForTrunc(ctx: Rep3Context, out: BigUint64Array): ProductMask {
  if (ctx.role === 0) {
    ctx.kNext().fillWords(out);
    return { plus: out, minus: null };
  }
  if (ctx.role === 1) return zeroMask(ctx, out);
  ctx.kPrev().fillWords(out);
  return { plus: null, minus: out };
}

/** Draws this party's arithmetic zero share K_r - K_{r-1} as a mask (as ctx.zeroA draws it). */
export function zeroMask(ctx: Rep3Context, out: BigUint64Array): ProductMask {
  const t = ctx.scratch(out.length);
  ctx.kNext().fillWords(out);
  ctx.kPrev().fillWords(t);
  return { plus: out, minus: t };
}

/**
 * The two steps of a fused truncation of the masked product (compute parties only): `z` is this
 * party's z_r for roles 0 and 2 (role 0 overwrites it with its share), and T_1 = z_1 >>> d for
 * role 1. Draws its randomness at once, before the first await.
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
  const [, p1, p2] = ctx.parties;
  if (ctx.role === 0) {
    const draws = drawSender(ctx, shape, laneFor(bits));
    const z2 = payloadWords(await s.recv(p2, s1), z.size, p2, s1);
    const m = senderMessages(draws, z.data, z2, bits, z.data); // A = z_0 + z_2
    await Promise.all([s.send(p1, s2, m.toRole1), s.send(p2, s2, m.toRole2)]);
    return m.share;
  }
  const draws = drawReceiver(ctx, shape, laneFor(bits));
  if (ctx.role === 1) {
    await s.send(p2, s1, wordBytes(z.data)); // T_1 = B >>> d
    return receiverStep(ctx, s2, shape, draws, z.data, bits);
  }
  await s.send(ctx.parties[0], s1, wordBytes(z.data)); // z_2 to role 0
  const t1 = payloadWords(await s.recv(p1, s1), z.size, p1, s1);
  return receiverStep(ctx, s2, shape, draws, t1, bits);
}
