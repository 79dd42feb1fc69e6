/**
 * The sign bit of A shares for the `additive` protocol, fused: the packed carry tree of ops/msb.ts
 * (same circuit, rounds and bytes) on this party's summand words with pooled scratch buffers, so
 * that only the messages and the result are allocated (the generic version builds every
 * intermediate as a new share and its allocations cost more than the arithmetic).
 *
 * Steps: a2bSummands gives B shares s, c with s + c = x (for two compute parties: P_0 holds x_0 in
 * s, P_1 holds x_1 in c, no communication; otherwise the carry-save levels); G = s & c and
 * P = s ^ c with bit 63 made neutral; six levels of the packed tree, each one batched Beaver AND
 * round; msb = s_63 ^ c_63 ^ carry_63. Rounds: L + 7; AND words: carryTreeAnds(n) (~2.95n).
 */
import { bitwiseWordInto, kernel, RingTensor } from '../../tensor/index.js';
import { carryTreeAnds, finalBlocks, hiMask } from '../ops/msb.js';
import type { Cost, Protocol } from '../protocol.js';
import { andMany } from './beaver.js';
import type { AdditiveContext } from './context.js';
import { a2bSummands } from './convert.js';
import { AdditiveShare, own } from './share.js';

const MASK64 = (1n << 64n) - 1n;
const BIT63 = 1n << 63n;
const BLOCKS = finalBlocks();
const HI = Array.from({ length: 6 }, (_, l) => hiMask(2 ** l));
type Words = BigUint64Array | undefined;

/** One batched AND round on word arrays (undefined on parties that hold no shares). */
async function andRound(
  ctx: AdditiveContext,
  pairs: readonly (readonly [Words, Words])[],
  len: number,
): Promise<Words[]> {
  const share = (w: Words): AdditiveShare => new AdditiveShare([len], 'B', w && new RingTensor([len], w));
  const out = await andMany(
    ctx,
    pairs.map(([a, b]) => [share(a), share(b)] as const),
  );
  return out.map((z) => z.local?.data);
}

/** Words needed for n elements: n rounded up to a multiple of 64 (at least 64). */
function padded(n: number): number {
  return Math.max(64, Math.ceil(n / 64) * 64);
}

/** The sign bit of x (read as signed) as a B share: bit 0, other bits zero. */
export async function signBit(
  ctx: AdditiveContext,
  p: Protocol<AdditiveShare>,
  x: AdditiveShare,
): Promise<AdditiveShare> {
  const shape = x.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  const N = padded(n);
  const [s, c] = await a2bSummands(ctx, p, p.reshape(x, [n]));
  const taken: BigUint64Array[] = [];
  const take = (len: number): BigUint64Array => {
    const b = ctx.pool.take(len);
    taken.push(b);
    return b;
  };
  const k = kernel();
  const compute = ctx.isCompute;
  const pad = (t: AdditiveShare): Words => {
    if (!compute) return undefined;
    const w = take(N);
    w.set(own(t, 'signBit').data);
    w.fill(0n, n);
    return w;
  };
  const sw = pad(s);
  const cw = pad(c);
  // G = s & c, P = s ^ c; top = P >> 63 (the sign without the carry); bit 63 neutral: G = 0, P = 1.
  const [g0] = await andRound(ctx, [[sw, cw]], N);
  let g: Words;
  let pr: Words;
  let top: RingTensor | undefined;
  if (compute) {
    g = take(N);
    bitwiseWordInto('and', g0!, MASK64 ^ BIT63, g);
    pr = take(N);
    k.xor(sw!, cw!, pr);
    top = new RingTensor([n]);
    k.shrLogical(pr.subarray(0, n), 63, top.data);
    bitwiseWordInto('and', pr, MASK64 ^ BIT63, pr);
    if (ctx.session.self === ctx.leader) bitwiseWordInto('xor', pr, BIT63, pr);
  }
  let m = N;
  for (let level = 1; level <= 6; level++) {
    const kk = 2 ** (level - 1);
    const hi = HI[level - 1]!;
    const h = m / 2;
    let ph: Words, ys: Words, gh: Words, zs: Words;
    if (compute) {
      const t = take(h);
      // merge(x) = (u & hi) ^ ((v & hi) >> kk); shifted(x) = ((u << kk) & hi) ^ (v & ~hi), u, v the halves.
      const merge = (x: BigUint64Array): BigUint64Array => {
        const out = take(h);
        bitwiseWordInto('and', x.subarray(h, m), hi, t);
        k.shrLogical(t, kk, t);
        bitwiseWordInto('and', x.subarray(0, h), hi, out);
        k.xor(out, t, out);
        return out;
      };
      const shifted = (x: BigUint64Array): BigUint64Array => {
        const out = take(h);
        k.shl(x.subarray(0, h), kk, out);
        bitwiseWordInto('and', out, hi, out);
        bitwiseWordInto('and', x.subarray(h, m), MASK64 ^ hi, t);
        k.xor(out, t, out);
        return out;
      };
      ph = merge(pr!);
      ys = shifted(g!);
      gh = merge(g!);
      if (level < 6) zs = shifted(pr!);
    }
    const pairs: [Words, Words][] =
      level < 6
        ? [
            [ph, ys],
            [ph, zs],
          ]
        : [[ph, ys]];
    const [r1, r2] = await andRound(ctx, pairs, h);
    if (compute) {
      k.xor(gh!, r1!, gh!);
      g = gh;
      if (level < 6) pr = r2;
    }
    m = h;
  }
  if (!compute) return new AdditiveShare(shape, 'B', undefined);
  // Unpack: bit b of final word j is the carry of element BLOCKS[b] * m + j; add the top bit.
  const carry = take(N);
  for (let bit = 0; bit < 64; bit++) {
    const dst = BLOCKS[bit]! * m;
    k.shrLogical(g!, bit, carry.subarray(dst, dst + m));
  }
  bitwiseWordInto('and', carry, 1n, carry);
  k.xor(top!.data, carry.subarray(0, n), top!.data);
  ctx.pool.give(...taken);
  return new AdditiveShare(shape, 'B', top!.reshape(shape));
}

/** The declared cost of {@link signBit}: a2bSummands, then one AND round per tree level. */
export function signBitCost(summands: Cost, andCost: (words: number) => Cost, n: number): Cost {
  return carryTreeAnds(n)
    .map(andCost)
    .reduce((a, c) => ({ rounds: a.rounds + c.rounds, bytesSent: a.bytesSent + c.bytesSent }), summands);
}
