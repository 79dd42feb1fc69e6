/**
 * Allocation-lean local helpers for rep3 shares (the hot path allocates little else): bitwise ops
 * with a public scalar without materialising a full-size constant, and zero-copy slices along the
 * first axis (tensors are immutable by convention, so a view is as good as a copy).
 */
import { kernel, normalizeAxis, RingTensor } from '../../tensor/index.js';

const CHUNK = 16384;
const constants = new Map<bigint, BigUint64Array>();

function constant(v: bigint): BigUint64Array {
  let c = constants.get(v);
  if (c === undefined) {
    if (constants.size > 64) constants.clear();
    c = new BigUint64Array(CHUNK).fill(v);
    constants.set(v, c);
  }
  return c;
}

/** out = a & s or a ^ s for a public 64-bit scalar s (out may alias a). */
export function bitwiseScalarInto(
  a: BigUint64Array,
  s: bigint,
  op: 'and' | 'xor',
  out: BigUint64Array,
): void {
  const c = constant(BigInt.asUintN(64, s));
  const k = kernel();
  const f = op === 'and' ? k.and.bind(k) : k.xor.bind(k);
  const n = a.length;
  for (let i = 0; i < n; i += CHUNK) {
    const e = Math.min(n, i + CHUNK);
    f(a.subarray(i, e), c.subarray(0, e - i), out.subarray(i, e));
  }
}

/** t & s or t ^ s for a public 64-bit scalar s, into a new tensor. */
export function bitwiseScalar(t: RingTensor, s: bigint, op: 'and' | 'xor'): RingTensor {
  const out = new RingTensor(t.shape);
  bitwiseScalarInto(t.data, s, op, out.data);
  return out;
}

/** Elements [start, end) along `axis`: a view when axis is 0, else RingTensor.slice. */
export function sliceView(t: RingTensor, axis: number, start: number, end: number): RingTensor {
  if (normalizeAxis(axis, t.rank) !== 0) return t.slice(axis, start, end);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > t.shape[0]! || start > end) {
    return t.slice(axis, start, end); // throws the usual RangeError
  }
  const inner = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return new RingTensor([end - start, ...t.shape.slice(1)], t.data.subarray(start * inner, end * inner));
}
