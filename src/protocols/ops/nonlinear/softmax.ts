/**
 * softmax and log-softmax along the last axis, generic over any protocol.
 *
 * softmax: subtract the row maximum (the engine's tournament max, 40 rounds on rep3 for K = 10, or
 * with `max: 'pairwise'` {@link rowMax}, 13 rounds but K^2 comparisons) so every exponent is <= 0;
 * e = e^(x - max) ({@link expNonPositive}, 23 rounds); the row sum S lies in [1, K]; e / S by
 * {@link divideBounded} on [1, K] (10 rounds for K = 10: one quotient per element, the iteration's
 * error terms once per row; beyond 50 classes (f = 16), 1/S by {@link reciprocal} and a product,
 * 28 rounds). With K = 2 classes it is [sigmoid(a - b), 1 - sigmoid(a - b)] (no max).
 * log-softmax: (x - max) - ln S, with {@link log} on [1, K].
 *
 * Domain: row ranges max - min < 2^(54-2f) (2^22 for f = 16). Error: each output within
 * 6 ulp (2^-f) (measured at f = 16: 3 ulp). Rounds (rep3) for K = 10: 73 (tournament), 46 (pairwise).
 */
import { normalizeAxis } from '../../../tensor/index.js';
import type { Protocol, Share } from '../../protocol.js';
import { fixedWord, fracBits, mulTruncMany, type FixedOptions } from './common.js';
import { divideBounded, divideBoundedRounds } from './divide-bounded.js';
import { expNonPositive } from './exp.js';
import { log } from './log.js';
import { reciprocal } from './reciprocal.js';
import { PAIRWISE_MAX_LIMIT, rowMax } from './row-max.js';
import { maxArgmax } from '../max.js';
import { sigmoid } from './sigmoid.js';

/** Options of {@link softmax} and {@link logSoftmax}. */
export interface SoftmaxOptions extends FixedOptions {
  /** Only the last axis (-1) is supported. */
  axis?: number;
  /**
   * How to find the row maximum: 'tournament' (default; the engine's max, fewest comparisons, 10
   * rounds per halving) or 'pairwise' ({@link rowMax}: all pairs at once, 13 rounds for K = 10 but
   * K(K-1)/2 comparisons; better when rounds are expensive, e.g. across a WAN or between
   * processes), or 'auto': pairwise while rows x K^2 stays within {@link AUTO_PAIRWISE_ELEMENTS}.
   */
  max?: 'tournament' | 'pairwise' | 'auto';
}

/**
 * 'auto' compares all pairs while rows x K^2 is at most this (at most 32,768 comparisons: about
 * 1.5 MB per party on rep3, against the 27 rounds it saves for K = 10; over libp2p between
 * processes a round costs 0.25 to 1 ms, moving 1.5 MB about 5 ms), else runs the tournament.
 */
export const AUTO_PAIRWISE_ELEMENTS = 1 << 16;

/** Whether {@link divideBounded} serves a denominator in [1, K] (up to 50 classes at f = 16). */
function boundedDivides(k: number, f: number): boolean {
  try {
    divideBoundedRounds(1, k, { fractionalBits: f });
    return true;
  } catch (err) {
    if (err instanceof RangeError) return false;
    throw err;
  }
}

async function maxOf<S extends Share>(p: Protocol<S>, x: S, how: SoftmaxOptions['max']): Promise<S> {
  const k = x.shape[x.shape.length - 1]!;
  const elements = x.shape.reduce((a, b) => a * b, 1) * k;
  const pairwise =
    how === 'pairwise' || (how === 'auto' && k <= PAIRWISE_MAX_LIMIT && elements <= AUTO_PAIRWISE_ELEMENTS);
  if (pairwise) return rowMax(p, x);
  return (await maxArgmax(p, x, -1, { keepDims: true })).max;
}

function lastAxis(x: Share, axis: number | undefined): number {
  const ax = normalizeAxis(axis ?? -1, x.shape.length);
  if (ax !== x.shape.length - 1)
    throw new RangeError(`softmax is supported along the last axis only (got axis ${axis})`);
  return x.shape[ax]!;
}

/**
 * softmax along the last axis.
 * @example const probs = await softmax(protocol, logits);
 */
export async function softmax<S extends Share>(
  p: Protocol<S>,
  x: S,
  options: SoftmaxOptions = {},
): Promise<S> {
  const f = fracBits(options);
  const k = lastAxis(x, options.axis);
  if (k === 1) return p.addPublic(p.mulPublic(x, 0n), fixedWord(1, f));
  const rank = x.shape.length;
  if (k === 2) {
    const a = p.slice(x, rank - 1, 0, 1);
    const b = p.slice(x, rank - 1, 1, 2);
    const s = await sigmoid(p, p.sub(a, b), { fractionalBits: f });
    return p.concat([s, p.addPublic(p.neg(s), fixedWord(1, f))], rank - 1);
  }
  const max = await maxOf(p, x, options.max);
  const e = await expNonPositive(p, p.sub(x, max), { fractionalBits: f });
  const sum = p.sum(e, rank - 1, true);
  if (boundedDivides(k, f)) return divideBounded(p, e, sum, 1, k, { fractionalBits: f });
  // more classes: 1/S from its bits (26 rounds, any K), then the products
  const r = await reciprocal(p, sum, { fractionalBits: f, maxLog2: Math.ceil(Math.log2(k + 1)) });
  const [out] = await mulTruncMany(p, [[e, p.broadcastTo(r, x.shape)]], f);
  return out!;
}

/** log(softmax(x)) along the last axis: (x - max) - ln(sum e^(x - max)). */
export async function logSoftmax<S extends Share>(
  p: Protocol<S>,
  x: S,
  options: SoftmaxOptions = {},
): Promise<S> {
  const f = fracBits(options);
  const k = lastAxis(x, options.axis);
  const rank = x.shape.length;
  const d = p.sub(x, await maxOf(p, x, options.max));
  const e = await expNonPositive(p, d, { fractionalBits: f });
  const l = await log(p, p.sum(e, rank - 1, true), {
    fractionalBits: f,
    maxLog2: Math.ceil(Math.log2(k + 1)),
  });
  return p.sub(d, l);
}
