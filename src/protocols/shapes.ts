/**
 * Shape inference for share layout ops, so that parties holding no share data (owners, a dealer,
 * the requester) track the same public shapes as compute parties without touching any words.
 * Every function mirrors the RingTensor op of the same name and throws the same RangeErrors.
 */
import {
  broadcastShapes,
  convOutput,
  fmtShape,
  normalizeAxis,
  sizeOf,
  type Conv2dGeometry,
  type Shape,
} from '../tensor/index.js';

export { broadcastShapes };

/** The shape `reshape(shape)` produces from a tensor of `from` (one -1 is inferred). */
export function reshapeShape(from: Shape, shape: Shape): number[] {
  const n = sizeOf(from);
  const s = [...shape];
  const infer = s.indexOf(-1);
  if (infer >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== infer));
    if (rest === 0 || n % rest !== 0)
      throw new RangeError(`cannot reshape ${fmtShape(from)} to ${fmtShape(shape)}`);
    s[infer] = n / rest;
  }
  if (s.some((d) => !Number.isSafeInteger(d) || d < 0) || sizeOf(s) !== n) {
    throw new RangeError(`cannot reshape ${fmtShape(from)} (${n} elements) to ${fmtShape(shape)}`);
  }
  return s;
}

/** The shape of a transpose by `perm` (default: reversed axes). */
export function transposeShape(from: Shape, perm?: readonly number[]): number[] {
  const rank = from.length;
  const p = perm ?? from.map((_, i) => rank - 1 - i);
  if (p.length !== rank || [...p].sort((x, y) => x - y).some((v, i) => v !== i)) {
    throw new RangeError(
      `transpose: [${p.join(',')}] is not a permutation of the ${rank} axes of ${fmtShape(from)}`,
    );
  }
  return p.map((a) => from[a]!);
}

/** The shape of elements [start, end) along `axis`. */
export function sliceShape(from: Shape, axis: number, start: number, end: number): number[] {
  const ax = normalizeAxis(axis, from.length);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > from[ax]! || start > end) {
    throw new RangeError(`slice [${start}, ${end}) is out of range for axis ${ax} of ${fmtShape(from)}`);
  }
  const s = [...from];
  s[ax] = end - start;
  return s;
}

/** The shape of a concatenation along `axis`. */
export function concatShape(shapes: readonly Shape[], axis: number): number[] {
  if (shapes.length === 0) throw new RangeError('concat needs at least one tensor');
  const first = shapes[0]!;
  const ax = normalizeAxis(axis, first.length);
  let total = 0;
  for (const [i, s] of shapes.entries()) {
    if (s.length !== first.length || s.some((d, j) => j !== ax && d !== first[j])) {
      throw new RangeError(
        `concat: tensor ${i} has shape ${fmtShape(s)}, incompatible with ${fmtShape(first)} on axis ${ax}`,
      );
    }
    total += s[ax]!;
  }
  const out = [...first];
  out[ax] = total;
  return out;
}

/** The shape of a sum along `axis` (all elements when undefined). */
export function sumShape(from: Shape, axis: number | undefined, keepDims = false): number[] {
  if (axis === undefined) return keepDims ? from.map(() => 1) : [];
  const ax = normalizeAxis(axis, from.length);
  return keepDims ? from.map((d, i) => (i === ax ? 1 : d)) : from.filter((_, i) => i !== ax);
}

/** The shape of a matmul (2-D or batched, as RingTensor.matmul). */
export function matmulShape(a: Shape, b: Shape): number[] {
  if (a.length < 2 || b.length < 2)
    throw new RangeError(`matmul needs rank >= 2, got ${fmtShape(a)} and ${fmtShape(b)}`);
  const [m, k] = a.slice(-2) as [number, number];
  const [k2, n] = b.slice(-2) as [number, number];
  if (k !== k2) throw new RangeError(`matmul: inner dimensions differ: ${fmtShape(a)} · ${fmtShape(b)}`);
  if (a.length === 2 && b.length === 2) return [m, n];
  if (b.length === 2) return [...a.slice(0, -2), m, n];
  if (a.length === 2) return [...b.slice(0, -2), m, n];
  const ba = a.slice(0, -2);
  const bb = b.slice(0, -2);
  if (ba.length !== bb.length || ba.some((d, i) => d !== bb[i])) {
    throw new RangeError(`matmul: batch dimensions differ: ${fmtShape(a)} · ${fmtShape(b)}`);
  }
  return [...ba, m, n];
}

/** The shape and output size of im2col. */
export function im2colShape(from: Shape, g: Conv2dGeometry): { shape: number[]; oh: number; ow: number } {
  if (from.length !== 4)
    throw new RangeError(`im2col expects an NHWC tensor of rank 4, got ${fmtShape(from)}`);
  const [n, h, w, c] = from as [number, number, number, number];
  const { oh, ow } = convOutput(h, w, g);
  return { shape: [n * oh * ow, g.kernelSize[0] * g.kernelSize[1] * c], oh, ow };
}
