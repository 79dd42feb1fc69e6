/**
 * Fixed-point ops over any protocol: reals are ring values scaled by 2^f (f fractional bits,
 * default 16; src/tensor/fixed-point.ts), two's complement for negatives.
 *
 * - inputFixed: the owner encodes a float tensor (RangeError outside |x| < 2^(63-f)) and shares it.
 * - revealFixed: opens to the named parties and decodes (value / 2^f) as float64.
 * - mulFixed / matmulFixed: the protocol's fused mul-then-truncate by f. The product of two values
 *   with f fractional bits has 2f; truncation brings it back to f. Result within 1 ulp (2^-f) of the
 *   exact product of the two encoded values (plus any probabilistic truncation failure: see
 *   docs/PROTOCOLS.md); inputs must keep |x*y| * 2^(2f) well below 2^63.
 * - mulPublicFixed: multiplication by a public real tensor: mulPublic by its encoding, truncate.
 */
import {
  decodeFixed,
  DEFAULT_FRACTIONAL_BITS,
  encodeFixed,
  RingTensor,
  type Shape,
  type TensorLike,
} from '../../tensor/index.js';
import type { Protocol, Share } from '../protocol.js';

/** Party `owner` shares a float tensor (given on the owner only) with f fractional bits. */
export function inputFixed<S extends Share>(
  p: Protocol<S>,
  owner: number,
  value: TensorLike | ArrayLike<number> | undefined,
  shape: Shape,
  f = DEFAULT_FRACTIONAL_BITS,
): Promise<S> {
  const ring =
    p.session.self === owner && value !== undefined
      ? encodeFixed(value, isTensorLike(value) ? f : shape, f)
      : undefined;
  return p.input(owner, ring?.reshape(shape), shape);
}

/** Opens `x` to `to` and decodes it with f fractional bits (recipients only; others get undefined). */
export async function revealFixed<S extends Share>(
  p: Protocol<S>,
  x: S,
  to: readonly number[],
  f = DEFAULT_FRACTIONAL_BITS,
): Promise<Float64Array | undefined> {
  const r = await p.reveal(x, to);
  return r === undefined ? undefined : decodeFixed(r, f);
}

/** Fixed-point elementwise product (the protocol's mulTrunc by f). */
export function mulFixed<S extends Share>(
  p: Protocol<S>,
  a: S,
  b: S,
  f = DEFAULT_FRACTIONAL_BITS,
): Promise<S> {
  return p.mulTrunc(a, b, f);
}

/** Fixed-point matrix product (the protocol's matmulTrunc by f). */
export function matmulFixed<S extends Share>(
  p: Protocol<S>,
  a: S,
  b: S,
  f = DEFAULT_FRACTIONAL_BITS,
): Promise<S> {
  return p.matmulTrunc(a, b, f);
}

/** Product with a public real tensor or scalar (mulPublic by its encoding, then truncate by f). */
export function mulPublicFixed<S extends Share>(
  p: Protocol<S>,
  a: S,
  value: TensorLike | number,
  f = DEFAULT_FRACTIONAL_BITS,
): Promise<S> {
  const enc: RingTensor | bigint =
    typeof value === 'number' ? encodeFixed([value], [1], f).data[0]! : encodeFixed(value, f);
  return p.truncate(p.mulPublic(a, enc), f);
}

/** Encodes a public real tensor or scalar with f fractional bits. */
export function encodePublic(value: TensorLike | number, f = DEFAULT_FRACTIONAL_BITS): RingTensor {
  return typeof value === 'number' ? encodeFixed([value], [], f) : encodeFixed(value, f);
}

function isTensorLike(v: unknown): v is TensorLike {
  return typeof v === 'object' && v !== null && typeof (v as TensorLike).dataSync === 'function';
}
