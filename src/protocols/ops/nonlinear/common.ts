/**
 * Helpers shared by the nonlinear ops: fixed-point constants, batching several products into one
 * protocol call, and bit extraction from boolean shares. Generic over any {@link Protocol}.
 *
 * Batching: a protocol call costs its rounds whatever its size, so independent products of one
 * stage go through one `mulTrunc`/`mul` call on the concatenation of their (flattened) operands
 * ({@link mulTruncMany}). Calls are never issued concurrently: every party must allocate steps in
 * the same order (SPMD), so each op awaits its calls one after another.
 */
import { DEFAULT_FRACTIONAL_BITS } from '../../../tensor/index.js';
import type { Protocol, Share } from '../../protocol.js';

/** Options every fixed-point op accepts. */
export interface FixedOptions {
  /** Fractional bits of the fixed-point encoding (default 16, as the rest of peermpc). */
  fractionalBits?: number;
}

/** The fractional bits of `o`, checked. */
export function fracBits(o: FixedOptions | undefined): number {
  const f = o?.fractionalBits ?? DEFAULT_FRACTIONAL_BITS;
  if (!Number.isInteger(f) || f < 1 || f > 30)
    throw new RangeError(`fractional bits ${f} is not an integer in [1, 30]`);
  return f;
}

/** round(v * 2^bits) as a ring word (two's complement for negatives). */
export function fixedWord(v: number, bits: number): bigint {
  return BigInt.asUintN(64, BigInt(Math.round(v * 2 ** bits)));
}

/**
 * Largest magnitude (in bits) of a value the ops truncate: the protocols' probabilistic truncation
 * fails with probability about |x| / 2^64 per element, so 46 bits keep it below 2^-18.
 */
export const MAX_PRODUCT_BITS = 46;

/** Throws a RangeError when an op's largest truncated value would exceed {@link MAX_PRODUCT_BITS}. */
export function checkProductBits(bits: number, what: string): void {
  if (bits > MAX_PRODUCT_BITS)
    throw new RangeError(
      `${what}: products of up to 2^${Math.ceil(bits)} would make truncation unreliable (limit 2^${MAX_PRODUCT_BITS}); use fewer fractional bits or a smaller range`,
    );
}

/** The number of elements of a share. */
export function sizeOfShare(x: Share): number {
  return x.shape.reduce((a, b) => a * b, 1);
}

/**
 * Several independent elementwise products in one call: `op` (e.g. mulTrunc with f bits) on the
 * concatenation of the flattened pairs; each pair's operands have equal shapes. Returns the
 * products in the pairs' shapes.
 */
export async function manyProducts<S extends Share>(
  p: Protocol<S>,
  pairs: readonly (readonly [S, S])[],
  op: (a: S, b: S) => Promise<S>,
): Promise<S[]> {
  if (pairs.length === 1) return [await op(pairs[0]![0], pairs[0]![1])];
  const sizes = pairs.map(([a]) => sizeOfShare(a));
  const flat = (i: 0 | 1) =>
    p.concat(
      pairs.map((pr) => p.reshape(pr[i], [sizeOfShare(pr[i])])),
      0,
    );
  const z = await op(flat(0), flat(1));
  const out: S[] = [];
  let at = 0;
  pairs.forEach(([a], i) => {
    out.push(p.reshape(p.slice(z, 0, at, at + sizes[i]!), a.shape));
    at += sizes[i]!;
  });
  return out;
}

/** {@link manyProducts} with mulTrunc by `bits`. */
export function mulTruncMany<S extends Share>(
  p: Protocol<S>,
  pairs: readonly (readonly [S, S])[],
  bits: number,
): Promise<S[]> {
  return manyProducts(p, pairs, (a, b) => p.mulTrunc(a, b, bits));
}

/** {@link manyProducts} with exact mul (for products with an integer factor such as a 0/1 bit). */
export function mulMany<S extends Share>(p: Protocol<S>, pairs: readonly (readonly [S, S])[]): Promise<S[]> {
  return manyProducts(p, pairs, (a, b) => p.mul(a, b));
}

/**
 * A shares of bits `positions` of the B share `xB` (one bitToA round for all): a share of shape
 * [positions.length, ...xB.shape] whose row i is bit positions[i] as 0/1.
 */
export async function bitsToA<S extends Share>(
  p: Protocol<S>,
  xB: S,
  positions: readonly number[],
): Promise<S> {
  const rows = positions.map((j) => p.reshape(p.andPublicB(p.shrB(xB, j), 1n), [1, ...xB.shape]));
  return p.bitToA(rows.length === 1 ? rows[0]! : p.concat(rows, 0));
}

/** OR of `a` and `b` on B shares: a ^ b ^ (a & b), one AND round. */
export async function orB<S extends Share>(p: Protocol<S>, a: S, b: S): Promise<S> {
  return p.xorB(p.xorB(a, b), await p.andB(a, b));
}

/**
 * Bit i of the result is the OR of bits >= i of `xB` (prefix OR from the top): ceil(log2 width)
 * AND rounds (6 for the default 64). Bit 0 is then the OR of all bits. With a `width` below 64,
 * the bits at and above it must be 0, and only bit 0 is meant (bit i ORs bits i..i+width-1).
 */
export async function prefixOrFromTop<S extends Share>(p: Protocol<S>, xB: S, width = 64): Promise<S> {
  let y = xB;
  for (let s = 1; s < width; s *= 2) y = await orB(p, y, p.shrB(y, s));
  return y;
}

/** x * c for a public real c: mulPublic by round(c * 2^f), then truncate by f (one truncation). */
export async function mulConst<S extends Share>(p: Protocol<S>, x: S, c: number, f: number): Promise<S> {
  if (Number.isInteger(c)) return p.mulPublic(x, BigInt.asUintN(64, BigInt(c)));
  return p.truncate(p.mulPublic(x, fixedWord(c, f)), f);
}
