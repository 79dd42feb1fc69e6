/**
 * Comparisons and ReLU over any protocol (SecretFlow SPU / ABY3 style: the sign of a difference).
 *
 * msb(x): a2b(x), shift bit 63 down, bitToA: A shares of 0/1. With the rep3 costs: 9 rounds.
 * lt(x, y) = msb(x - y) and gt, le = 1 - gt, ge = 1 - lt: correct while |x - y| < 2^63 as signed
 * integers (for fixed point with f bits: |x - y| < 2^(63-f)). y may be shared or public.
 * eq(x, y): a2b(x - y), an OR-tree over the 64 bits of each word (6 AND rounds: a | b is
 * ~(~a & ~b)), then bitToA of the negated bit: 15 rounds on rep3. Always exact.
 * relu(x) = x * (1 - msb(x)): msb, then one plain multiplication by the 0/1 share (no
 * truncation: the 0/1 factor is an integer): 10 rounds on rep3.
 * All outputs are A shares of integers 0/1 (not fixed point), except relu, which keeps x's scale.
 */
import type { RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../protocol.js';

/** A second operand: a share or a public ring tensor (same scale as the first). */
export type Operand<S> = S | RingTensor;

function isShare<S extends Share>(v: Operand<S>): v is S {
  return 'kind' in v;
}

/** x - y for a shared or public y. */
export function diff<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>): S {
  return isShare(y) ? p.sub(x, y) : p.addPublic(x, y.neg());
}

/** The sign bit of each element as a B share with the bit in position 0 (8 rounds on rep3). */
export async function msbB<S extends Share>(p: Protocol<S>, x: S): Promise<S> {
  return p.shrB(await p.a2b(x), 63);
}

/** A shares of 1 where x < 0 (read as signed), else 0. */
export async function msb<S extends Share>(p: Protocol<S>, x: S): Promise<S> {
  return p.bitToA(await msbB(p, x));
}

/** x < y (A shares of 0/1). */
export function lt<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>): Promise<S> {
  return msb(p, diff(p, x, y));
}

/** x > y. */
export function gt<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>): Promise<S> {
  return msb(p, isShare(y) ? p.sub(y, x) : p.addPublic(p.neg(x), y));
}

/** x <= y, i.e. 1 - (x > y). */
export async function le<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>): Promise<S> {
  return oneMinus(p, await gt(p, x, y));
}

/** x >= y, i.e. 1 - (x < y). */
export async function ge<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>): Promise<S> {
  return oneMinus(p, await lt(p, x, y));
}

/** 1 - b for A shares of 0/1. */
export function oneMinus<S extends Share>(p: Protocol<S>, b: S): S {
  return p.addPublic(p.neg(b), 1n);
}

/** x == y (A shares of 0/1), via an OR-tree over the bits of x - y. */
export async function eq<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>): Promise<S> {
  let w = await p.a2b(diff(p, x, y));
  for (let k = 32; k >= 1; k >>= 1) {
    // w | (w >> k) = ~(~w & ~(w >> k))
    w = p.notB(await p.andB(p.notB(w), p.notB(p.shrB(w, k))));
  }
  return p.bitToA(p.andPublicB(p.notB(w), 1n));
}

/** max(x, 0), elementwise (keeps x's scale). */
export async function relu<S extends Share>(p: Protocol<S>, x: S): Promise<S> {
  const positive = p.bitToA(p.xorPublicB(await msbB(p, x), 1n));
  return p.mul(x, await positive);
}
