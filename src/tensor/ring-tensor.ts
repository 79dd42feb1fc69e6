/**
 * RingTensor: a shape plus 64-bit words, every value in Z_2^64.
 *
 * Arithmetic shares and boolean shares (64 bits packed per word) are both RingTensors. Operations
 * return new tensors (allocated by the active kernel, so they may live in WebAssembly memory)
 * unless an `out` tensor is given; elementwise binary ops broadcast like tfjs. Tensors are
 * immutable by convention: only the `out` forms write into an existing tensor.
 */
import type { RingKernel } from './kernel.js';
import * as layout from './layout.js';
import { kernel } from './registry.js';
import { bitwiseWordInto } from './word-ops.js';
import {
  assertShape,
  broadcastShapes,
  fmtShape,
  matmulShape,
  reshapeShape,
  shapesEqual,
  sizeOf,
  type Shape,
} from './shape.js';

const MOD = 1n << 64n;

/** A right operand: a tensor (broadcast) or a public scalar (taken mod 2^64). */
export type RingOperand = RingTensor | bigint | number;

function toWord(v: bigint | number): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`scalar ${v} is not a safe integer`);
    v = BigInt(v);
  }
  return ((v % MOD) + MOD) % MOD;
}

/** A tensor over Z_2^64. */
export class RingTensor {
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** The words, row-major; length = product of shape. */
  readonly data: BigUint64Array;

  /** Wraps `data` (not copied) with `shape`; allocates zeros when data is omitted. */
  constructor(shape: Shape, data?: BigUint64Array) {
    assertShape(shape);
    const n = sizeOf(shape);
    if (data === undefined) data = kernel().alloc(n);
    else if (!(data instanceof BigUint64Array))
      throw new TypeError('RingTensor data must be a BigUint64Array');
    else if (data.length !== n)
      throw new RangeError(`shape ${fmtShape(shape)} needs ${n} words, data has ${data.length}`);
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  /** A zero tensor. */
  static zeros(shape: Shape): RingTensor {
    return new RingTensor(shape);
  }

  /** A tensor from BigInt values (each taken mod 2^64); shape defaults to [values.length]. */
  static fromBigInts(values: readonly bigint[], shape: Shape = [values.length]): RingTensor {
    const t = new RingTensor(shape);
    if (values.length !== t.size)
      throw new RangeError(`${values.length} values do not fill shape ${fmtShape(shape)}`);
    for (let i = 0; i < values.length; i++) t.data[i] = BigInt.asUintN(64, values[i]!);
    return t;
  }

  /** A tensor filled with one value. */
  static fill(shape: Shape, value: bigint | number): RingTensor {
    const t = new RingTensor(shape);
    t.data.fill(toWord(value));
    return t;
  }

  /** Concatenates tensors along `axis`. */
  static concat(tensors: readonly RingTensor[], axis = 0): RingTensor {
    const r = layout.concat(tensors, axis, alloc);
    return new RingTensor(r.shape, r.data);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** The values as unsigned BigInts in [0, 2^64). */
  toBigInts(): bigint[] {
    return Array.from(this.data);
  }

  /** The values read as two's complement signed BigInts in [-2^63, 2^63). */
  toSignedBigInts(): bigint[] {
    return Array.from(this.data, (v) => BigInt.asIntN(64, v));
  }

  /** A deep copy. */
  clone(): RingTensor {
    const t = new RingTensor(this.shape);
    t.data.set(this.data);
    return t;
  }

  /** True when shapes and all words are equal. */
  equals(other: RingTensor): boolean {
    if (!shapesEqual(this.shape, other.shape)) return false;
    for (let i = 0; i < this.data.length; i++) if (this.data[i] !== other.data[i]) return false;
    return true;
  }

  /** The same words with a new shape of equal size (shares the data). */
  reshape(shape: Shape): RingTensor {
    return new RingTensor(reshapeShape(this.shape, shape), this.data);
  }

  /** This tensor materialised at a broadcast shape. */
  broadcastTo(shape: Shape): RingTensor {
    if (shapesEqual(shape, this.shape)) return this;
    return new RingTensor(shape, layout.broadcastTo(this.data, this.shape, shape, alloc));
  }

  /** Elementwise a + b. */
  add(b: RingOperand, out?: RingTensor): RingTensor {
    return this.binary(
      b,
      out,
      (k, x, y, o) => k.add(x, y, o),
      (k, x, s, o) => k.addScalar(x, s, o),
    );
  }

  /** Elementwise a - b. */
  sub(b: RingOperand, out?: RingTensor): RingTensor {
    return this.binary(
      b,
      out,
      (k, x, y, o) => k.sub(x, y, o),
      (k, x, s, o) => k.addScalar(x, (MOD - s) % MOD, o),
    );
  }

  /** Elementwise a * b. */
  mul(b: RingOperand, out?: RingTensor): RingTensor {
    return this.binary(
      b,
      out,
      (k, x, y, o) => k.mul(x, y, o),
      (k, x, s, o) => k.mulScalar(x, s, o),
    );
  }

  /** Elementwise a & b (boolean shares). */
  and(b: RingOperand, out?: RingTensor): RingTensor {
    return this.binary(
      b,
      out,
      (k, x, y, o) => k.and(x, y, o),
      (k, x, s, o) => bitwiseWordInto('and', x, s, o, k),
    );
  }

  /** Elementwise a | b. */
  or(b: RingOperand, out?: RingTensor): RingTensor {
    return this.binary(
      b,
      out,
      (k, x, y, o) => k.or(x, y, o),
      (k, x, s, o) => bitwiseWordInto('or', x, s, o, k),
    );
  }

  /** Elementwise a ^ b (boolean shares). */
  xor(b: RingOperand, out?: RingTensor): RingTensor {
    return this.binary(
      b,
      out,
      (k, x, y, o) => k.xor(x, y, o),
      (k, x, s, o) => bitwiseWordInto('xor', x, s, o, k),
    );
  }

  /** out = this * b + c, elementwise, all of the same shape (the fused step of share multiplication). */
  mulAdd(b: RingTensor, c: RingTensor, out?: RingTensor): RingTensor {
    this.assertSame(b, 'mulAdd');
    this.assertSame(c, 'mulAdd');
    const o = this.target(out);
    kernel().mulAdd(this.data, b.data, c.data, o.data);
    return o;
  }

  /** Elementwise -a. */
  neg(out?: RingTensor): RingTensor {
    const o = this.target(out);
    kernel().neg(this.data, o.data);
    return o;
  }

  /** Elementwise ~a. */
  not(out?: RingTensor): RingTensor {
    const o = this.target(out);
    kernel().not(this.data, o.data);
    return o;
  }

  /** Elementwise a << k. */
  shl(k: number, out?: RingTensor): RingTensor {
    const o = this.target(out);
    kernel().shl(this.data, k, o.data);
    return o;
  }

  /** Elementwise logical right shift a >>> k. */
  shr(k: number, out?: RingTensor): RingTensor {
    const o = this.target(out);
    kernel().shrLogical(this.data, k, o.data);
    return o;
  }

  /** Elementwise arithmetic right shift (words read as int64). */
  sar(k: number, out?: RingTensor): RingTensor {
    const o = this.target(out);
    kernel().shrArithmetic(this.data, k, o.data);
    return o;
  }

  /**
   * Matrix product. 2-D: [m,k]·[k,n]. Batched: [...B,m,k]·[...B,k,n], or [...B,m,k]·[k,n] (the
   * right operand shared by every batch), or [m,k]·[...B,k,n].
   */
  matmul(b: RingTensor): RingTensor {
    const a: RingTensor = this as RingTensor;
    const outShape = matmulShape(a.shape, b.shape); // checks ranks, inner and batch dimensions
    const [m, k] = a.shape.slice(-2) as [number, number];
    const n = b.shape[b.rank - 1]!;
    const ka = kernel();
    if (a.rank === 2 && b.rank === 2) {
      const out = new RingTensor(outShape);
      ka.matmul(a.data, b.data, out.data, m, k, n);
      return out;
    }
    const batchA = a.shape.slice(0, -2);
    if (b.rank === 2) {
      // Fold the batch into rows: one big product.
      const out = ka.alloc(sizeOf(batchA) * m * n);
      ka.matmul(a.data, b.data, out, sizeOf(batchA) * m, k, n);
      return new RingTensor(outShape, out);
    }
    const nb = sizeOf(a.rank === 2 ? b.shape.slice(0, -2) : batchA);
    const out = new RingTensor(outShape);
    const tmpA = a.rank === 2 ? a.data : undefined;
    for (let i = 0; i < nb; i++) {
      const ai = tmpA ?? a.data.subarray(i * m * k, (i + 1) * m * k);
      const bi = b.data.subarray(i * k * n, (i + 1) * k * n);
      ka.matmul(ai, bi, out.data.subarray(i * m * n, (i + 1) * m * n), m, k, n);
    }
    return out;
  }

  /** Permutes axes (default: reverse them). */
  transpose(perm?: readonly number[]): RingTensor {
    const r = layout.transpose(this.data, this.shape, perm, alloc);
    return new RingTensor(r.shape, r.data);
  }

  /** Elements [start, end) along `axis`. */
  slice(axis: number, start: number, end: number): RingTensor {
    const r = layout.slice(this.data, this.shape, axis, start, end, alloc);
    return new RingTensor(r.shape, r.data);
  }

  /** Sum along `axis` (mod 2^64); all elements (shape []) when axis is omitted. */
  sum(axis?: number, keepDims = false): RingTensor {
    if (axis === undefined) {
      let s = 0n;
      for (let i = 0; i < this.data.length; i++) s += this.data[i]!;
      return RingTensor.fromBigInts([s], keepDims ? this.shape.map(() => 1) : []);
    }
    const r = layout.sumAxis(this.data, this.shape, axis, keepDims, alloc);
    return new RingTensor(r.shape, r.data);
  }

  /** im2col of an NHWC tensor (see layout.im2col). */
  im2col(g: layout.Conv2dGeometry): { patches: RingTensor; oh: number; ow: number } {
    const r = layout.im2col(this.data, this.shape, g, alloc);
    return { patches: new RingTensor(r.shape, r.data), oh: r.oh, ow: r.ow };
  }

  /** Describes the tensor without its values (safe to log). */
  toString(): string {
    return `RingTensor${fmtShape(this.shape)}`;
  }

  private target(out: RingTensor | undefined): RingTensor {
    if (out === undefined) return new RingTensor(this.shape);
    this.assertSame(out, 'out');
    return out;
  }

  private assertSame(o: RingTensor, what: string): void {
    if (!shapesEqual(this.shape, o.shape))
      throw new RangeError(`${what}: shape ${fmtShape(o.shape)} does not match ${fmtShape(this.shape)}`);
  }

  private binary(
    b: RingOperand,
    out: RingTensor | undefined,
    op: (k: RingKernel, x: BigUint64Array, y: BigUint64Array, o: BigUint64Array) => void,
    opScalar: (k: RingKernel, x: BigUint64Array, s: bigint, o: BigUint64Array) => void,
  ): RingTensor {
    const k = kernel();
    if (typeof b !== 'object') {
      const o = this.target(out);
      opScalar(k, this.data, toWord(b), o.data);
      return o;
    }
    if (shapesEqual(this.shape, b.shape)) {
      const o = this.target(out);
      op(k, this.data, b.data, o.data);
      return o;
    }
    const shape = broadcastShapes(this.shape, b.shape);
    const x = this.broadcastTo(shape);
    const y = b.broadcastTo(shape);
    const o = out ?? new RingTensor(shape);
    if (!shapesEqual(o.shape, shape))
      throw new RangeError(`out: shape ${fmtShape(o.shape)} does not match ${fmtShape(shape)}`);
    op(k, x.data, y.data, o.data);
    return o;
  }
}

function alloc(n: number): BigUint64Array {
  return kernel().alloc(n);
}
