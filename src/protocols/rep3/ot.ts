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
 * Role 0 sends 4n words, roles 1 and 2 send n words each, in one step; or as much in lanes of
 * 1, 2 or 4 bytes when the caller only needs f_c modulo 2^(8 lane) (lanes.ts: the truncation's
 * wrap bit). The synchronous sections keep their temporaries in the context's scratch slots. The protocol is split into
 * a synchronous draw (every PRG word is taken at call time, so primitives launched concurrently
 * never draw out of step, whatever awaits follow) and the message computations, so a caller can
 * draw first and fill in f or c once they are known (after a round of its own).
 */
import { kernel, RingTensor, type Shape } from '../../tensor/index.js';
import { packLanes, unpackLanesInto, type Lane } from '../lanes.js';
import { wordBytes } from '../wire.js';
import { Rep3Share, type Rep3Context } from './context.js';
import { largeUnfilledBytes } from '../../util/large-buffers.js';

/** Scratch slots (Rep3Context.scratch) the OT's synchronous sections use; callers use others. */
const SLOT = { r: 2, m: 3, masks: 4, sum: 5 } as const;

/** Role 0's PRG draws for one OT of n elements. */
export interface OtSenderDraws {
  /** r_b, from K_0 (the share's y_0). */
  rb: RingTensor;
  /** r_a, from K_2 (the share's y_2). */
  ra: RingTensor;
  /** Masks of the messages to role 2 (K_0): 2n lanes. */
  toRole2Masks: Uint8Array;
  /** Masks of the messages to role 1 (K_2): 2n lanes. */
  toRole1Masks: Uint8Array;
  /** Bytes per message element on the wire (8: whole words). */
  lane: Lane;
}

/** A receiver's (role 1 or 2) PRG draws for one OT of n elements. */
export interface OtReceiverDraws {
  /** r_b (role 1) or r_a (role 2). */
  mine: RingTensor;
  /** The masks this party shares with role 0: 2n lanes. */
  masks: Uint8Array;
  /** Bytes per message element on the wire. */
  lane: Lane;
}

/**
 * Draws role 0's randomness (call synchronously, before any await). With `lane` < 8 the OT works
 * modulo 2^(8 lane) (lanes.ts): masks and messages are lanes of that width.
 */
export function drawOtSender(ctx: Rep3Context, shape: Shape, lane: Lane = 8): OtSenderDraws {
  const rb = new RingTensor(shape);
  const ra = new RingTensor(shape);
  const n = rb.size;
  // not zeroed: the PRG overwrites every byte of both on the next lines
  const toRole2Masks = largeUnfilledBytes(2 * n * lane);
  const toRole1Masks = largeUnfilledBytes(2 * n * lane);
  ctx.kNext().fillWords(rb.data);
  ctx.kNext().fillBytes(toRole2Masks);
  ctx.kPrev().fillWords(ra.data);
  ctx.kPrev().fillBytes(toRole1Masks);
  return { rb, ra, toRole2Masks, toRole1Masks, lane };
}

/** Draws a receiver's randomness (call synchronously, before any await). */
export function drawOtReceiver(ctx: Rep3Context, shape: Shape, lane: Lane = 8): OtReceiverDraws {
  const withSender = ctx.role === 1 ? ctx.kPrev() : ctx.kNext();
  const mine = new RingTensor(shape);
  withSender.fillWords(mine.data);
  const masks = largeUnfilledBytes(2 * mine.size * lane); // the PRG overwrites every byte
  withSender.fillBytes(masks);
  return { mine, masks, lane };
}

/** n lanes as words: a view of whole aligned words, else zero-extended into scratch `slot`. */
function laneWords(
  ctx: Rep3Context,
  bytes: Uint8Array,
  n: number,
  lane: Lane,
  slot: number,
  what: string,
): BigUint64Array {
  if (lane === 8 && bytes.byteOffset % 8 === 0 && bytes.byteLength === 8 * n) {
    return new BigUint64Array(bytes.buffer, bytes.byteOffset, n);
  }
  return unpackLanesInto(bytes, lane, ctx.scratch(n, slot), what);
}

/** `words` + masks, as wire bytes: fresh words for lane 8, packed lanes otherwise. */
function masked(ctx: Rep3Context, words: BigUint64Array, masks: Uint8Array, lane: Lane): Uint8Array {
  const k = kernel();
  const n = words.length;
  const m = laneWords(ctx, masks, n, lane, SLOT.masks, 'OT masks');
  if (lane === 8) {
    const out = k.alloc(n);
    k.add(words, m, out);
    return wordBytes(out);
  }
  const sum = ctx.scratch(n, SLOT.sum);
  k.add(words, m, sum);
  return packLanes(sum, lane);
}

/**
 * Role 0's messages for f_0, f_1 (n words each, or f_1 one constant): 2n lanes to role 1 and 2n
 * lanes to role 2 (wire bytes), and role 0's part of the resulting share.
 */
export function otSenderMessages(
  ctx: Rep3Context,
  d: OtSenderDraws,
  f0: BigUint64Array,
  f1: BigUint64Array | bigint,
): { toRole1: Uint8Array; toRole2: Uint8Array; share: Rep3Share } {
  const k = kernel();
  const n = d.rb.size;
  const r = ctx.scratch(n, SLOT.r);
  k.add(d.ra.data, d.rb.data, r);
  const m = ctx.scratch(2 * n, SLOT.m);
  k.sub(f0, r, m.subarray(0, n));
  if (typeof f1 === 'bigint') {
    k.neg(r, m.subarray(n));
    k.addScalar(m.subarray(n), f1, m.subarray(n)); // f_1 the same for every element
  } else k.sub(f1, r, m.subarray(n));
  return {
    toRole1: masked(ctx, m, d.toRole1Masks, d.lane),
    toRole2: masked(ctx, m, d.toRole2Masks, d.lane),
    share: new Rep3Share(d.rb.shape, 'A', d.rb, d.ra),
  };
}

/** What a receiver sends to the other receiver (wire bytes): its masks selected by c (0/1 words). */
export function otReceiverMessage(ctx: Rep3Context, d: OtReceiverDraws, c: BigUint64Array): Uint8Array {
  const n = c.length;
  const masks = laneWords(ctx, d.masks, 2 * n, d.lane, SLOT.masks, 'OT masks');
  if (d.lane === 8) {
    return wordBytes(select(c, masks, kernel().alloc(n)));
  }
  return packLanes(select(c, masks, ctx.scratch(n, SLOT.sum)), d.lane);
}

/**
 * A receiver's part of the share of f_c (modulo 2^(8 lane)), from role 0's 2n lanes and the other
 * receiver's n lanes (wire bytes; `from` names them in errors). `role` is this party's role (1 or 2).
 * @throws RangeError when a payload has the wrong length.
 */
export function otReceiverShare(
  ctx: Rep3Context,
  d: OtReceiverDraws,
  c: BigUint64Array,
  fromSender: Uint8Array,
  fromOther: Uint8Array,
  from: { sender: string; other: string },
): Rep3Share {
  const n = c.length;
  const senderWords = laneWords(ctx, fromSender, 2 * n, d.lane, SLOT.m, from.sender);
  const otherWords = laneWords(ctx, fromOther, n, d.lane, SLOT.r, from.other);
  const mc = select(c, senderWords, kernel().alloc(n));
  kernel().sub(mc, otherWords, mc);
  const y1 = new RingTensor(d.mine.shape, mc);
  return ctx.role === 1 ? new Rep3Share(y1.shape, 'A', y1, d.mine) : new Rep3Share(y1.shape, 'A', d.mine, y1);
}

/** out[i] = c[i] ? v[n + i] : v[i] for c in {0, 1}: v0 + c * (v1 - v0). Returns out. */
function select(c: BigUint64Array, v: BigUint64Array, out: BigUint64Array): BigUint64Array {
  const k = kernel();
  const n = c.length;
  k.sub(v.subarray(n), v.subarray(0, n), out);
  k.mulAdd(c, out, v.subarray(0, n), out);
  return out;
}
