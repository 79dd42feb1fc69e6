/**
 * Row maximum of a short last axis in few rounds (for softmax over a handful of classes), built on
 * the engine's `lt`: all K(K-1)/2 comparisons at once instead of the tournament's ceil(log2 K)
 * sequential levels.
 *
 * Steps for x [rows, K]: L_ij = [x_i < x_j] for every pair (one lt on [rows, K, K], broadcast, so a
 * handful of local ops); element i beats j when 1 - L_ij (j > i) or L_ji (j < i), so exactly one
 * element wins all its duels (ties go to the first, as tfjs's argMax); the product of its K - 1
 * duel bits and x_i itself (ceil(log2 K) rounds of exact multiplications by 0/1 bits) is x_i for
 * the winner and 0 for the others, and the max is their sum. Rounds on rep3: lt (9) +
 * ceil(log2 K), e.g. 13 for K = 10 against the tournament's 40. Cost: K^2 comparisons per row
 * instead of K - 1, so the tournament (src/protocols/ops/max.ts) is used beyond
 * {@link PAIRWISE_MAX_LIMIT} classes. Exact.
 */
import { RingTensor } from '../../../tensor/index.js';
import type { Protocol, Share } from '../../protocol.js';
import { lt, oneMinus } from '../compare.js';
import { maxArgmax } from '../max.js';

/** Widest last axis for which {@link rowMax} compares all pairs. */
export const PAIRWISE_MAX_LIMIT = 16;

/** The maximum along the last axis of x [..., K], with the axis kept (size 1). */
export async function rowMax<S extends Share>(p: Protocol<S>, x: S): Promise<S> {
  const rank = x.shape.length;
  const K = x.shape[rank - 1]!;
  if (K === 1) return x;
  if (K > PAIRWISE_MAX_LIMIT) return (await maxArgmax(p, x, -1, { keepDims: true })).max;
  const lead = x.shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const x2 = p.reshape(x, [rows, K]);
  // L[:, i, j] = [x_i < x_j], every pair at once
  const xi = p.broadcastTo(p.reshape(x2, [rows, K, 1]), [rows, K, K]);
  const xj = p.broadcastTo(p.reshape(x2, [rows, 1, K]), [rows, K, K]);
  const L = await lt(p, xi, xj);
  // element i beats j > i when x_i >= x_j (1 - L_ij), j < i when x_i > x_j (L_ji); the diagonal
  // holds x_i, so that the product of row i is x_i for the winner, 0 for the others
  const upper = new RingTensor([K, K]);
  const lower = new RingTensor([K, K]);
  const diag = new RingTensor([K, K]);
  for (let i = 0; i < K; i++) {
    diag.data[i * K + i] = 1n;
    for (let j = 0; j < K; j++) {
      if (j > i) upper.data[i * K + j] = 1n;
      if (j < i) lower.data[i * K + j] = 1n;
    }
  }
  const wins = p.add(
    p.add(p.mulPublic(oneMinus(p, L), upper), p.mulPublic(p.transpose(L, [0, 2, 1]), lower)),
    p.mulPublic(xi, diag),
  );
  // the winner's x: the product of each row's duel bits and x_i (ceil(log2 K) rounds of exact muls)
  let width = K;
  let cur = wins;
  while (width > 1) {
    const half = width >> 1;
    const prod = await p.mul(p.slice(cur, 2, 0, half), p.slice(cur, 2, half, 2 * half));
    cur = width % 2 === 1 ? p.concat([prod, p.slice(cur, 2, 2 * half, width)], 2) : prod;
    width = half + (width % 2);
  }
  const max = p.sum(p.reshape(cur, [rows, K]), 1, true);
  return p.reshape(max, [...lead, 1]);
}
