/**
 * Fixed-point encoding of reals into Z_2^64: x -> round(x * 2^f) mod 2^64, two's complement for
 * negatives, f fractional bits (default 16, as TF Encrypted and CrypTen).
 *
 * Representable: |x| * 2^f < 2^63, i.e. |x| < 2^(63-f) (2^47 for f = 16). Protocols need headroom
 * on top of that (a product has 2f fractional bits before truncation; probabilistic truncation
 * fails with probability ~|x|*2^f / 2^63): see docs/PROTOCOLS.md for the bounds each op states.
 * Encoding a value outside the range, NaN or Infinity is a RangeError naming the element's index
 * (never the value: values are data). Decoding reads words as signed and divides by 2^f.
 */
import { RingTensor } from './ring-tensor.js';
import { assertShape, fmtShape, sizeOf, type Shape } from './shape.js';

/** Default fractional bits. */
export const DEFAULT_FRACTIONAL_BITS = 16;

/** Anything with a shape and float data, such as a tfjs Tensor. */
export interface TensorLike {
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** The values, row-major. */
  dataSync(): ArrayLike<number>;
}

function checkBits(f: number): void {
  if (!Number.isInteger(f) || f < 0 || f > 62)
    throw new RangeError(`fractional bits ${f} is not an integer in [0, 62]`);
}

/** The largest magnitude (exclusive) that encodes with f fractional bits. */
export function fixedPointLimit(f = DEFAULT_FRACTIONAL_BITS): number {
  checkBits(f);
  return 2 ** (63 - f);
}

const TWO32 = 4294967296;
const TWO53 = 2 ** 53;

/**
 * Encodes reals into a ring tensor with f fractional bits.
 * @throws RangeError naming the first index whose value is NaN, infinite or out of range.
 */
export function encodeFixed(
  values: TensorLike | ArrayLike<number>,
  shapeOrBits?: Shape | number,
  fractionalBits = DEFAULT_FRACTIONAL_BITS,
): RingTensor {
  let data: ArrayLike<number>;
  let shape: Shape;
  if (isTensorLike(values)) {
    data = values.dataSync();
    shape = values.shape;
    if (typeof shapeOrBits === 'number') fractionalBits = shapeOrBits;
  } else {
    data = values;
    shape = Array.isArray(shapeOrBits) ? shapeOrBits : [values.length];
  }
  assertShape(shape);
  checkBits(fractionalBits);
  if (data.length !== sizeOf(shape))
    throw new RangeError(`${data.length} values do not fill shape ${fmtShape(shape)}`);
  const t = new RingTensor(shape);
  const src = data instanceof Float64Array ? data : Float64Array.from(data);
  const words = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length * 2);
  for (let i = encodeWords(src, 2 ** fractionalBits, words, 0); i < src.length;) {
    encodeWide(src[i]! * 2 ** fractionalBits, i, fractionalBits, t.data);
    i = encodeWords(src, 2 ** fractionalBits, words, i + 1);
  }
  return t;
}

/**
 * Encodes src[from..] into words (two u32 halves each) while the rounded values are below 2^53
 * in magnitude (one monomorphic loop over a Float64Array: the caller's array may be of any kind);
 * returns the index of the first it left for {@link encodeWide}, or src.length.
 */
function encodeWords(src: Float64Array, scale: number, words: Uint32Array, from: number): number {
  for (let i = from; i < src.length; i++) {
    const v = Math.round(src[i]! * scale);
    if (!(v < TWO53 && v > -TWO53)) return i; // NaN, infinite or wide: the slow path says which
    const lo = v >>> 0;
    words[2 * i] = lo;
    words[2 * i + 1] = (v - lo) / TWO32;
  }
  return src.length;
}

/** Element i scaled, x, at or beyond 2^53 (or not finite): its word, or the error that names it. */
function encodeWide(x: number, i: number, fractionalBits: number, out: BigUint64Array): void {
  if (!Number.isFinite(x))
    throw new RangeError(`element ${i} is ${Number.isNaN(x) ? 'NaN' : 'infinite'}: not encodable`);
  const v = Math.round(x);
  if (v >= 2 ** 63 || v < -(2 ** 63)) {
    throw new RangeError(
      `element ${i} is outside the fixed-point range (|x| < 2^${63 - fractionalBits} with ${fractionalBits} fractional bits)`,
    );
  }
  out[i] = BigInt.asUintN(64, BigInt(v));
}

/** Decodes a fixed-point ring tensor to float64 values (row-major). */
export function decodeFixed(t: RingTensor, fractionalBits = DEFAULT_FRACTIONAL_BITS): Float64Array {
  checkBits(fractionalBits);
  const inv = 2 ** -fractionalBits;
  const out = new Float64Array(t.size);
  const words = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length * 2);
  for (let i = 0; i < out.length; i++) {
    const hi = words[2 * i + 1]! | 0; // signed upper half
    out[i] = (hi * TWO32 + words[2 * i]!) * inv;
  }
  return out;
}

function isTensorLike(v: unknown): v is TensorLike {
  return typeof v === 'object' && v !== null && typeof (v as TensorLike).dataSync === 'function';
}
