/**
 * Row maximum of a short last axis in few rounds (for softmax over a handful of classes), built on
 * the engine's `lt`: all K(K-1)/2 comparisons at once instead of the tournament's ceil(log2 K)
 * sequential levels.
 *
 * Steps for x [rows, K]:
 * 1. keys x'_i = K x_i + (K - 1 - i) (local): distinct, and ordered as x with ties going to the
 *    lower index (as tfjs's argMax), so "i beats j" is 1 - [x'_i < x'_j] whatever i and j are;
 * 2. each pair once, in a cyclic layout: C_d[i] = [x'_i < x'_(i+d mod K)] for d = 1..floor((K-1)/2)
 *    over every i, and for even K, d = K/2 over i < K/2 (one lt on [rows, K(K-1)/2]; the shifted
 *    operands are slices and concatenations, local);
 * 3. element i's duel bits: 1 - C_d[i] (against i + d) and C_d[i - d] (against i - d, C_d rolled),
 *    K - 1 in all; their product with x_i itself (ceil(log2 K) rounds of exact multiplications by
 *    0/1 bits) is x_i for the winner and 0 for the others, and the max is their sum.
 * Rounds on rep3: lt (9) + ceil(log2 K), e.g. 13 for K = 10 against the tournament's 40. Cost:
 * K(K-1)/2 comparisons per row instead of K - 1, so the tournament (src/protocols/ops/max.ts) is
 * used beyond {@link PAIRWISE_MAX_LIMIT} classes. Exact for rows whose range (max - min) is below
 * (2^63 - K) / K ring units (the keys' differences, up to K (max - min) + K - 1, must not wrap; a
 * softmax's domain is far inside it).
 */
import { RingTensor } from '../../../tensor/index.js';
import type { Protocol, Share } from '../../protocol.js';
import { lt, oneMinus } from '../compare.js';
import { maxArgmax } from '../max.js';

/** Widest last axis for which {@link rowMax} compares all pairs. */
export const PAIRWISE_MAX_LIMIT = 16;

/** x [rows, K] rolled left by d along axis 1: column i holds x[(i + d) mod K]. */
function roll<S extends Share>(p: Protocol<S>, x: S, d: number): S {
  const K = x.shape[1]!;
  const k = ((d % K) + K) % K;
  return k === 0 ? x : p.concat([p.slice(x, 1, k, K), p.slice(x, 1, 0, k)], 1);
}

/** The maximum along the last axis of x [..., K], with the axis kept (size 1). */
export async function rowMax<S extends Share>(p: Protocol<S>, x: S): Promise<S> {
  const rank = x.shape.length;
  const K = x.shape[rank - 1]!;
  if (K === 1) return x;
  if (K > PAIRWISE_MAX_LIMIT) return (await maxArgmax(p, x, -1, { keepDims: true })).max;
  const lead = x.shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const x2 = p.reshape(x, [rows, K]);
  const rank0 = new RingTensor([1, K]);
  for (let i = 0; i < K; i++) rank0.data[i] = BigInt(K - 1 - i);
  const key = p.addPublic(p.mulPublic(x2, BigInt(K)), rank0);
  // every pair once: offsets 1..floor((K-1)/2) over all i, and K/2 over the first half for even K
  const full = Math.floor((K - 1) / 2);
  const half = K % 2 === 0 ? K / 2 : 0;
  const left: S[] = [];
  const right: S[] = [];
  for (let d = 1; d <= full; d++) {
    left.push(key);
    right.push(roll(p, key, d));
  }
  if (half > 0) {
    left.push(p.slice(key, 1, 0, half));
    right.push(p.slice(key, 1, half, K));
  }
  const C = await lt(p, p.concat(left, 1), p.concat(right, 1));
  // element i's factors: beats i + d (1 - C_d[i]), beats i - d (C_d[i - d]), and x_i itself
  const col = (s: S) => p.reshape(s, [rows, K, 1]);
  const factors: S[] = [col(x2)];
  for (let d = 1; d <= full; d++) {
    const c = p.slice(C, 1, (d - 1) * K, d * K);
    factors.push(col(oneMinus(p, c)), col(roll(p, c, -d)));
  }
  if (half > 0) {
    const c = p.slice(C, 1, full * K, full * K + half);
    factors.push(col(p.concat([oneMinus(p, c), c], 1)));
  }
  // the winner's x: the product of each row's K factors (ceil(log2 K) rounds of exact muls)
  let cur = p.concat(factors, 2);
  let width = K;
  while (width > 1) {
    const h = width >> 1;
    const prod = await p.mul(p.slice(cur, 2, 0, h), p.slice(cur, 2, h, 2 * h));
    cur = width % 2 === 1 ? p.concat([prod, p.slice(cur, 2, 2 * h, width)], 2) : prod;
    width = h + (width % 2);
  }
  const max = p.sum(p.reshape(cur, [rows, K]), 1, true);
  return p.reshape(max, [...lead, 1]);
}
