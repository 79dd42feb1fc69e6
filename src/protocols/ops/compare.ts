/**
 * Comparisons and ReLU over any protocol (SecretFlow SPU / ABY3 style: the sign of a difference).
 *
 * msb(x): the sign bit (ops/msb.ts: a carry tree on the a2b summands, or bit 63 of a2b), then
 * bitToA: A shares of 0/1. With the rep3 costs: 9 rounds.
 * lt(x, y) = msb(x - y) and gt, le = 1 - gt, ge = 1 - lt: correct while |x - y| < 2^63 as signed
 * integers (for fixed point with f bits: |x - y| < 2^(63-f)). y may be shared or public.
 * eq(x, y): the signs of x - y and y - x in one batched msb, one AND, bitToA: 10 rounds on rep3.
 * Always exact.
 * relu(x) = x * (1 - msb(x)): msb, then one plain multiplication by the 0/1 share (no
 * truncation: the 0/1 factor is an integer): 10 rounds on rep3.
 * All outputs are A shares of integers 0/1 (not fixed point), except relu, which keeps x's scale.
 */
import type { RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../protocol.js';
import { msbB } from './msb.js';

export { msbB } from './msb.js';

/** A second operand: a share or a public ring tensor (same scale as the first). */
export type Operand<S> = S | RingTensor;

function isShare<S extends Share>(v: Operand<S>): v is S {
  return 'kind' in v;
}

/** x - y for a shared or public y. */
export function diff<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>): S {
  return isShare(y) ? p.sub(x, y) : p.addPublic(x, y.neg());
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

/**
 * x == y (A shares of 0/1): x - y is zero iff neither it nor its negation is negative; both signs
 * come from one batched msb, then one AND round and bitToA. Exact for every pair of ring values.
 */
export async function eq<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>): Promise<S> {
  const d = diff(p, x, y);
  const n = d.shape.reduce((a, b) => a * b, 1);
  const flat = p.reshape(d, [n]);
  const signs = await msbB(p, p.concat([flat, p.neg(flat)], 0));
  // neither negative: ~m1 & ~m2 (bit 0)
  const none = await p.andB(p.notB(p.slice(signs, 0, 0, n)), p.notB(p.slice(signs, 0, n, 2 * n)));
  return p.reshape(await p.bitToA(p.andPublicB(none, 1n)), d.shape);
}

/** max(x, 0), elementwise (keeps x's scale). */
export async function relu<S extends Share>(p: Protocol<S>, x: S): Promise<S> {
  const positive = p.bitToA(p.xorPublicB(await msbB(p, x), 1n));
  return p.mul(x, await positive);
}
