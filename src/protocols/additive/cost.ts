/**
 * Declared communication of every `additive` primitive, per party: what the conformance suite and
 * the benchmark compare with the measured counts. N compute parties, m result words, 8 bytes a word.
 *
 * | primitive | compute party: rounds, bytes sent | dealer: rounds, bytes sent |
 * |---|---|---|
 * | input, owner computes | 0, 0 | 0, 0 |
 * | input, other owner | owner 1, 8m; last compute party 1, 0 | (as any party) |
 * | reveal to R | 1, 8m·|R \ {self}|; a recipient that does not compute: 1, 0 | 0, 0 |
 * | mul, andB | 1, 16m(N-1) | 1, 8m |
 * | matmul A·B (m result words) | 1, 8(|A| + |B|)(N-1) | 1, 8m |
 * | truncate (pair) | 1, 8m(N-1) | 1, 8m |
 * | truncate (local, N = 2) | 0, 0 | 0, 0 |
 * | mulTrunc / matmulTrunc (pair) | mul or matmul + 1 round, + 8m(N-1) | 1, 16m |
 * | mulTrunc / matmulTrunc (local) | as mul / matmul | as mul / matmul |
 * | a2b | L + 7, 16(N-1)·m(N+10) | L + 7, 8m(N+10) |
 * | bitToA | 1, 8⌈m/64⌉(N-1) | 1, 8(m + ⌈m/64⌉) |
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
  primitive: CostedPrimitive,
  m: number,
  extra: AdditiveCostExtra = {},
): Cost {
  const N = who.parties.length;
  const computes = who.parties.includes(who.self);
  const isDealer = who.self === who.dealer;
  const dealt = (computeBytes: number, dealerBytes: number, rounds = 1): Cost =>
    computes ? { rounds, bytesSent: computeBytes } : isDealer ? { rounds: 1, bytesSent: dealerBytes } : none;
  const matmulOperands = (): number => {
    if (extra.operands !== undefined) return extra.operands[0] + extra.operands[1];
    const k = extra.k;
    if (k === undefined) throw new ProtocolUsageError('cost(matmul): give the inner dimension k');
    const b = extra.n ?? Math.sqrt(m); // result columns; a square result by default
    const a = m / b;
    return a * k + k * b;
  };
  switch (primitive) {
    case 'input': {
      const owner = extra.owner;
      if (owner === undefined || who.parties.includes(owner)) return none;
      if (who.self === owner) return { rounds: 1, bytesSent: 8 * m };
      return who.self === who.parties[N - 1] ? { rounds: 1, bytesSent: 0 } : none;
    }
    case 'reveal': {
      const recipients = extra.recipients;
      if (recipients === undefined) throw new ProtocolUsageError('cost(reveal): give the recipients');
      if (recipients.length === 0) return none;
      if (computes) return { rounds: 1, bytesSent: 8 * m * recipients.filter((r) => r !== who.self).length };
      return recipients.includes(who.self) ? { rounds: 1, bytesSent: 0 } : none;
    }
    case 'mul':
    case 'andB':
      return dealt(16 * m * (N - 1), 8 * m);
    case 'matmul':
      return dealt(8 * matmulOperands() * (N - 1), 8 * m);
    case 'truncate':
      return who.truncation === 'local' ? none : dealt(8 * m * (N - 1), 8 * m);
    case 'mulTrunc':
      return who.truncation === 'local' ? dealt(16 * m * (N - 1), 8 * m) : dealt(24 * m * (N - 1), 16 * m, 2);
    case 'matmulTrunc':
      return who.truncation === 'local'
        ? dealt(8 * matmulOperands() * (N - 1), 8 * m)
        : dealt(8 * (matmulOperands() + m) * (N - 1), 16 * m, 2);
    case 'a2b': {
      const rounds = csaLevels(N) + ADDER_ROUNDS;
      const ands = m * (csaCount(N) + ADDER_AND_WORDS);
      if (computes) return { rounds, bytesSent: 16 * ands * (N - 1) };
      return isDealer ? { rounds, bytesSent: 8 * ands } : none;
    }
    case 'bitToA':
      return dealt(8 * packedWords(m) * (N - 1), 8 * (m + packedWords(m)));
  }
}
