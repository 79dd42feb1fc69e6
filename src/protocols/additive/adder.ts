/**
 * Boolean adders on XOR-shared 64-bit words, written against the protocol primitives (xorB, shlB,
 * andBMany) so they batch every level into one round.
 *
 * - Carry-save reduction (Wallace tree): three summands u, v, w become two, s = u ^ v ^ w and
 *   c = maj(u, v, w) << 1, with maj(u, v, w) = ((u ^ w) & (v ^ w)) ^ w: one AND per 3:2 compressor;
 *   all compressors of a level share one round.
 * - Kogge-Stone (Kogge & Stone 1973) parallel-prefix adder on packed words: G0 = a & b,
 *   P0 = a ^ b; level j (shift 2^j): G ^= P & (G << 2^j), P &= P << 2^j; sum = a ^ b ^ (G << 1).
 *   P_{j+1} depends on P_j only, so it is computed one round ahead: 7 rounds, 12 ANDs per word.
 */
import type { Protocol, Share } from '../protocol.js';

/** The boolean primitives an adder needs. */
export type BoolOps<S extends Share> = Pick<Protocol<S>, 'xorB' | 'shlB' | 'andBMany'>;

/** Rounds of the Kogge-Stone adder on 64-bit words. */
export const ADDER_ROUNDS = 7;
/** AND gates per word of the Kogge-Stone adder. */
export const ADDER_ANDS = 12;

/** a + b mod 2^64 on B shares (7 rounds). */
export async function koggeStone<S extends Share>(p: BoolOps<S>, a: S, b: S): Promise<S> {
  const p0 = p.xorB(a, b);
  // Round 1: G0 = a & b and P1 = P0 & (P0 << 1).
  let [g, pj] = (await p.andBMany([
    [a, b],
    [p0, p.shlB(p0, 1)],
  ])) as [S, S];
  let prev = p0; // P_j used with G_j at level j
  for (let j = 0; j < 6; j++) {
    const shift = 1 << j;
    const pairs: [S, S][] = [[prev, p.shlB(g, shift)]];
    // P_{j+2} = P_{j+1} & (P_{j+1} << 2^(j+1)), needed at level j+2 <= 5.
    if (j + 2 <= 5) pairs.push([pj, p.shlB(pj, 2 * shift)]);
    const out = await p.andBMany(pairs);
    g = p.xorB(g, out[0]!);
    prev = pj;
    if (out[1] !== undefined) pj = out[1];
  }
  return p.xorB(p0, p.shlB(g, 1));
}

/** Carry-save levels needed to reduce `n` summands to two. */
export function csaLevels(n: number): number {
  let levels = 0;
  while (n > 2) {
    n -= Math.floor(n / 3);
    levels++;
  }
  return levels;
}

/** 3:2 compressors used to reduce `n` summands to two (= n - 2, one AND each per word). */
export function csaCount(n: number): number {
  return Math.max(0, n - 2);
}

/** The sum mod 2^64 of `summands` (B shares, at least one): carry-save tree, then Kogge-Stone. */
export async function sumB<S extends Share>(p: BoolOps<S>, summands: readonly S[]): Promise<S> {
  let xs = [...summands];
  if (xs.length === 0) throw new RangeError('sumB needs at least one summand');
  while (xs.length > 2) {
    const groups = Math.floor(xs.length / 3);
    const pairs: [S, S][] = [];
    for (let g = 0; g < groups; g++) {
      const [u, v, w] = xs.slice(3 * g, 3 * g + 3) as [S, S, S];
      pairs.push([p.xorB(u, w), p.xorB(v, w)]);
    }
    const ands = await p.andBMany(pairs);
    const next: S[] = [];
    for (let g = 0; g < groups; g++) {
      const [u, v, w] = xs.slice(3 * g, 3 * g + 3) as [S, S, S];
      next.push(p.xorB(p.xorB(u, v), w), p.shlB(p.xorB(ands[g]!, w), 1));
    }
    xs = [...next, ...xs.slice(3 * groups)];
  }
  return xs.length === 1 ? xs[0]! : koggeStone(p, xs[0]!, xs[1]!);
}
