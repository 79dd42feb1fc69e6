/**
 * Layout kernels on raw word arrays: broadcast, transpose, slice, concat, sum along an axis, im2col.
 *
 * These move words rather than compute on them, so plain TypeScript is as fast as anything here;
 * they are shared by every kernel. All take and return row-major arrays with explicit shapes.
 */
import {
  concatShape,
  fmtShape,
  normalizeAxis,
  sizeOf,
  sliceShape,
  stridesOf,
  sumShape,
  transposeShape,
  type Shape,
} from './shape.js';

/** Allocator used for results (the active kernel's `alloc`, so results can be resident). */
export type Alloc = (n: number) => BigUint64Array;

/**
 * Runs of fewer words than this are copied word by word (as two u32 halves, no BigInt) rather
 * than by `set(subarray(...))`, whose view object costs more than a short copy: slicing or
 * concatenating along a short last axis (a softmax's classes, a product tree's factors) makes
 * one run per row.
 */
const SHORT_RUN = 16;

/** The 32-bit halves of `a`'s words (same memory). */
function halves(a: BigUint64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

/**
 * Copies `count` runs of `len` words: run r from src[srcAt + r * srcStep] to
 * dst[dstAt + r * dstStep].
 */
function copyRuns(
  src: BigUint64Array,
  srcAt: number,
  srcStep: number,
  dst: BigUint64Array,
  dstAt: number,
  dstStep: number,
  len: number,
  count: number,
): void {
  if (len >= SHORT_RUN) {
    for (let r = 0; r < count; r++) {
      const from = srcAt + r * srcStep;
      dst.set(src.subarray(from, from + len), dstAt + r * dstStep);
    }
    return;
  }
  const s = halves(src);
  const d = halves(dst);
  for (let r = 0; r < count; r++) {
    let i = 2 * (srcAt + r * srcStep);
    let o = 2 * (dstAt + r * dstStep);
    for (const end = o + 2 * len; o < end;) d[o++] = s[i++]!;
  }
}

/** Materialises `data` (of `shape`) broadcast to `target`; throws RangeError if it does not broadcast. */
export function broadcastTo(data: BigUint64Array, shape: Shape, target: Shape, alloc: Alloc): BigUint64Array {
  if (shape.length > target.length)
    throw new RangeError(`cannot broadcast ${fmtShape(shape)} to ${fmtShape(target)}`);
  const pad = target.length - shape.length;
  const srcStrides = stridesOf(shape);
  const strides = target.map((d, i) => {
    const sd = i < pad ? 1 : shape[i - pad]!;
    if (sd !== d && sd !== 1)
      throw new RangeError(`cannot broadcast ${fmtShape(shape)} to ${fmtShape(target)}`);
    return i < pad || sd === 1 ? 0 : srcStrides[i - pad]!;
  });
  const n = sizeOf(target);
  const out = alloc(n);
  if (n === 0) return out;
  const rank = target.length;
  if (rank === 0) {
    out[0] = data[0]!;
    return out;
  }
  // Copy innermost rows at a time.
  const inner = target[rank - 1]!;
  const innerStride = strides[rank - 1]!;
  const idx = new Array<number>(rank - 1).fill(0);
  for (let o = 0; o < n; o += inner) {
    let src = 0;
    for (let d = 0; d < rank - 1; d++) src += idx[d]! * strides[d]!;
    if (innerStride === 1) copyRuns(data, src, 0, out, o, 0, inner, 1);
    else out.fill(data[src]!, o, o + inner);
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d]! < target[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Permutes the axes of `data`; `perm` defaults to reversing them. Returns the new data and shape. */
export function transpose(
  data: BigUint64Array,
  shape: Shape,
  perm: readonly number[] | undefined,
  alloc: Alloc,
): { data: BigUint64Array; shape: number[] } {
  const rank = shape.length;
  const outShape = transposeShape(shape, perm);
  const p = perm ?? shape.map((_, i) => rank - 1 - i);
  const n = sizeOf(shape);
  const out = alloc(n);
  if (n === 0) return { data: out, shape: outShape };
  if (rank === 2 && p[0] === 1) {
    const [r, c] = shape as [number, number];
    const B = 32; // blocked 2-D transpose
    for (let i0 = 0; i0 < r; i0 += B) {
      for (let j0 = 0; j0 < c; j0 += B) {
        const i1 = Math.min(i0 + B, r);
        const j1 = Math.min(j0 + B, c);
        for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * r + i] = data[i * c + j]!;
      }
    }
    return { data: out, shape: outShape };
  }
  const inStrides = stridesOf(shape);
  const stepStrides = p.map((a) => inStrides[a]!);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += stepStrides[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= stepStrides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** Elements [start, end) along `axis`. */
export function slice(
  data: BigUint64Array,
  shape: Shape,
  axis: number,
  start: number,
  end: number,
  alloc: Alloc,
): { data: BigUint64Array; shape: number[] } {
  const outShape = sliceShape(shape, axis, start, end);
  const ax = normalizeAxis(axis, shape.length);
  const dim = shape[ax]!;
  const outer = sizeOf(shape.slice(0, ax));
  const inner = sizeOf(shape.slice(ax + 1));
  const len = end - start;
  const out = alloc(outer * len * inner);
  copyRuns(data, start * inner, dim * inner, out, 0, len * inner, len * inner, outer);
  return { data: out, shape: outShape };
}

/** Concatenates arrays along `axis`; all other dimensions must agree. */
export function concat(
  parts: readonly { data: BigUint64Array; shape: Shape }[],
  axis: number,
  alloc: Alloc,
): { data: BigUint64Array; shape: number[] } {
  const outShape = concatShape(
    parts.map((p) => p.shape),
    axis,
  );
  const first = parts[0]!.shape;
  const ax = normalizeAxis(axis, first.length);
  const total = outShape[ax]!;
  const outer = sizeOf(first.slice(0, ax));
  const inner = sizeOf(first.slice(ax + 1));
  const out = alloc(outer * total * inner);
  let dst = 0;
  for (const p of parts) {
    const len = p.shape[ax]! * inner;
    copyRuns(p.data, 0, len, out, dst, total * inner, len, outer);
    dst += len;
  }
  return { data: out, shape: outShape };
}

/** Sums along `axis` (mod 2^64), removing it unless keepDims. */
export function sumAxis(
  data: BigUint64Array,
  shape: Shape,
  axis: number,
  keepDims: boolean,
  alloc: Alloc,
): { data: BigUint64Array; shape: number[] } {
  const ax = normalizeAxis(axis, shape.length);
  const dim = shape[ax]!;
  const outer = sizeOf(shape.slice(0, ax));
  const inner = sizeOf(shape.slice(ax + 1));
  const out = alloc(outer * inner);
  for (let o = 0; o < outer; o++) {
    const row = out.subarray(o * inner, (o + 1) * inner);
    for (let d = 0; d < dim; d++) {
      const src = (o * dim + d) * inner;
      for (let j = 0; j < inner; j++) row[j] = row[j]! + data[src + j]!;
    }
  }
  return { data: out, shape: sumShape(shape, axis, keepDims) };
}

/** Geometry of a 2-D convolution (NHWC input, HWIO filter, as tfjs). */
export interface Conv2dGeometry {
  /** Filter height and width. */
  kernelSize: readonly [number, number];
  /** Strides [height, width]; default [1, 1]. */
  strides?: readonly [number, number];
  /** 'valid' (no padding) or 'same' (tfjs/TensorFlow rules); default 'valid'. */
  padding?: 'valid' | 'same';
}

/** Output height/width and top/left padding of a convolution, by TensorFlow's rules. */
export function convOutput(h: number, w: number, g: Conv2dGeometry) {
  const [kh, kw] = g.kernelSize;
  const [sh, sw] = g.strides ?? [1, 1];
  if (g.padding === 'same') {
    const oh = Math.ceil(h / sh);
    const ow = Math.ceil(w / sw);
    const padH = Math.max((oh - 1) * sh + kh - h, 0);
    const padW = Math.max((ow - 1) * sw + kw - w, 0);
    return { oh, ow, padTop: Math.floor(padH / 2), padLeft: Math.floor(padW / 2) };
  }
  if (h < kh || w < kw) throw new RangeError(`conv: input ${h}x${w} is smaller than the ${kh}x${kw} filter`);
  return { oh: Math.floor((h - kh) / sh) + 1, ow: Math.floor((w - kw) / sw) + 1, padTop: 0, padLeft: 0 };
}

/** The patches' shape [n*oh*ow, kh*kw*c] and the output height and width of im2col on NHWC `from`. */
export function im2colShape(from: Shape, g: Conv2dGeometry): { shape: number[]; oh: number; ow: number } {
  if (from.length !== 4)
    throw new RangeError(`im2col expects an NHWC tensor of rank 4, got ${fmtShape(from)}`);
  const [n, h, w, c] = from as [number, number, number, number];
  const { oh, ow } = convOutput(h, w, g);
  return { shape: [n * oh * ow, g.kernelSize[0] * g.kernelSize[1] * c], oh, ow };
}

/**
 * im2col for NHWC input [n, h, w, c]: returns [n*oh*ow, kh*kw*c] patches (zero padding), so that
 * a convolution is `patches · filter.reshape([kh*kw*c, outC])`.
 */
export function im2col(
  data: BigUint64Array,
  shape: Shape,
  g: Conv2dGeometry,
  alloc: Alloc,
): { data: BigUint64Array; shape: number[]; oh: number; ow: number } {
  const { shape: outShape, oh, ow } = im2colShape(shape, g);
  const [n, h, w, c] = shape as [number, number, number, number];
  const [kh, kw] = g.kernelSize;
  const [sh, sw] = g.strides ?? [1, 1];
  const { padTop, padLeft } = convOutput(h, w, g);
  const cols = outShape[1]!;
  const out = alloc(n * oh * ow * cols);
  let dst = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh + ky - padTop;
          for (let kx = 0; kx < kw; kx++) {
            const x = ox * sw + kx - padLeft;
            if (y >= 0 && y < h && x >= 0 && x < w) {
              const src = ((b * h + y) * w + x) * c;
              out.set(data.subarray(src, src + c), dst);
            } // else: zeros (alloc returns zeroed words)
            dst += c;
          }
        }
      }
    }
  }
  return { data: out, shape: outShape, oh, ow };
}
