/**
 * The carry out of K bits of a + b on bit planes (rep3 B shares, W words a plane), with few AND
 * gates: the bounded comparison's circuit (bounded.ts).
 *
 * The K positions are cut into groups of at most s bits (the lowest group first and full). Inside
 * every group, in parallel, a ripple-carry chain with carry-in 0: c_1 = a_0 & b_0, then
 * c_(i+1) = maj(a_i, b_i, c_i) = c_i ^ ((a_i ^ c_i) & (b_i ^ c_i)), one AND per bit and round; the
 * group generate G is the chain's last carry. Groups above the lowest also need their propagate
 * P = p_lo & ... & p_hi (p_i = a_i ^ b_i), a chain of ANDs run in the same rounds. Then a
 * single-output tree over the m groups: (G, P) = (G_hi ^ (P_hi & G_lo), P_hi & P_lo), no P for
 * the lowest node; the root's G is the carry out of the K bits.
 *
 * AND planes: 2K - s + m - 1 - ceil(log2 m) (K for the G chains, K - s - (m - 1) for the P chains,
 * 2(m - 1) - ceil(log2 m) for the tree), rounds s + ceil(log2 m); a log-depth tree on every bit
 * (s = 1) needs about 3K planes. s is chosen by {@link groupSize}: for K = 48, 99 planes in 8
 * rounds instead of 136 in 7.
 * Every round is one `andWords` exchange (bool.ts): 8 W bytes per AND plane on each party.
 */
import { kernel } from '../../tensor/index.js';
import { andWords, type WordPair } from './bool.js';
import type { Rep3Context } from './context.js';

/** Group sizes (lowest first) and the AND planes of each round of {@link carryOut}. */
export interface CarryPlan {
  /** Bits per group, lowest first. */
  groups: number[];
  /** AND planes (W words each) of every round, in order. */
  rounds: number[];
}

/**
 * Largest group for K bits: the s (at most 8) with the fewest AND planes among those whose
 * rounds exceed a log-depth tree's (s = 1) by at most one. For K = 48: s = 4, 99 AND planes in
 * 8 rounds (the tree: 136 in 7).
 */
export function groupSize(K: number): number {
  const limit = plan(K, 1).rounds.length + 1;
  let best = 1;
  let bestAnds = Infinity;
  for (let s = 1; s <= Math.min(8, K); s++) {
    const p = plan(K, s);
    const ands = p.rounds.reduce((a, b) => a + b, 0);
    if (p.rounds.length <= limit && ands < bestAnds) [best, bestAnds] = [s, ands];
  }
  return best;
}

/** The plan of {@link carryOut} for K bits (K >= 1). */
export function carryPlan(K: number): CarryPlan {
  return plan(K, groupSize(K));
}

function plan(K: number, s: number): CarryPlan {
  const groups: number[] = [];
  for (let left = K; left > 0; left -= s) groups.push(Math.min(s, left));
  const rounds: number[] = [];
  for (let t = 1; t <= groups[0]!; t++) {
    let planes = 0;
    groups.forEach((size, g) => {
      if (size >= t) planes++; // G chain
      if (g > 0 && t <= size - 1) planes++; // P chain
    });
    rounds.push(planes);
  }
  for (let m = groups.length; m > 1; m = Math.ceil(m / 2)) {
    const pairs = Math.floor(m / 2);
    rounds.push(pairs + (pairs - 1)); // G of every pair, P of all but the lowest
  }
  return { groups, rounds };
}

function xor(x: WordPair, y: WordPair): WordPair {
  const k = kernel();
  const out: WordPair = [k.alloc(x[0].length), k.alloc(x[0].length)];
  k.xor(x[0], y[0], out[0]);
  k.xor(x[1], y[1], out[1]);
  return out;
}

/**
 * The carry out of bits [0, K) of a + b as a B share of one plane (compute parties only). `a`,
 * `b`: K planes each (bit i of every element), as this party's share words. Uses exactly the
 * rounds of {@link carryPlan}.
 */
export async function carryOut(
  ctx: Rep3Context,
  a: readonly WordPair[],
  b: readonly WordPair[],
  W: number,
): Promise<WordPair> {
  const K = a.length;
  const { groups } = carryPlan(K);
  const s = groups[0]!;
  const t = kernel().alloc(W);
  const p = a.map((ai, i) => xor(ai, b[i]!));
  const lows = groups.map((_, g) => g * s);
  const carry: WordPair[] = [];
  const prop: WordPair[] = groups.map((_, g) => p[lows[g]!]!);
  for (let r = 1; r <= s; r++) {
    const pairs: [WordPair, WordPair][] = [];
    const wantG: number[] = [];
    const wantP: number[] = [];
    groups.forEach((size, g) => {
      const i = lows[g]! + r - 1;
      if (size >= r) {
        wantG.push(g);
        if (r === 1) pairs.push([a[i]!, b[i]!]);
        else pairs.push([xor(a[i]!, carry[g]!), xor(b[i]!, carry[g]!)]);
      }
      if (g > 0 && r <= size - 1) {
        wantP.push(g);
        pairs.push([prop[g]!, p[i + 1]!]);
      }
    });
    const [mine, theirs] = await andWords(ctx, pairs, t);
    let at = 0;
    const next = (): WordPair => {
      const out: WordPair = [mine.subarray(at, at + W), theirs.subarray(at, at + W)];
      at += W;
      return out;
    };
    groups.forEach((size, g) => {
      if (size >= r) carry[g] = r === 1 ? next() : xor(carry[g]!, next());
      if (g > 0 && r <= size - 1) prop[g] = next();
    });
  }
  let nodes = groups.map((_, g) => ({ G: carry[g]!, P: prop[g]! }));
  while (nodes.length > 1) {
    const pairs: [WordPair, WordPair][] = [];
    const half = Math.floor(nodes.length / 2);
    for (let j = 0; j < half; j++) pairs.push([nodes[2 * j + 1]!.P, nodes[2 * j]!.G]);
    for (let j = 1; j < half; j++) pairs.push([nodes[2 * j + 1]!.P, nodes[2 * j]!.P]);
    const [mine, theirs] = await andWords(ctx, pairs, t);
    const part = (q: number): WordPair => [
      mine.subarray(q * W, (q + 1) * W),
      theirs.subarray(q * W, (q + 1) * W),
    ];
    const up = Array.from({ length: half }, (_, j) => ({
      G: xor(nodes[2 * j + 1]!.G, part(j)),
      P: j === 0 ? nodes[0]!.P : part(half + j - 1),
    }));
    if (nodes.length % 2 === 1) up.push(nodes[nodes.length - 1]!);
    nodes = up;
  }
  return nodes[0]!.G;
}
