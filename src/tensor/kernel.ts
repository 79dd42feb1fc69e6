/**
 * The Z_2^64 kernel interface and the registry that picks one at run time.
 *
 * A kernel does the word-level arithmetic of ring tensors: every value is a 64-bit word and every
 * operation is mod 2^64 (BigUint64Array semantics). Layout work (transpose, slice, broadcast) lives
 * in TypeScript above the kernels; kernels do the compute-bound loops.
 *
 * Contract shared by every kernel:
 * - Arrays are BigUint64Array views of any buffer. A kernel may keep its own memory (the WebAssembly
 *   kernel does) and `alloc` returns arrays that live there, so passing them in costs no copy; any
 *   other array must still work (the kernel copies it in and out).
 * - Elementwise ops take arrays of the same length; `out` may be the very same array (same memory,
 *   same offset) as any input. A partial overlap (out shifted against an input) is unspecified.
 * - `matmul` writes `out = a · b` for row-major a (m x k) and b (k x n); `out` must not alias a or b.
 * - Shift amounts are integers in [0, 63].
 * - Kernels never throw on arithmetic (everything wraps); they throw RangeError on a length mismatch.
 */

/** Names of the kernels peermpc ships, fastest last. */
export type KernelName = 'reference' | 'wasm' | 'native';

/** Word-level Z_2^64 arithmetic. See the module comment for the contract. */
export interface RingKernel {
  /** Which implementation this is. */
  readonly name: KernelName;
  /** A short human description (e.g. the SIMD level the native kernel dispatched to). */
  readonly description: string;
  /** Allocates `n` zeroed words, resident in this kernel's memory when it has its own. */
  alloc(n: number): BigUint64Array;
  /** out[i] = a[i] + b[i] */
  add(a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void;
  /** out[i] = a[i] - b[i] */
  sub(a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void;
  /** out[i] = a[i] * b[i] */
  mul(a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void;
  /** out[i] = a[i] * b[i] + c[i] (fused; the common step of a share multiplication) */
  mulAdd(a: BigUint64Array, b: BigUint64Array, c: BigUint64Array, out: BigUint64Array): void;
  /** out[i] = -a[i] */
  neg(a: BigUint64Array, out: BigUint64Array): void;
  /** out[i] = a[i] + s */
  addScalar(a: BigUint64Array, s: bigint, out: BigUint64Array): void;
  /** out[i] = a[i] * s */
  mulScalar(a: BigUint64Array, s: bigint, out: BigUint64Array): void;
  /** out[i] = a[i] & b[i] */
  and(a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void;
  /** out[i] = a[i] | b[i] */
  or(a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void;
  /** out[i] = a[i] ^ b[i] */
  xor(a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void;
  /** out[i] = ~a[i] */
  not(a: BigUint64Array, out: BigUint64Array): void;
  /** out[i] = a[i] << k */
  shl(a: BigUint64Array, k: number, out: BigUint64Array): void;
  /** out[i] = a[i] >>> k (logical) */
  shrLogical(a: BigUint64Array, k: number, out: BigUint64Array): void;
  /** out[i] = a[i] >> k (arithmetic: the word read as two's complement int64) */
  shrArithmetic(a: BigUint64Array, k: number, out: BigUint64Array): void;
  /** out = a · b, a is m x k, b is k x n, all row-major; out must not alias a or b. */
  matmul(a: BigUint64Array, b: BigUint64Array, out: BigUint64Array, m: number, k: number, n: number): void;
}

/** Thrown when a kernel that was asked for by name is not available on this machine. */
export class KernelUnavailableError extends Error {
  override readonly name = 'KernelUnavailableError';
  constructor(kernel: string, reason: string) {
    super(`ring kernel "${kernel}" is not available: ${reason}`);
  }
}

/** Checks that elementwise operands have the same length; kernels call it at their boundary. */
export function assertSameLength(op: string, ...arrays: BigUint64Array[]): void {
  const n = arrays[0]!.length;
  for (let i = 1; i < arrays.length; i++) {
    if (arrays[i]!.length !== n) {
      throw new RangeError(`${op}: operand ${i} has ${arrays[i]!.length} words, operand 0 has ${n}`);
    }
  }
}

/** Checks matmul operand sizes against m, k, n. */
export function assertMatmul(
  a: BigUint64Array,
  b: BigUint64Array,
  out: BigUint64Array,
  m: number,
  k: number,
  n: number,
): void {
  if (a.length !== m * k) throw new RangeError(`matmul: a has ${a.length} words, expected ${m}x${k}`);
  if (b.length !== k * n) throw new RangeError(`matmul: b has ${b.length} words, expected ${k}x${n}`);
  if (out.length !== m * n) throw new RangeError(`matmul: out has ${out.length} words, expected ${m}x${n}`);
}

/** Checks a shift amount. */
export function assertShift(k: number): void {
  if (!Number.isInteger(k) || k < 0 || k > 63)
    throw new RangeError(`shift amount ${k} is not an integer in [0, 63]`);
}
