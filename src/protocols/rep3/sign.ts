/**
 * rep3 sign bit, fused: the carry tree of ops/msb.ts (same circuit, same rounds and bytes: the
 * carry-save summands, G = s & c, then six packed levels) written straight on the share words with
 * reused scratch buffers, so that the only allocations are the messages and the result. The
 * generic version builds every intermediate as a new share, and the allocation traffic (tens of
 * words per element) costs more than the arithmetic.
 *
 * Rounds: 1 (summands) + 1 (G) + 6; bytes per party: 8 * (n + N + sum of the level ANDs), N = n
 * rounded up to a multiple of 64 (see ops/msb.ts carryTreeAnds).
 */
import { bitwiseWordInto, kernel, RingTensor } from '../../tensor/index.js';
import { carryTreeAnds, finalBlocks, hiMask } from '../ops/msb.js';
import type { Cost } from '../protocol.js';
import { payloadWords, wordBytes } from '../wire.js';
import { andWords } from './bool.js';
import { expectKind, Rep3Share, type Rep3Context } from './context.js';
import { rep3Cost } from './cost.js';

const MASK64 = (1n << 64n) - 1n;
const BIT63 = 1n << 63n;
const BLOCKS = finalBlocks();
const HI = Array.from({ length: 6 }, (_, l) => hiMask(2 ** l));
/** Reusable word buffers of a sign computation (grown on demand, never sent). */
class Arena {
  private bufs: BigUint64Array[] = [];
  get(i: number, n: number): BigUint64Array {
    let b = this.bufs[i];
    if (b === undefined || b.length < n) {
      b = kernel().alloc(Math.max(n, 2 * (b?.length ?? 0)));
      this.bufs[i] = b;
    }
    return b.subarray(0, n);
  }
}
/** Free arenas per party: a call takes one for its duration, so concurrent calls never share. */
const arenas = new WeakMap<Rep3Context, Arena[]>();

/** The sign bit of an A share as a B share (bit 0; other bits zero). */
export async function signBit(ctx: Rep3Context, x: Rep3Share): Promise<Rep3Share> {
  expectKind(x, 'A', 'signBit');
  const shape = x.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  const N = Math.max(64, Math.ceil(n / 64) * 64);
  if (!ctx.compute) {
    for (let i = 0; i < 8; i++) ctx.step();
    return new Rep3Share(shape, 'B');
  }
  let free = arenas.get(ctx);
  if (free === undefined) arenas.set(ctx, (free = []));
  const ar = free.pop() ?? new Arena();
  try {
    return await signBitWith(ctx, x, ar, n, N);
  } finally {
    free.push(ar);
  }
}

async function signBitWith(
  ctx: Rep3Context,
  x: Rep3Share,
  ar: Arena,
  n: number,
  N: number,
): Promise<Rep3Share> {
  const shape = x.shape;
  const k = kernel();
  const [xc, xp] = ctx.parts(x, 'signBit');
  // s = the components read as boolean (padded with zeros to N words).
  const sc = ar.get(0, N);
  const sp = ar.get(1, N);
  sc.fill(0n, n);
  sp.fill(0n, n);
  sc.set(xc.data);
  sp.set(xp.data);
  const t = ar.get(2, N);
  // Carry-save: maj = XOR over roles of x_r & x_{r-1}, reshared; c = maj << 1.
  const step = ctx.step();
  const m0 = k.alloc(N);
  ctx.zeroB(m0);
  k.and(sc, sp, t);
  k.xor(m0, t, m0);
  const s = ctx.session;
  const [, majPayload] = await Promise.all([s.send(ctx.next, step, wordBytes(m0)), s.recv(ctx.prev, step)]);
  const cc = ar.get(3, N);
  const cp = ar.get(4, N);
  k.shl(m0, 1, cc);
  k.shl(payloadWords(majPayload, N, ctx.prev, step), 1, cp);
  // G = s & c; P = s ^ c; bit 63 neutral (G = 0, P = 1, the constant on x_0 only).
  const [g0c, g0p] = await andWords(
    ctx,
    [
      [
        [sc, sp],
        [cc, cp],
      ],
    ],
    t,
  );
  let gc = ar.get(5, N);
  let gp = ar.get(6, N);
  bitwiseWordInto('and', g0c, MASK64 ^ BIT63, gc);
  bitwiseWordInto('and', g0p, MASK64 ^ BIT63, gp);
  let pc = ar.get(7, N);
  let pp = ar.get(8, N);
  k.xor(sc, cc, pc);
  k.xor(sp, cp, pp);
  // top = (s ^ c) >> 63 before the neutral bit is set: the sign bit without the carry.
  const topC = k.alloc(n);
  const topP = k.alloc(n);
  k.shrLogical(pc.subarray(0, n), 63, topC);
  k.shrLogical(pp.subarray(0, n), 63, topP);
  bitwiseWordInto('and', pc, MASK64 ^ BIT63, pc);
  bitwiseWordInto('and', pp, MASK64 ^ BIT63, pp);
  if (ctx.role === 0) bitwiseWordInto('xor', pc, BIT63, pc);
  if (ctx.role === 1) bitwiseWordInto('xor', pp, BIT63, pp);
  let m = N;
  for (let level = 1; level <= 6; level++) {
    let slot = 10 * level;
    const kk = 2 ** (level - 1);
    const hi = HI[level - 1]!;
    const lo = MASK64 ^ hi;
    const h = m / 2;
    // Buffers of this level only: the previous level's results stay readable.
    const next = (): BigUint64Array => ar.get(slot++, h);
    // merge(x) = (u & hi) ^ ((v & hi) >> kk); mergeShifted(x) = ((u << kk) & hi) ^ (v & lo)
    const merge = (x: BigUint64Array, out: BigUint64Array): void => {
      const u = x.subarray(0, h);
      const v = x.subarray(h, m);
      bitwiseWordInto('and', v, hi, t.subarray(0, h));
      k.shrLogical(t.subarray(0, h), kk, t.subarray(0, h));
      bitwiseWordInto('and', u, hi, out);
      k.xor(out, t.subarray(0, h), out);
    };
    const mergeShifted = (x: BigUint64Array, out: BigUint64Array): void => {
      const u = x.subarray(0, h);
      const v = x.subarray(h, m);
      k.shl(u, kk, out);
      bitwiseWordInto('and', out, hi, out);
      bitwiseWordInto('and', v, lo, t.subarray(0, h));
      k.xor(out, t.subarray(0, h), out);
    };
    const phc = next();
    const php = next();
    const ysc = next();
    const ysp = next();
    merge(pc, phc);
    merge(pp, php);
    mergeShifted(gc, ysc);
    mergeShifted(gp, ysp);
    const ghc = next();
    const ghp = next();
    merge(gc, ghc);
    merge(gp, ghp);
    if (level < 6) {
      const zsc = next();
      const zsp = next();
      mergeShifted(pc, zsc);
      mergeShifted(pp, zsp);
      const [rc, rp] = await andWords(
        ctx,
        [
          [
            [phc, php],
            [ysc, ysp],
          ],
          [
            [phc, php],
            [zsc, zsp],
          ],
        ],
        t,
      );
      k.xor(ghc, rc.subarray(0, h), ghc);
      k.xor(ghp, rp.subarray(0, h), ghp);
      pc = rc.subarray(h, 2 * h);
      pp = rp.subarray(h, 2 * h);
    } else {
      const [rc, rp] = await andWords(
        ctx,
        [
          [
            [phc, php],
            [ysc, ysp],
          ],
        ],
        t,
      );
      k.xor(ghc, rc, ghc);
      k.xor(ghp, rp, ghp);
    }
    gc = ghc;
    gp = ghp;
    m = h;
  }
  // Unpack: bit p of final word j is the carry of element BLOCKS[p] * m + j; add the top bit.
  const outC = ar.get(70, N);
  const outP = ar.get(71, N);
  for (let bit = 0; bit < 64; bit++) {
    const dst = BLOCKS[bit]! * m;
    k.shrLogical(gc, bit, outC.subarray(dst, dst + m));
    k.shrLogical(gp, bit, outP.subarray(dst, dst + m));
  }
  bitwiseWordInto('and', outC, 1n, outC);
  bitwiseWordInto('and', outP, 1n, outP);
  k.xor(topC, outC.subarray(0, n), topC);
  k.xor(topP, outP.subarray(0, n), topP);
  return new Rep3Share(shape, 'B', new RingTensor(shape, topC), new RingTensor(shape, topP));
}

/** The declared cost of {@link signBit} on this party. */
export function signBitCost(ctx: Rep3Context, n: number): Cost {
  const parts: Cost[] = [rep3Cost(ctx, 'andB', Math.max(64, Math.ceil(n / 64) * 64), {})];
  for (const w of carryTreeAnds(n)) parts.push(rep3Cost(ctx, 'andB', w, {}));
  return parts.reduce((a, c) => ({ rounds: a.rounds + c.rounds, bytesSent: a.bytesSent + c.bytesSent }));
}
