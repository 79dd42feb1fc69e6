/**
 * Allocation-lean local helpers for rep3 shares: zero-copy slices along the first axis (tensors
 * are immutable by convention, so a view is as good as a copy). Bitwise ops with a public word
 * need no full-size constant either: RingTensor's own use bitwiseWordInto (src/tensor/word-ops.ts).
 */
import { normalizeAxis, RingTensor } from '../../tensor/index.js';

/** Elements [start, end) along `axis`: a view when axis is 0, else RingTensor.slice. */
export function sliceView(t: RingTensor, axis: number, start: number, end: number): RingTensor {
  if (normalizeAxis(axis, t.rank) !== 0) return t.slice(axis, start, end);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > t.shape[0]! || start > end) {
    return t.slice(axis, start, end); // throws the usual RangeError
  }
  const inner = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return new RingTensor([end - start, ...t.shape.slice(1)], t.data.subarray(start * inner, end * inner));
}
