/**
 * Bit to arithmetic and bit injection for a bit held as b = e ^ c, e known to role 0 and c to
 * roles 1 and 2 (what a B share of one bit is: e = b_0 ^ b_2, c = b_1; the bounded comparison
 * hands over its sign bit this way). 2 rounds each, fewer words than bitToA's OT (6 words per
 * bit) or bitToA then mul (9):
 *
 * splitBitToA, A shares of b = e + c - 2ec = (u + r)(1 - 2c) + c, 3 words per bit:
 *   round 1: role 0 draws r (K_2) and sends u = e - r to role 1; role 2 (which holds K_2 too)
 *            sends L2 = r(1 - 2c) - tau to role 1;
 *   round 2: role 1 sends L1 = u(1 - 2c) + c - sigma to role 2.
 *   The share is y_0 = sigma (K_0: roles 0 and 1), y_1 = L1 + L2, y_2 = tau (K_2: roles 2 and 0).
 *
 * splitInject, A shares of x * b for an A share x (ABY3's bit injection, with the replication
 * folded into the same two rounds), 5 words per element. With a = x_0 + x_2 (role 0),
 * x_1 (roles 1 and 2), g = a(1 - 2e), h = x_1(1 - 2c):  x * b = a e + c g + e h + x_1 c.
 *   round 1: role 0 sends g - r_1, e - r_2, a e - psi to role 1 (r_1, r_2, psi from K_2); role 2
 *            sends L2 = c r_1 + r_2 h + psi - tau to role 1;
 *   round 2: role 1 sends L1 = x_1 c + c (g - r_1) + (e - r_2) h + (a e - psi) - sigma to role 2.
 *   The share is (sigma, L1 + L2, tau) as above.
 *
 * Privacy: role 1 receives values masked by K_2 words it does not hold, role 2 one masked by K_0,
 * role 0 nothing; the shares' components y_0, y_2 are PRG words, y_1 is masked by them. Bytes:
 * role 0 sends 8n (splitBitToA) or 24n (splitInject), roles 1 and 2 8n each.
 */
import { kernel, RingTensor, type Shape } from '../../tensor/index.js';
import type { Cost } from '../protocol.js';
import { payloadWords, wordBytes } from '../wire.js';
import { Rep3Share, type Rep3Context } from './context.js';

/** Words of `prg`'s next n outputs. */
function draw(fill: { fillWords(out: BigUint64Array): void }, n: number): BigUint64Array {
  const w = kernel().alloc(n);
  fill.fillWords(w);
  return w;
}

/** out = v * (1 - 2c) for 0/1 words c (a new array). */
function timesSign(v: BigUint64Array, c: BigUint64Array): BigUint64Array {
  const k = kernel();
  const t = k.alloc(v.length);
  k.mul(v, c, t);
  k.shl(t, 1, t);
  k.sub(v, t, t);
  return t;
}

/** The share (sigma, y_1, tau) in this party's order. */
function assemble(shape: Shape, mine: BigUint64Array, theirs: BigUint64Array): Rep3Share {
  return new Rep3Share(shape, 'A', new RingTensor(shape, mine), new RingTensor(shape, theirs));
}

/**
 * A shares of e ^ c (0/1). `bit`: e (0/1 words) on role 0, c on roles 1 and 2, ignored elsewhere.
 * 2 rounds (steps taken on every party).
 */
export async function splitBitToA(
  ctx: Rep3Context,
  shape: Shape,
  bit: BigUint64Array | undefined,
): Promise<Rep3Share> {
  return run(ctx, shape, bit, undefined);
}

/** A shares of x * (e ^ c), `bit` as in {@link splitBitToA}. 2 rounds. */
export async function splitInject(
  ctx: Rep3Context,
  x: Rep3Share,
  bit: BigUint64Array | undefined,
): Promise<Rep3Share> {
  return run(ctx, x.shape, bit, x);
}

async function run(
  ctx: Rep3Context,
  shape: Shape,
  bit: BigUint64Array | undefined,
  x: Rep3Share | undefined,
): Promise<Rep3Share> {
  const s1 = ctx.step();
  const s2 = ctx.step();
  if (!ctx.compute) return new Rep3Share(shape, 'A');
  if (bit === undefined) throw new RangeError('bit to arithmetic: a compute party needs its bit words');
  const n = bit.length;
  const k = kernel();
  const s = ctx.session;
  const [p0, p1, p2] = ctx.parties;
  const inject = x !== undefined;
  const parts = inject ? ctx.parts(x, 'splitInject') : undefined;
  if (ctx.role === 0) {
    const e = bit;
    const sigma = draw(ctx.kNext(), n);
    const m = k.alloc((inject ? 3 : 1) * n);
    const r = draw(ctx.kPrev(), m.length); // r (lt) or r_1, r_2, psi (inject), then tau
    const tau = draw(ctx.kPrev(), n);
    if (!inject) k.sub(e, r, m);
    else {
      const a = k.alloc(n);
      k.add(parts![0].data, parts![1].data, a);
      const ae = k.alloc(n);
      k.mul(a, e, ae);
      const g = timesSign(a, e);
      k.sub(g, r.subarray(0, n), m.subarray(0, n));
      k.sub(e, r.subarray(n, 2 * n), m.subarray(n, 2 * n));
      k.sub(ae, r.subarray(2 * n), m.subarray(2 * n));
    }
    await s.send(p1, s1, wordBytes(m));
    return assemble(shape, sigma, tau);
  }
  const c = bit;
  if (ctx.role === 2) {
    const r = draw(ctx.kNext(), (inject ? 3 : 1) * n);
    const tau = draw(ctx.kNext(), n);
    const l2 = k.alloc(n);
    if (!inject) k.sub(timesSign(r, c), tau, l2);
    else {
      const h = timesSign(parts![1].data, c);
      k.mul(c, r.subarray(0, n), l2);
      k.mulAdd(r.subarray(n, 2 * n), h, l2, l2);
      k.add(l2, r.subarray(2 * n), l2);
      k.sub(l2, tau, l2);
    }
    const [, got] = await Promise.all([s.send(p1, s1, wordBytes(l2)), s.recv(p1, s2)]);
    const y1 = payloadWords(got, n, p1, s2);
    const out = k.alloc(n);
    k.add(y1, l2, out);
    return assemble(shape, tau, out);
  }
  // role 1
  const sigma = draw(ctx.kPrev(), n);
  const [fromSender, fromRole2] = await Promise.all([s.recv(p0, s1), s.recv(p2, s1)]);
  const m = payloadWords(fromSender, (inject ? 3 : 1) * n, p0, s1);
  const l2 = payloadWords(fromRole2, n, p2, s1);
  const l1 = k.alloc(n);
  if (!inject) {
    k.add(timesSign(m, c), c, l1);
  } else {
    const x1 = parts![0].data;
    const h = timesSign(x1, c);
    k.mul(x1, c, l1);
    k.mulAdd(c, m.subarray(0, n), l1, l1);
    k.mulAdd(m.subarray(n, 2 * n), h, l1, l1);
    k.add(l1, m.subarray(2 * n), l1);
  }
  k.sub(l1, sigma, l1);
  await s.send(p2, s2, wordBytes(l1));
  const y1 = k.alloc(n);
  k.add(l1, l2, y1);
  return assemble(shape, y1, sigma);
}

/** The cost of {@link splitBitToA} (`inject` false) or {@link splitInject} on n elements. */
export function splitCost(ctx: Rep3Context, n: number, inject: boolean): Cost {
  if (!ctx.compute) return { rounds: 2, bytesSent: 0 };
  return { rounds: 2, bytesSent: ctx.role === 0 ? (inject ? 24 : 8) * n : 8 * n };
}
