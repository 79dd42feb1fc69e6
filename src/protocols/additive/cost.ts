/**
 * Declared communication of every `additive` primitive, per party: what the conformance suite and
 * the benchmark compare with the measured counts. N compute parties, m result words, 8 bytes a word.
 * Rounds are the rounds a primitive uses, counted on every session party alike (compute party,
 * dealer or neither); bytes are what this party sends.
 *
 * Every interactive primitive is a sequence of openings (wire.ts). An opening of W words costs
 * - all-to-all (N <= 3 by default): 1 round, open(W) = 8W(N-1) bytes per compute party;
 * - through kings (N > 3 by default): 2 rounds, open(W) = 8(W + c_i(N-2)) bytes on the i-th
 *   compute party, c_i = ⌊W/N⌋ + (1 if i < W mod N) the words of the chunk it is king of: W - c_i
 *   words to the other kings, then its opened chunk to the N-1 others. The same on every call
 *   (the chunks do not rotate), so each party's declared cost is exact.
 * r = 1 all-to-all, 2 through kings.
 *
 * | primitive | rounds | compute party sends | dealer sends |
 * |---|---|---|---|
 * | input, owner computes | 0 | 0 | 0 |
 * | input, other owner | 1 | 0 (the owner: 8m, to the last compute party) | 0, unless it is the owner |
 * | reveal to R (R not empty; any other party receiving: 0) | 1 | 8m·|R \ {self}| | 0 |
 * | mul, andB | r | open(2m) | 8m |
 * | matmul A·B | r | open(|A| + |B|) | 8m |
 * | truncate, pairs (exact) | r | open(m) | 16m |
 * | truncate, local (N = 2, probabilistic) | 0 | 0 | 0 |
 * | mulTrunc / matmulTrunc, pairs | 2r | product + open(m) | 24m |
 * | mulTrunc / matmulTrunc, local | r | as mul / matmul | 8m |
 * | a2b | (L + 7)r | Σ_levels open(2·g_l·m) + open(2m) + 5·open(4m) + open(2m) | 8m(N+10) |
 * | a2bSummands | Lr | Σ_levels open(2·g_l·m) | 8m(N-2) |
 * | bitToA | r | open(⌈m/64⌉) | 8(m + ⌈m/64⌉) |
 * L = carry-save levels to reduce N summands to 2 (0 for N = 2, 1 for 3, 3 for 5), g_l the 3:2
 * compressors of level l (Σ g_l = N - 2); all-to-all, the a2b row sums to 16(N-1)·m(N+10).
 */
import { ProtocolUsageError, type Cost, type CostExtra, type CostedPrimitive } from '../protocol.js';
import { ADDER_AND_WORDS, ADDER_ROUNDS } from '../ops/adder.js';
import { csaCount, csaGroups } from './adder.js';
import { packedWords } from './correlations.js';
import type { TruncationMode } from './truncation.js';
import { kingChunk } from './wire.js';

/** Who the cost is for. */
export interface CostParty {
  /** This party's session index. */
  self: number;
  /** Compute parties, in order. */
  parties: readonly number[];
  /** The dealer's session index. */
  dealer: number;
  /** How truncation runs. */
  truncation: TruncationMode;
  /** True when openings go through kings (default false: all-to-all). */
  kings?: boolean;
}

const none: Cost = { rounds: 0, bytesSent: 0 };

/**
 * AND words per element of each opening of the Kogge-Stone adder (ops/adder.ts): G, then five levels
 * of G and P, then G alone.
 */
const ADDER_LEVEL_WORDS = [1, 2, 2, 2, 2, 2, 1];
if (
  ADDER_LEVEL_WORDS.length !== ADDER_ROUNDS ||
  ADDER_LEVEL_WORDS.reduce((a, b) => a + b) !== ADDER_AND_WORDS
)
  throw new Error('additive cost: the adder levels disagree with ops/adder.ts');

/**
 * CostExtra plus the operand sizes a Beaver matmul's traffic depends on (the masked operands are
 * what is sent). Without them a matmul is assumed square: [√m, k]·[k, √m].
 */
export interface AdditiveCostExtra extends CostExtra {
  /** Element counts of the two operands of a matmul / matmulTrunc. */
  operands?: readonly [number, number];
}

/** Bytes compute party `who` sends in one opening of `w` words (see the module comment). */
export function openingBytes(who: CostParty, w: number): number {
  const N = who.parties.length;
  if (who.kings !== true) return 8 * w * (N - 1);
  const [lo, hi] = kingChunk(w, N, who.parties.indexOf(who.self));
  return 8 * (w + (hi - lo) * (N - 2));
}

/** The cost of `primitive` on party `who` for `m` result words; see the module table. */
export function additiveCost(
  who: CostParty,
  primitive: CostedPrimitive | 'a2bSummands',
  m: number,
  extra: AdditiveCostExtra = {},
): Cost {
  const computes = who.parties.includes(who.self);
  const isDealer = who.self === who.dealer;
  const perOpening = who.kings === true ? 2 : 1;
  /** Openings of these word counts with one dealer message: every party counts their rounds. */
  const dealt = (openings: readonly number[], dealerBytes: number): Cost => ({
    rounds: openings.length * perOpening,
    bytesSent: computes ? openings.reduce((a, w) => a + openingBytes(who, w), 0) : isDealer ? dealerBytes : 0,
  });
  const matmulOperands = (): number => {
    if (extra.operands !== undefined) return extra.operands[0] + extra.operands[1];
    const k = extra.k;
    if (k === undefined) throw new ProtocolUsageError('cost(matmul): give the operand sizes or k');
    return 2 * k * Math.sqrt(m); // a square result [√m, k]·[k, √m] by default
  };
  const csa = csaGroups(who.parties.length).map((g) => 2 * g * m);
  const pairs = who.truncation === 'pair';
  switch (primitive) {
    case 'input': {
      const owner = extra.owner;
      if (owner === undefined || who.parties.includes(owner)) return none;
      return { rounds: 1, bytesSent: who.self === owner ? 8 * m : 0 };
    }
    case 'reveal': {
      const recipients = extra.recipients;
      if (recipients === undefined) throw new ProtocolUsageError('cost(reveal): give the recipients');
      if (recipients.length === 0) return none;
      const bytes = computes ? 8 * m * recipients.filter((r) => r !== who.self).length : 0;
      return { rounds: 1, bytesSent: bytes };
    }
    case 'mul':
    case 'andB':
      return dealt([2 * m], 8 * m);
    case 'matmul':
      return dealt([matmulOperands()], 8 * m);
    case 'truncate':
      return pairs ? dealt([m], 16 * m) : none;
    case 'mulTrunc':
      return pairs ? dealt([2 * m, m], 24 * m) : dealt([2 * m], 8 * m);
    case 'matmulTrunc':
      return pairs ? dealt([matmulOperands(), m], 24 * m) : dealt([matmulOperands()], 8 * m);
    case 'a2b':
      return dealt(
        [...csa, ...ADDER_LEVEL_WORDS.map((w) => 2 * w * m)],
        8 * m * (csaCount(who.parties.length) + ADDER_AND_WORDS),
      );
    case 'a2bSummands':
      return dealt(csa, 8 * m * csaCount(who.parties.length));
    case 'bitToA':
      return dealt([packedWords(m)], 8 * (m + packedWords(m)));
  }
}
