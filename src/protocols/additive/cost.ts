/**
 * Declared communication of every `additive` primitive, per party: what the conformance suite and
 * the benchmark compare with the measured counts. N compute parties, m result words, 8 bytes a word.
 * Rounds are the steps a primitive uses, counted on every session party alike (compute party,
 * dealer or neither); bytes are what this party sends.
 *
 * | primitive | rounds | compute party sends | dealer sends |
 * |---|---|---|---|
 * | input, owner computes | 0 | 0 | 0 |
 * | input, other owner | 1 | 0 (the owner: 8m, to the last compute party) | 0, unless it is the owner |
 * | reveal to R (R not empty; any other party receiving: 0) | 1 | 8m·|R \ {self}| | 0 |
 * | mul, andB | 1 | 16m(N-1) | 8m |
 * | matmul A·B | 1 | 8(|A| + |B|)(N-1) | 8m |
 * | truncate, pairs (exact) | 1 | 8m(N-1) | 16m |
 * | truncate, local (N = 2, probabilistic) | 0 | 0 | 0 |
 * | mulTrunc / matmulTrunc, pairs | 2 | product + 8m(N-1) | 24m |
 * | mulTrunc / matmulTrunc, local | 1 | as mul / matmul | 8m |
 * | a2b | L + 7 | 16(N-1)·m(N+10) | 8m(N+10) |
 * | a2bSummands | L | 16(N-1)·m(N-2) | 8m(N-2) |
 * | bitToA | 1 | 8⌈m/64⌉(N-1) | 8(m + ⌈m/64⌉) |
 * L = carry-save levels to reduce N summands to 2 (0 for N = 2, 1 for 3, 3 for 5).
 */
import { ProtocolUsageError, type Cost, type CostExtra, type CostedPrimitive } from '../protocol.js';
import { ADDER_AND_WORDS, ADDER_ROUNDS } from '../ops/adder.js';
import { csaCount, csaLevels } from './adder.js';
import { packedWords } from './correlations.js';
import type { TruncationMode } from './truncation.js';

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
}

const none: Cost = { rounds: 0, bytesSent: 0 };

/**
 * CostExtra plus the operand sizes a Beaver matmul's traffic depends on (the masked operands are
 * what is sent). Without them a matmul is assumed square: [√m, k]·[k, √m].
 */
export interface AdditiveCostExtra extends CostExtra {
  /** Element counts of the two operands of a matmul / matmulTrunc. */
  operands?: readonly [number, number];
}

/** The cost of `primitive` on party `who` for `m` result words; see the module table. */
export function additiveCost(
  who: CostParty,
  primitive: CostedPrimitive | 'a2bSummands',
  m: number,
  extra: AdditiveCostExtra = {},
): Cost {
  const N = who.parties.length;
  const computes = who.parties.includes(who.self);
  const isDealer = who.self === who.dealer;
  /** A dealt primitive: every party counts `rounds`; compute parties and the dealer send. */
  const dealt = (rounds: number, computeBytes: number, dealerBytes: number): Cost => ({
    rounds,
    bytesSent: computes ? computeBytes : isDealer ? dealerBytes : 0,
  });
  const matmulOperands = (): number => {
    if (extra.operands !== undefined) return extra.operands[0] + extra.operands[1];
    const k = extra.k;
    if (k === undefined) throw new ProtocolUsageError('cost(matmul): give the operand sizes or k');
    return 2 * k * Math.sqrt(m); // a square result [√m, k]·[k, √m] by default
  };
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
      return dealt(1, 16 * m * (N - 1), 8 * m);
    case 'matmul':
      return dealt(1, 8 * matmulOperands() * (N - 1), 8 * m);
    case 'truncate':
      return pairs ? dealt(1, 8 * m * (N - 1), 16 * m) : none;
    case 'mulTrunc':
      return pairs ? dealt(2, 24 * m * (N - 1), 24 * m) : dealt(1, 16 * m * (N - 1), 8 * m);
    case 'matmulTrunc':
      return pairs
        ? dealt(2, 8 * (matmulOperands() + m) * (N - 1), 24 * m)
        : dealt(1, 8 * matmulOperands() * (N - 1), 8 * m);
    case 'a2b': {
      const ands = m * (csaCount(N) + ADDER_AND_WORDS);
      return dealt(csaLevels(N) + ADDER_ROUNDS, 16 * ands * (N - 1), 8 * ands);
    }
    case 'a2bSummands':
      return dealt(csaLevels(N), 16 * m * csaCount(N) * (N - 1), 8 * m * csaCount(N));
    case 'bitToA':
      return dealt(1, 8 * packedWords(m) * (N - 1), 8 * (m + packedWords(m)));
  }
}
