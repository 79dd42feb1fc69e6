/**
 * max and argmax along an axis over any protocol: a tournament tree. Each level pairs elements
 * (2j, 2j+1) of every row, compares them all at once (one lt: 9 rounds on rep3) and selects with
 * one multiplication by the 0/1 result (1 round; value and index selections share that round):
 * m = a + [a < b] * (b - a). An odd element passes to the next level untouched. ceil(log2 n)
 * levels, so 10 * ceil(log2 n) rounds on rep3. Ties keep the earlier element (as tfjs argMax).
 * The index is an integer A share (not fixed point); values keep their scale.
 */
import { normalizeAxis, RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../protocol.js';
import { lt } from './compare.js';

/** Result of {@link maxArgmax}. */
export interface MaxResult<S> {
  /** The maxima, with `axis` removed (or kept as 1 with keepDims). */
  max: S;
  /** Indices of the maxima along `axis` (when asked for). */
  argmax?: S;
}

/** Max (and optionally argmax) along `axis`. */
export async function maxArgmax<S extends Share>(
  p: Protocol<S>,
  x: S,
  axis = -1,
  options: { withIndex?: boolean; keepDims?: boolean } = {},
): Promise<MaxResult<S>> {
  const rank = x.shape.length;
  const ax = normalizeAxis(axis, rank);
  const len = x.shape[ax]!;
  if (len === 0) throw new RangeError(`max over an empty axis ${ax}`);
  const outer = x.shape.filter((_, i) => i !== ax);
  const rows = outer.reduce((a, b) => a * b, 1);
  const perm = [...outer.keys()].map((i) => (i < ax ? i : i + 1));
  perm.push(ax);
  let v = p.reshape(p.transpose(x, perm), [rows, len]);
  let idx: S | undefined;
  if (options.withIndex) {
    const iota = new RingTensor([rows, len]);
    for (let r = 0; r < rows; r++) for (let j = 0; j < len; j++) iota.data[r * len + j] = BigInt(j);
    idx = p.fromPublic(iota, 'A');
  }
  let n = len;
  while (n > 1) {
    const half = n >> 1;
    const pick = (t: S): [S, S] => {
      const pairs = p.reshape(p.slice(t, 1, 0, 2 * half), [rows, half, 2]);
      return [
        p.reshape(p.slice(pairs, 2, 0, 1), [rows, half]),
        p.reshape(p.slice(pairs, 2, 1, 2), [rows, half]),
      ];
    };
    const [a, b] = pick(v);
    const c = await lt(p, a, b);
    let nv: S;
    let ni: S | undefined;
    if (idx !== undefined) {
      const [ia, ib] = pick(idx);
      const both = await p.mul(p.concat([p.sub(b, a), p.sub(ib, ia)], 0), p.concat([c, c], 0));
      nv = p.add(a, p.slice(both, 0, 0, rows));
      ni = p.add(ia, p.slice(both, 0, rows, 2 * rows));
    } else {
      nv = p.add(a, await p.mul(p.sub(b, a), c));
    }
    if (n % 2 === 1) {
      nv = p.concat([nv, p.slice(v, 1, n - 1, n)], 1);
      if (ni !== undefined) ni = p.concat([ni, p.slice(idx!, 1, n - 1, n)], 1);
    }
    v = nv;
    idx = ni;
    n = half + (n % 2);
  }
  const outShape = options.keepDims ? x.shape.map((d, i) => (i === ax ? 1 : d)) : outer;
  const res: MaxResult<S> = { max: p.reshape(v, outShape) };
  if (idx !== undefined) res.argmax = p.reshape(idx, outShape);
  return res;
}
