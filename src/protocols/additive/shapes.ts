/**
 * Shape rules of the local layout ops, for parties that hold no share data (the dealer and data
 * owners) and still have to track every tensor's public shape to stay in lockstep.
 */
import {
  convOutput,
  fmtShape,
  normalizeAxis,
  sizeOf,
  type Conv2dGeometry,
  type Shape,
} from '../../tensor/index.js';

/** The shape `reshape(shape)` gives a tensor of `from` (one -1 is inferred). */
export function reshapeShape(from: Shape, shape: Shape): number[] {
  const s = [...shape];
  const infer = s.indexOf(-1);
  const size = sizeOf(from);
  if (infer >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== infer));
    if (rest === 0 || size % rest !== 0)
      throw new RangeError(`cannot reshape ${fmtShape(from)} to ${fmtShape(shape)}`);
    s[infer] = size / rest;
  }
  if (sizeOf(s) !== size) throw new RangeError(`cannot reshape ${fmtShape(from)} to ${fmtShape(shape)}`);
  return s;
}

/** The shape of a transpose (default: axes reversed). */
export function transposeShape(from: Shape, perm?: readonly number[]): number[] {
  const p = perm ?? from.map((_, i) => from.length - 1 - i);
  if (p.length !== from.length)
    throw new RangeError(`transpose: permutation of ${p.length} axes for rank ${from.length}`);
  return p.map((a) => from[normalizeAxis(a, from.length)]!);
}

/** The shape of elements [start, end) along `axis`. */
export function sliceShape(from: Shape, axis: number, start: number, end: number): number[] {
  const a = normalizeAxis(axis, from.length);
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= from[a]!)) {
    throw new RangeError(`slice [${start}, ${end}) is out of range for axis ${a} of ${fmtShape(from)}`);
  }
  const s = [...from];
  s[a] = end - start;
  return s;
}

/** The shape of a concatenation along `axis`. */
export function concatShape(shapes: readonly Shape[], axis: number): number[] {
  if (shapes.length === 0) throw new RangeError('concat of no tensors');
  const first = shapes[0]!;
  const a = normalizeAxis(axis, first.length);
  const s = [...first];
  s[a] = 0;
  for (const sh of shapes) {
    if (sh.length !== first.length || sh.some((d, i) => i !== a && d !== first[i])) {
      throw new RangeError(`concat: ${fmtShape(sh)} does not match ${fmtShape(first)} off axis ${a}`);
    }
    s[a]! += sh[a]!;
  }
  return s;
}

/** The shape of a sum along `axis` (all elements when undefined). */
export function sumShape(from: Shape, axis: number | undefined, keepDims: boolean): number[] {
  if (axis === undefined) return keepDims ? from.map(() => 1) : [];
  const a = normalizeAxis(axis, from.length);
  return keepDims ? from.map((d, i) => (i === a ? 1 : d)) : from.filter((_, i) => i !== a);
}

/** The shape of a matrix product (same rules as RingTensor.matmul). */
export function matmulShape(a: Shape, b: Shape): number[] {
  if (a.length < 2 || b.length < 2)
    throw new RangeError(`matmul needs rank >= 2, got ${fmtShape(a)} and ${fmtShape(b)}`);
  const [m, k] = a.slice(-2) as [number, number];
  const [k2, n] = b.slice(-2) as [number, number];
  if (k !== k2) throw new RangeError(`matmul: inner dimensions differ: ${fmtShape(a)} · ${fmtShape(b)}`);
  const batchA = a.slice(0, -2);
  const batchB = b.slice(0, -2);
  if (b.length === 2) return [...batchA, m, n];
  if (a.length !== 2 && (batchA.length !== batchB.length || batchA.some((d, i) => d !== batchB[i]))) {
    throw new RangeError(`matmul: batch dimensions differ: ${fmtShape(a)} · ${fmtShape(b)}`);
  }
  return [...(a.length === 2 ? batchB : batchA), m, n];
}

/** The shape of im2col's patches for an NHWC tensor. */
export function im2colShape(from: Shape, g: Conv2dGeometry): { shape: number[]; oh: number; ow: number } {
  if (from.length !== 4)
    throw new RangeError(`im2col expects an NHWC tensor of rank 4, got ${fmtShape(from)}`);
  const [n, h, w, c] = from as [number, number, number, number];
  const { oh, ow } = convOutput(h, w, g);
  return { shape: [n * oh * ow, g.kernelSize[0] * g.kernelSize[1] * c], oh, ow };
}
