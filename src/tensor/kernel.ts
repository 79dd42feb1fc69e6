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

/** Bytes per lane of a lane array: the low bytes of each word, little-endian (see FusedOps). */
export type LaneWidth = 1 | 2 | 4 | 8;

/**
 * Fused steps of rep3's multiplication and exact truncation (src/protocols/rep3/arith.ts, trunc.ts):
 * each does in one pass over its operands what a chain of the elementwise ops did, with the same
 * result to the bit. A lane array is a Uint8Array of lanes of `lane` bytes each, the low bytes of a
 * word, little-endian, at any byte offset; lanes read as words are zero-extended. Word outputs may
 * be the very same arrays as word inputs (as for the elementwise ops); lane outputs must not overlap
 * any operand, and lane inputs no output.
 */
export interface FusedOps {
  /**
   * out[i] = (x0[i]*y0[i] + x0[i]*y1[i] + x1[i]*y0[i] + plus[i] - minus[i]) >>> shift, with a null
   * `plus` or `minus` read as zeros: rep3's local product z_r plus its mask, and for the truncation
   * of role 1's half, shifted. `shift` in [0, 63].
   */
  mulAdd3(
    x0: BigUint64Array,
    x1: BigUint64Array,
    y0: BigUint64Array,
    y1: BigUint64Array,
    plus: BigUint64Array | null,
    minus: BigUint64Array | null,
    out: BigUint64Array,
    shift: number,
  ): void;
  /** out[i] = a[i] - b[i] * s */
  subMulScalar(a: BigUint64Array, b: BigUint64Array, s: bigint, out: BigUint64Array): void;
  /**
   * For n = c.length: lane i of `out` (n lanes) = lane (bit ? n + i : i) of `v` (2n lanes), with
   * bit = (c[i] >>> shift) & 1. An OT receiver's selected mask.
   */
  selectLanes(c: BigUint64Array, shift: number, v: Uint8Array, lane: LaneWidth, out: Uint8Array): void;
  /**
   * For n = t.length: out[i] = t[i] - (lane (bit ? n + i : i) of `sender` - lane i of `other`) * s,
   * bit = (t[i] >>> shift) & 1; `sender` has 2n lanes, `other` n. An OT receiver's share of the
   * truncation's wrap, scaled by s and subtracted from its half.
   */
  unwrapLanes(
    t: BigUint64Array,
    shift: number,
    sender: Uint8Array,
    other: Uint8Array,
    lane: LaneWidth,
    s: bigint,
    out: BigUint64Array,
  ): void;
  /**
   * Role 0's step of the exact truncation by d = `bits` (in [0, 62]), with n = z.length, u =
   * 2^(64-d) mod 2^64 and, per element, A = z + z2 + 2^62, T = (A >>> d) + (((A & (2^d - 1)) +
   * 2^d - 1) >>> d) - 2^(62-d) - r (ceil(A / 2^d) - 2^(62-d) - r), R = ra + rb, f = A >>> 63:
   * t0 = T; cur = T - rb*u; prev = r - ra*u; lanes i and n + i of msg1 (2n lanes) = f - R + lane i
   * of masks1 and 1 - R + lane n + i of masks1; msg2 the same with masks2.
   */
  wrapSend(
    z: BigUint64Array,
    z2: BigUint64Array,
    r: BigUint64Array,
    ra: BigUint64Array,
    rb: BigUint64Array,
    masks1: Uint8Array,
    masks2: Uint8Array,
    bits: number,
    lane: LaneWidth,
    t0: BigUint64Array,
    msg1: Uint8Array,
    msg2: Uint8Array,
    cur: BigUint64Array,
    prev: BigUint64Array,
  ): void;
}

/** Names of the kernels peermpc ships, fastest last. */
export type KernelName = 'reference' | 'wasm' | 'native';

/** Word-level Z_2^64 arithmetic. See the module comment for the contract. */
export interface RingKernel extends FusedOps {
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

/**
 * Checks word operands of a fused op against operand 0's length; each is [argument index, array]
 * (null skipped), so the message names the argument as the native kernel does.
 */
export function assertWords(op: string, n: number, operands: [number, BigUint64Array | null][]): void {
  for (const [i, a] of operands) {
    if (a !== null && a.length !== n)
      throw new RangeError(`${op}: operand ${i} has ${a.length} words, operand 0 has ${n}`);
  }
}

/** Checks a lane width and that `bytes` holds `lanes` lanes of it; `what` names the array. */
export function assertLanes(op: string, what: string, bytes: Uint8Array, lanes: number, lane: number): void {
  if (lane !== 1 && lane !== 2 && lane !== 4 && lane !== 8)
    throw new RangeError(`${op}: lane must be 1, 2, 4 or 8 bytes`);
  if (bytes.byteLength !== lanes * lane) {
    throw new RangeError(
      `${op}: ${what} has ${bytes.byteLength} bytes, expected ${lanes * lane} (${lanes} lanes of ${lane})`,
    );
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
