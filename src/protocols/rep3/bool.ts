/**
 * rep3 boolean primitives: AND (single and batched), arithmetic-to-boolean, bit injection.
 *
 * andB / andBMany (Araki et al. CCS 2016), 1 round, n words to the next party: role r computes
 *   z_r = (x_r & (y_r ^ y_{r-1})) ^ (x_{r-1} & y_r) ^ beta_r   (beta_r = K_r ^ K_{r-1}),
 * sends it to role r+1 and receives z_{r-1}. andBMany does every pair in the same round, one payload.
 *
 * a2b (ABY3 §5.3), 8 rounds, 104 bytes per element per party:
 *   1. local boolean summands: X_j = x_j as a boolean sharing (component j = x_j, others 0), so
 *      s = X_0 ^ X_1 ^ X_2 is the share (x_r, x_{r-1}) itself, read as boolean;
 *   2. carry-save: maj(X_0, X_1, X_2) = (x_0&x_1) ^ (x_1&x_2) ^ (x_2&x_0), and role r holds x_r and
 *      x_{r-1}, so t_r = x_r & x_{r-1} is a 3-out-of-3 XOR sharing of maj; one reshare round
 *      (t_r ^ beta_r to the next party) makes it replicated; c = maj << 1;
 *   3. s + c with the generic Kogge-Stone adder on 64-bit words (ops/adder.ts): 7 rounds.
 *
 * bitToA, 1 round (the three-party OT of ot.ts, ABY3 §5.4 bit injection): the bit is b = e ^ c with
 * e = b_0 ^ b_2 (known to role 0, the sender) and c = b_1 (known to roles 1 and 2, the choice);
 * the messages are f_0 = e and f_1 = 1 - e. Role 0 sends 4n words, roles 1 and 2 send n words.
 */
import { bitwiseWordInto, broadcastShapes, kernel, RingTensor } from '../../tensor/index.js';
import { addB } from '../ops/adder.js';
import type { Protocol } from '../protocol.js';
import { payloadWords, wordBytes } from '../wire.js';
import { reshare } from './arith.js';
import { expectKind, Rep3Share, type Rep3Context } from './context.js';
import { drawOtReceiver, drawOtSender, otReceiverMessage, otReceiverShare, otSenderMessages } from './ot.js';

/** This party's two components of a B share as raw words: (x_r, x_{r-1}). */
export type WordPair = [BigUint64Array, BigUint64Array];

/**
 * One round of ANDs on raw share words (1 step, compute parties only): for each (x, y),
 * z_r = (x_r & (y_r ^ y_{r-1})) ^ (x_{r-1} & y_r) ^ beta_r, all in one payload to the next party.
 * `t` is scratch of at least the longest pair's length. Returns (mine, theirs): this party's
 * components of the concatenated results.
 */
export async function andWords(
  ctx: Rep3Context,
  pairs: readonly (readonly [WordPair, WordPair])[],
  t: BigUint64Array,
): Promise<WordPair> {
  const total = pairs.reduce((a, [x]) => a + x[0].length, 0);
  const k = kernel();
  const z = k.alloc(total);
  const step = ctx.step();
  ctx.zeroB(z);
  let off = 0;
  for (const [[xc, xp], [yc, yp]] of pairs) {
    const n = xc.length;
    const zz = z.subarray(off, off + n);
    const tt = t.subarray(0, n);
    k.xor(yc, yp, tt);
    k.and(xc, tt, tt);
    k.xor(zz, tt, zz);
    k.and(xp, yc, tt);
    k.xor(zz, tt, zz);
    off += n;
  }
  const s = ctx.session;
  const [, payload] = await Promise.all([s.send(ctx.next, step, wordBytes(z)), s.recv(ctx.prev, step)]);
  return [z, payloadWords(payload, total, ctx.prev, step)];
}

/** Several elementwise ANDs of B shares in one round. */
export async function andBMany(
  ctx: Rep3Context,
  pairs: readonly (readonly [Rep3Share, Rep3Share])[],
): Promise<Rep3Share[]> {
  const outShapes = pairs.map(([a, b]) => {
    expectKind(a, 'B', 'andB');
    expectKind(b, 'B', 'andB');
    return broadcastShapes(a.shape, b.shape);
  });
  if (!ctx.compute) {
    ctx.step();
    return outShapes.map((sh) => new Rep3Share(sh, 'B'));
  }
  const sizes = outShapes.map((sh) => sh.reduce((x, y) => x * y, 1));
  const words = (x: Rep3Share, i: number): WordPair =>
    ctx.parts(x, 'andB').map((t) => t.broadcastTo(outShapes[i]!).data) as WordPair;
  const [z, got] = await andWords(
    ctx,
    pairs.map(([a, b], i) => [words(a, i), words(b, i)] as const),
    ctx.scratch(sizes.reduce((m, n) => Math.max(m, n), 0)),
  );
  let off = 0;
  return outShapes.map((sh, i) => {
    const n = sizes[i]!;
    const share = new Rep3Share(
      sh,
      'B',
      new RingTensor(sh, z.subarray(off, off + n)),
      new RingTensor(sh, got.subarray(off, off + n)),
    );
    off += n;
    return share;
  });
}

/**
 * The two boolean summands of an A share: s = the components themselves read as boolean, and
 * c = maj(x_0, x_1, x_2) << 1 (1 round: the carry-save reshare), so that s + c = x mod 2^64.
 */
export async function a2bSummands(
  ctx: Rep3Context,
  proto: Protocol<Rep3Share>,
  x: Rep3Share,
): Promise<[Rep3Share, Rep3Share]> {
  expectKind(x, 'A', 'a2b');
  const shape = x.shape;
  const step = ctx.step();
  if (!ctx.compute) return [new Rep3Share(shape, 'B'), new Rep3Share(shape, 'B')];
  const [cur, prev] = ctx.parts(x, 'a2b');
  const sum = new Rep3Share(shape, 'B', cur, prev);
  const k = kernel();
  const t = new RingTensor(shape);
  ctx.zeroB(t.data);
  const u = ctx.scratch(t.size);
  k.and(cur.data, prev.data, u);
  k.xor(t.data, u, t.data);
  const maj = await reshare(ctx, step, shape, t, 'B');
  return [sum, proto.shlB(maj, 1)];
}

/** Arithmetic to boolean: local summands, one carry-save reshare round, a Kogge-Stone adder. */
export async function a2b(ctx: Rep3Context, proto: Protocol<Rep3Share>, x: Rep3Share): Promise<Rep3Share> {
  const [s, c] = await a2bSummands(ctx, proto, x);
  return addB(proto, s, c);
}

/** Bit 0 of each word of a B share, as an A share of 0/1 (1 round; ot.ts with f_c = e ^ c). */
export async function bitToA(ctx: Rep3Context, b: Rep3Share): Promise<Rep3Share> {
  expectKind(b, 'B', 'bitToA');
  const shape = b.shape;
  const step = ctx.step();
  if (!ctx.compute) return new Rep3Share(shape, 'A');
  const [cur, prev] = ctx.parts(b, 'bitToA');
  const n = cur.size;
  const k = kernel();
  const s = ctx.session;
  const [p0, p1, p2] = ctx.parties;
  if (ctx.role === 0) {
    const draws = drawOtSender(ctx, shape);
    const e = k.alloc(n); // b_0 ^ b_2, bit 0: f_0 = e, f_1 = 1 - e
    k.xor(cur.data, prev.data, e);
    bitwiseWordInto('and', e, 1n, e);
    const notE = k.alloc(n);
    k.neg(e, notE);
    k.addScalar(notE, 1n, notE);
    const { toRole1, toRole2, share } = otSenderMessages(ctx, draws, e, notE);
    await Promise.all([s.send(p1, step, toRole1), s.send(p2, step, toRole2)]);
    return share;
  }
  // Roles 1 and 2: c = b_1 (role 1's cur, role 2's prev).
  const draws = drawOtReceiver(ctx, shape);
  const c = k.alloc(n);
  bitwiseWordInto('and', (ctx.role === 1 ? cur : prev).data, 1n, c);
  const other = ctx.role === 1 ? p2 : p1;
  const [, fromSender, fromOther] = await Promise.all([
    s.send(other, step, otReceiverMessage(ctx, draws, c)),
    s.recv(p0, step),
    s.recv(other, step),
  ]);
  return otReceiverShare(ctx, draws, c, fromSender, fromOther, {
    sender: `party ${p0}'s OT messages for step ${step}`,
    other: `party ${other}'s OT mask for step ${step}`,
  });
}
