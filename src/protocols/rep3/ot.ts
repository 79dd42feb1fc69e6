/**
 * The rep3 three-party OT (ABY3 §5.4.1 in the style of its bit injection): role 0 (the sender)
 * knows, for each element, two messages f_0 and f_1; roles 1 and 2 both know a choice bit c. The
 * result is an A share of f_c, and nobody learns anything else:
 *
 *   role 0 draws r = r_a + r_b (r_a from K_2, shared with role 2; r_b from K_0, shared with
 *   role 1) and masks w (from K_2) and w' (from K_0), 2n words each; it sends
 *   (f_0 - r + w_0, f_1 - r + w_1) to role 1 and (f_0 - r + w'_0, f_1 - r + w'_1) to role 2. Role 2
 *   sends w_c to role 1, role 1 sends w'_c to role 2, so both learn m_c = f_c - r, masked by the
 *   part of r each does not hold. The share is y_0 = r_b, y_1 = m_c, y_2 = r_a.
 *
 * Role 0 sends 4n words, roles 1 and 2 send n words each, in one step. The protocol is split into
 * a synchronous draw (every PRG word is taken at call time, so primitives launched concurrently
 * never draw out of step, whatever awaits follow) and the message computations, so a caller can
 * draw first and fill in f or c once they are known (after a round of its own).
 */
import { kernel, RingTensor, type Shape } from '../../tensor/index.js';
import { Rep3Share, type Rep3Context } from './context.js';

/** Role 0's PRG draws for one OT of n elements. */
export interface OtSenderDraws {
  /** r_b, from K_0 (the share's y_0). */
  rb: RingTensor;
  /** r_a, from K_2 (the share's y_2). */
  ra: RingTensor;
  /** Masks of the messages to role 2 (K_0): 2n words. */
  toRole2Masks: BigUint64Array;
  /** Masks of the messages to role 1 (K_2): 2n words. */
  toRole1Masks: BigUint64Array;
}

/** A receiver's (role 1 or 2) PRG draws for one OT of n elements. */
export interface OtReceiverDraws {
  /** r_b (role 1) or r_a (role 2). */
  mine: RingTensor;
  /** The masks this party shares with role 0: 2n words. */
  masks: BigUint64Array;
}

/** Draws role 0's randomness (call synchronously, before any await). */
export function drawOtSender(ctx: Rep3Context, shape: Shape): OtSenderDraws {
  const rb = new RingTensor(shape);
  const ra = new RingTensor(shape);
  const n = rb.size;
  const k = kernel();
  const toRole2Masks = k.alloc(2 * n);
  const toRole1Masks = k.alloc(2 * n);
  ctx.kNext().fillWords(rb.data);
  ctx.kNext().fillWords(toRole2Masks);
  ctx.kPrev().fillWords(ra.data);
  ctx.kPrev().fillWords(toRole1Masks);
  return { rb, ra, toRole2Masks, toRole1Masks };
}

/** Draws a receiver's randomness (call synchronously, before any await). */
export function drawOtReceiver(ctx: Rep3Context, shape: Shape): OtReceiverDraws {
  const withSender = ctx.role === 1 ? ctx.kPrev() : ctx.kNext();
  const mine = new RingTensor(shape);
  withSender.fillWords(mine.data);
  const masks = kernel().alloc(2 * mine.size);
  withSender.fillWords(masks);
  return { mine, masks };
}

/**
 * Role 0's messages for f_0, f_1 (n words each, or f_1 one constant): 2n words to role 1 and 2n
 * words to role 2, and role 0's part of the resulting share.
 */
export function otSenderMessages(
  d: OtSenderDraws,
  f0: BigUint64Array,
  f1: BigUint64Array | bigint,
): { toRole1: BigUint64Array; toRole2: BigUint64Array; share: Rep3Share } {
  const k = kernel();
  const n = d.rb.size;
  const r = k.alloc(n);
  k.add(d.ra.data, d.rb.data, r);
  const m = k.alloc(2 * n);
  k.sub(f0, r, m.subarray(0, n));
  if (typeof f1 === 'bigint') {
    k.neg(r, m.subarray(n));
    k.addScalar(m.subarray(n), f1, m.subarray(n)); // f_1 the same for every element
  } else k.sub(f1, r, m.subarray(n));
  const toRole1 = k.alloc(2 * n);
  const toRole2 = k.alloc(2 * n);
  k.add(m, d.toRole1Masks, toRole1);
  k.add(m, d.toRole2Masks, toRole2);
  return { toRole1, toRole2, share: new Rep3Share(d.rb.shape, 'A', d.rb, d.ra) };
}

/** What a receiver sends to the other receiver: its masks selected by c (0/1 words). */
export function otReceiverMessage(d: OtReceiverDraws, c: BigUint64Array): BigUint64Array {
  return select(c, d.masks, c.length);
}

/**
 * A receiver's part of the share of f_c, from role 0's 2n words and the other receiver's n words.
 * `role` is this party's role (1 or 2).
 */
export function otReceiverShare(
  d: OtReceiverDraws,
  role: number,
  c: BigUint64Array,
  fromSender: BigUint64Array,
  fromOther: BigUint64Array,
): Rep3Share {
  const mc = select(c, fromSender, c.length);
  kernel().sub(mc, fromOther, mc);
  const y1 = new RingTensor(d.mine.shape, mc);
  return role === 1 ? new Rep3Share(y1.shape, 'A', y1, d.mine) : new Rep3Share(y1.shape, 'A', d.mine, y1);
}

/** out[i] = c[i] ? v[n + i] : v[i] for c in {0, 1}: v0 + c * (v1 - v0). */
function select(c: BigUint64Array, v: BigUint64Array, n: number): BigUint64Array {
  const k = kernel();
  const out = k.alloc(n);
  k.sub(v.subarray(n), v.subarray(0, n), out);
  k.mulAdd(c, out, v.subarray(0, n), out);
  return out;
}
