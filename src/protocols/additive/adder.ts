/**
 * Sum of n XOR-shared 64-bit summands, written against the protocol primitives (xorB, shlB,
 * andBMany) so every level is one round:
 * - Carry-save reduction (Wallace tree): three summands u, v, w become two, s = u ^ v ^ w and
 *   c = maj(u, v, w) << 1, with maj(u, v, w) = ((u ^ w) & (v ^ w)) ^ w: one AND per 3:2 compressor;
 *   all compressors of a level share one round.
 * - Then the generic Kogge-Stone adder (../ops/adder.ts): 7 rounds, 12 AND words per value.
 */
import { addB } from '../ops/adder.js';
import type { Protocol, Share } from '../protocol.js';

/** Carry-save levels needed to reduce `n` summands to two. */
export function csaLevels(n: number): number {
  let levels = 0;
  while (n > 2) {
    n -= Math.floor(n / 3);
    levels++;
  }
  return levels;
}

/** 3:2 compressors per carry-save level (one batched AND opening each) to reduce `n` summands to two. */
export function csaGroups(n: number): number[] {
  const groups: number[] = [];
  while (n > 2) {
    groups.push(Math.floor(n / 3));
    n -= Math.floor(n / 3);
  }
  return groups;
}

/** 3:2 compressors used to reduce `n` summands to two (= n - 2, one AND each per word). */
export function csaCount(n: number): number {
  return Math.max(0, n - 2);
}

/** Two B shares with the same sum mod 2^64 as `summands` (at least two): the carry-save levels. */
export async function reduceToTwo<S extends Share>(p: Protocol<S>, summands: readonly S[]): Promise<[S, S]> {
  let xs = [...summands];
  if (xs.length < 2) throw new RangeError('reduceToTwo needs at least two summands');
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
  return [xs[0]!, xs[1]!];
}

/** The sum mod 2^64 of `summands` (B shares, at least two): carry-save levels, then Kogge-Stone. */
export async function sumB<S extends Share>(p: Protocol<S>, summands: readonly S[]): Promise<S> {
  const [a, b] = await reduceToTwo(p, summands);
  return addB(p, a, b);
}
