/**
 * Bitwise ops of a word array with one public 64-bit word, without a full-size constant: the word
 * is repeated in a small buffer (allocated by, and cached per, the kernel that uses it, so it is
 * resident where the kernel wants its operands) and the array is processed in chunks of that size.
 * The fused sign circuits of the protocols and RingTensor's bitwise ops with a scalar use it.
 */
import type { RingKernel } from './kernel.js';
import { kernel } from './registry.js';

/** The bitwise ops available. */
export type BitwiseOp = 'and' | 'or' | 'xor';

const CHUNK = 16384;
const MAX_CACHED = 64;
const caches = new WeakMap<RingKernel, Map<bigint, BigUint64Array>>();

function constant(k: RingKernel, v: bigint): BigUint64Array {
  let cache = caches.get(k);
  if (cache === undefined) caches.set(k, (cache = new Map()));
  let c = cache.get(v);
  if (c === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    c = k.alloc(CHUNK).fill(v);
    cache.set(v, c);
  }
  return c;
}

/**
 * out = a `op` v elementwise, for a public word v (taken mod 2^64); `out` may be `a` itself.
 * @throws RangeError when `out` is not as long as `a`.
 */
export function bitwiseWordInto(
  op: BitwiseOp,
  a: BigUint64Array,
  v: bigint,
  out: BigUint64Array,
  k: RingKernel = kernel(),
): void {
  if (out.length !== a.length)
    throw new RangeError(`${op}: out has ${out.length} words, the operand ${a.length}`);
  const c = constant(k, BigInt.asUintN(64, v));
  const n = a.length;
  for (let i = 0; i < n; i += CHUNK) {
    const e = Math.min(n, i + CHUNK);
    k[op](a.subarray(i, e), c.subarray(0, e - i), out.subarray(i, e));
  }
}
