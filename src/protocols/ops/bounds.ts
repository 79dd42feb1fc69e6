/**
 * Bounded comparisons: the `bits` option of msb, lt, gt, le, ge and relu, and where callers get a
 * bound from.
 *
 * `bits` = k promises that the compared value (x for msb and relu, x - y for lt, le; y - x for
 * gt, ge) lies in [-2^(k-1), 2^(k-1)), i.e. fits k-bit two's complement; 1 <= k <= 64, default 64
 * (every ring value: no promise). Protocols with a bounded circuit (rep3: rep3/bounded.ts) then
 * compare over k bits; the others ignore it (their 64-bit circuit is exact everywhere). Outside
 * the promised range the result is unspecified: pass a bound only where it holds by construction.
 *
 * Where a bound comes from. Not from the fixed-point encoding: it accepts reals |x| < 2^(63-f), so
 * an encoded value uses all 64 bits. A product does: a fixed-point product (mulTrunc or
 * matmulTrunc by f) is exact only for |z| < 2^62 before truncation (docs/PROTOCOLS.md, "Range"),
 * so its result lies in [-2^(62-f), 2^(62-f)] and fits {@link productBits}(f) = 64 - f bits (48
 * for f = 16); the difference of two such values fits one bit more. A sum with an arbitrary
 * encoded value (a dense layer's bias) has no bound below 64 bits, so src/ml passes one only when
 * the model owner checked its biases to lie in a product's range (src/ml/bounds.ts: 65 - f bits).
 * Callers that know their data (the benchmark's operands are reals in [-4, 4)) pass their own.
 */
import type { Cost, Share } from '../protocol.js';

/** Options of the comparison ops. */
export interface CompareOptions {
  /**
   * The compared value fits `bits`-bit two's complement: [-2^(bits-1), 2^(bits-1)). Integer in
   * [1, 64]; default 64 (any ring value). The result is unspecified outside that range.
   */
  bits?: number;
}

/** The checked `bits` of `o` (64 when absent). @throws RangeError outside [1, 64]. */
export function compareBits(o: CompareOptions | undefined): number {
  const k = o?.bits ?? 64;
  if (!Number.isInteger(k) || k < 1 || k > 64)
    throw new RangeError(`comparison bound of ${k} bits: not an integer in [1, 64]`);
  return k;
}

/**
 * Bits of the result of a fixed-point product with f fractional bits (64 - f: 48 for f = 16),
 * valid whenever the product itself is (|z| < 2^62 before truncation).
 * @throws RangeError when f is not an integer in [1, 62].
 */
export function productBits(f = 16): number {
  if (!Number.isInteger(f) || f < 1 || f > 62) throw new RangeError(`fractional bits ${f}: not in [1, 62]`);
  return 64 - f;
}

/** Comparison kernels a protocol may offer beyond the Protocol interface (rep3 does). */
export interface FusedCompare<S extends Share> {
  /** A shares of msb(x), or of 1 - msb(x) when `negate`, for x within `bits` (< 64). */
  msbBounded(x: S, bits: number, negate: boolean): Promise<S>;
  /** The cost of {@link FusedCompare.msbBounded} on this party. */
  msbBoundedCost(elements: number, bits: number): Cost;
  /** max(x, 0) for x within `bits` (64: any value). */
  reluInjected(x: S, bits: number): Promise<S>;
  /** The cost of {@link FusedCompare.reluInjected} on this party. */
  reluInjectedCost(elements: number, bits: number): Cost;
}

/** The protocol's fused comparison kernels, if it has them. */
export function fusedCompare<S extends Share>(p: object): FusedCompare<S> | undefined {
  const f = p as Partial<FusedCompare<S>>;
  return typeof f.msbBounded === 'function' && typeof f.reluInjected === 'function'
    ? (p as FusedCompare<S>)
    : undefined;
}
