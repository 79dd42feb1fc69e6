/**
 * Shapes: validation, sizes, strides and broadcasting rules (numpy/tfjs semantics), and the shape
 * each layout op and matmul produces. RingTensor and the layout kernels check their operands with
 * these, and protocols use them to track shapes on parties that hold no share data, so both throw
 * the same RangeErrors.
 */

/** A tensor shape: non-negative integer dimensions, outermost first. */
export type Shape = readonly number[];

/** Throws a RangeError unless every dimension is a non-negative safe integer. */
export function assertShape(shape: Shape, what = 'shape'): void {
  if (!Array.isArray(shape)) throw new TypeError(`${what} must be an array of dimensions`);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (!Number.isSafeInteger(d) || d < 0)
      throw new RangeError(`${what}[${i}] = ${d} is not a non-negative integer`);
  }
}

/** Number of elements of a shape (1 for a scalar shape []). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** True when two shapes are equal. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The broadcast shape of a and b, or a RangeError naming both shapes. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast (dimension ${i})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises a possibly negative axis against a rank; throws RangeError when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(`axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Formats a shape for messages, e.g. `[2,3]`. */
export function fmtShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

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
