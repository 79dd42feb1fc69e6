/**
 * The sign bit of A shares, generic over any protocol: what comparisons and ReLU need.
 *
 * With a protocol's `a2bSummands` (B shares of s and c with s + c = x mod 2^64; rep3: 1 round),
 * only the carry into bit 63 is computed, not the whole sum: msb(x) = s_63 ^ c_63 ^ carry_63.
 * G = s & c, P = s ^ c, with bit 63 made neutral (G = 0, P = 1) so that the group generate of all
 * 64 bits is the carry into bit 63. Then six levels of a tree combine adjacent groups
 * (G = G_hi ^ (P_hi & G_lo), P = P_hi & P_lo; the last level needs no P), and each level packs the
 * bit positions that still matter of two words into one: before level l (k = 2^(l-1)) a word
 * holds the groups of k elements interleaved (group j of element e at bit j*k + e); the operands
 * of level l sit in the odd k-bit blocks (the low group shifted up by k), so the second half of the
 * words moves into the even blocks of the first half and the level runs on half the words.
 * AND words per element: 1 (G) + 2 * (1/2 + 1/4 + ... + 1/32) + 1/64 ~ 2.95 (a full Kogge-Stone
 * adder: 12), rounds: 7 (the same as the adder). Elements are padded to a multiple of 64.
 *
 * A protocol's own `signBit` (rep3: this circuit fused on its share words) is used when present;
 * without it and without `a2bSummands`: msb = bit 63 of a2b(x).
 */
import { RingTensor } from '../../tensor/index.js';
import type { Cost, Protocol, Share } from '../protocol.js';

const MASK64 = (1n << 64n) - 1n;
const BIT63 = 1n << 63n;

/** Words whose bit p is set iff floor(p / k) is odd (the "high" k-bit blocks). */
export function hiMask(k: number): bigint {
  let m = 0n;
  for (let p = 0; p < 64; p++) if (Math.floor(p / k) % 2 === 1) m |= 1n << BigInt(p);
  return m;
}

/**
 * For the final packed words: q(p) = the block of elements whose carry sits at bit p, i.e. the
 * element of word j at bit p is q(p) * (N/64) + j. A bit comes from the low half of the words
 * (the moved one) at every level where it lies in an even k-block.
 */
export function finalBlocks(): number[] {
  const q: number[] = [];
  for (let p = 0; p < 64; p++) {
    let pos = p;
    let block = 0;
    for (let level = 6; level >= 1; level--) {
      const k = 2 ** (level - 1);
      if (Math.floor(pos / k) % 2 === 0) {
        block += 2 ** (6 - level);
        pos += k;
      }
    }
    q.push(block);
  }
  return q;
}

const HI = Array.from({ length: 6 }, (_, l) => hiMask(2 ** l));
const BLOCKS = finalBlocks();

/** The words of a carry computation on n elements (padded to a multiple of 64). */
function padded(n: number): number {
  return Math.max(64, Math.ceil(n / 64) * 64);
}

/** AND words per level of {@link carryTree} on n elements (the first entry is G = s & c). */
export function carryTreeAnds(n: number): number[] {
  const N = padded(n);
  const out = [N];
  for (let l = 1; l <= 6; l++) out.push((l < 6 ? 2 : 1) * (N >> l));
  return out;
}

/** Bit 0 = carry into bit 63 of s + c, for B shares s, c of shape [n] (7 rounds). */
export async function carryTree<S extends Share>(p: Protocol<S>, s: S, c: S): Promise<S> {
  const n = s.shape[0]!;
  const N = padded(n);
  const pad = (x: S): S => (N === n ? x : p.concat([x, p.fromPublic(RingTensor.zeros([N - n]), 'B')], 0));
  const sp = pad(s);
  const cp = pad(c);
  let g = p.andPublicB(await p.andB(sp, cp), MASK64 ^ BIT63);
  let pr = p.xorPublicB(p.andPublicB(p.xorB(sp, cp), MASK64 ^ BIT63), BIT63);
  let m = N;
  for (let level = 1; level <= 6; level++) {
    const k = 2 ** (level - 1);
    const hi = HI[level - 1]!;
    const lo = MASK64 ^ hi;
    const half = m / 2;
    const u = (x: S): S => p.slice(x, 0, 0, half);
    const v = (x: S): S => p.slice(x, 0, half, m);
    // Operands in the high blocks: the element groups of u in place, those of v moved down by k.
    const merge = (x: S): S => p.xorB(p.andPublicB(u(x), hi), p.shrB(p.andPublicB(v(x), hi), k));
    const mergeShifted = (x: S): S => p.xorB(p.andPublicB(p.shlB(u(x), k), hi), p.andPublicB(v(x), lo));
    const ph = merge(pr);
    const gh = merge(g);
    if (level < 6) {
      const [r1, r2] = (await p.andBMany([
        [ph, mergeShifted(g)],
        [ph, mergeShifted(pr)],
      ])) as [S, S];
      g = p.xorB(gh, r1);
      pr = r2;
    } else {
      const [r1] = (await p.andBMany([[ph, mergeShifted(g)]])) as [S];
      g = p.xorB(gh, r1);
    }
    m = half;
  }
  // Unpack: bit p of final word j is the carry of element BLOCKS[p] * m + j.
  const byBlock = new Array<S>(64);
  for (let bit = 0; bit < 64; bit++) byBlock[BLOCKS[bit]!] = p.andPublicB(p.shrB(g, bit), 1n);
  const all = p.concat(byBlock, 0);
  return N === n ? all : p.slice(all, 0, 0, n);
}

/** The sign bit of x as a B share with the bit in position 0 (other bits zero). */
export async function msbB<S extends Share>(p: Protocol<S>, x: S): Promise<S> {
  if (p.signBit !== undefined) return p.signBit(x);
  if (p.a2bSummands === undefined) return p.andPublicB(p.shrB(await p.a2b(x), 63), 1n);
  const shape = x.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  const [s, c] = await p.a2bSummands(p.reshape(x, [n]));
  const carry = await carryTree(p, s, c);
  const top = p.shrB(p.xorB(s, c), 63);
  return p.reshape(p.xorB(top, carry), shape);
}

/** The declared cost of {@link msbB} on this party (without the bitToA that usually follows). */
export function msbCost<S extends Share>(p: Protocol<S>, n: number): Cost {
  if (p.signBit !== undefined && p.signBitCost !== undefined) return p.signBitCost(n);
  if (p.a2bSummands === undefined || p.a2bSummandsCost === undefined) return p.cost('a2b', n);
  const parts = [p.a2bSummandsCost(n), ...carryTreeAnds(n).map((w) => p.cost('andB', w))];
  return parts.reduce((a, c) => ({ rounds: a.rounds + c.rounds, bytesSent: a.bytesSent + c.bytesSent }));
}
