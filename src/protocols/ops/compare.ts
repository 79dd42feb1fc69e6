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
 * truncation: the 0/1 factor is an integer): 10 rounds on rep3, where the product is a bit
 * injection instead (rep3/inject.ts: 5 words per element instead of bitToA's 6 and mul's 3).
 * All outputs are A shares of integers 0/1 (not fixed point), except relu, which keeps x's scale.
 *
 * Bounds (ops/bounds.ts): msb, lt, gt, le, ge and relu take `{ bits }`, a promise that the compared
 * value fits that many bits; a protocol with a bounded circuit (rep3) then compares over those bits
 * only (rep3, k = 49: 22.4 bytes per element and party instead of 47.6), the others ignore it.
 */
import type { RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../protocol.js';
import { compareBits, fusedCompare, type CompareOptions } from './bounds.js';
import { msbB } from './msb.js';

export { msbB } from './msb.js';
export type { CompareOptions } from './bounds.js';

/** A second operand: a share or a public ring tensor (same scale as the first). */
export type Operand<S> = S | RingTensor;

function isShare<S extends Share>(v: Operand<S>): v is S {
  return 'kind' in v;
}

/** x - y for a shared or public y. */
export function diff<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>): S {
  return isShare(y) ? p.sub(x, y) : p.addPublic(x, y.neg());
}

/**
 * A shares of 1 where x < 0 (read as signed), else 0. With `bits`, x must lie in
 * [-2^(bits-1), 2^(bits-1)) (ops/bounds.ts). @throws RangeError for a bad `bits`.
 */
export async function msb<S extends Share>(p: Protocol<S>, x: S, opts?: CompareOptions): Promise<S> {
  const bits = compareBits(opts);
  const fused = fusedCompare<S>(p);
  if (fused !== undefined && bits < 64) return fused.msbBounded(x, bits, false);
  return p.bitToA(await msbB(p, x));
}

/** x < y (A shares of 0/1); with `bits`, x - y must fit that many bits. */
export function lt<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>, opts?: CompareOptions): Promise<S> {
  return msb(p, diff(p, x, y), opts);
}

/** x > y; with `bits`, y - x must fit that many bits. */
export function gt<S extends Share>(p: Protocol<S>, x: S, y: Operand<S>, opts?: CompareOptions): Promise<S> {
  return msb(p, isShare(y) ? p.sub(y, x) : p.addPublic(p.neg(x), y), opts);
}

/** x <= y, i.e. 1 - (x > y). */
export async function le<S extends Share>(
  p: Protocol<S>,
  x: S,
  y: Operand<S>,
  opts?: CompareOptions,
): Promise<S> {
  return oneMinus(p, await gt(p, x, y, opts));
}

/** x >= y, i.e. 1 - (x < y). */
export async function ge<S extends Share>(
  p: Protocol<S>,
  x: S,
  y: Operand<S>,
  opts?: CompareOptions,
): Promise<S> {
  return oneMinus(p, await lt(p, x, y, opts));
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

/** max(x, 0), elementwise (keeps x's scale); with `bits`, x must fit that many bits. */
export async function relu<S extends Share>(p: Protocol<S>, x: S, opts?: CompareOptions): Promise<S> {
  const bits = compareBits(opts);
  const fused = fusedCompare<S>(p);
  if (fused !== undefined) return fused.reluInjected(x, bits);
  const positive = p.bitToA(p.xorPublicB(await msbB(p, x), 1n));
  return p.mul(x, await positive);
}
