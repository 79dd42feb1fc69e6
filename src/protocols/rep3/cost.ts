/**
 * rep3 costs per party: rounds (steps, the same on every party of the session) and the payload
 * bytes this party sends, for n elements (see the step descriptions in arith.ts, bool.ts, io.ts).
 *
 * | primitive            | rounds | bytes sent by role 0 | role 1 | role 2 |
 * |----------------------|--------|----------------------|--------|--------|
 * | mul, matmul, andB    | 1      | 8n                   | 8n     | 8n     |
 * | truncate             | 1      | 40n                  | 8n     | 8n     |
 * | mulTrunc, matmulTrunc| 2      | 40n                  | 16n    | 16n    |
 * | a2b                  | 8      | 104n                 | 104n   | 104n   |
 * | bitToA               | 1      | 32n                  | 8n     | 8n     |
 * input: 1 round; a compute owner sends 16n, another owner 16n + 64, others 0. reveal: 1 round;
 * each role sends 8n to each non-compute recipient and to its previous role if that is a recipient.
 * Parties that are not compute parties send nothing (except as input owners).
 */
import { ADDER_AND_WORDS, ADDER_ROUNDS } from '../ops/adder.js';
import type { Cost, CostedPrimitive, CostExtra } from '../protocol.js';
import type { Rep3Context } from './context.js';

/** Words per element sent by a2b: the carry-save reshare plus the adder's ANDs. */
export const A2B_WORDS = 1 + ADDER_AND_WORDS;

/** The cost of `primitive` on n elements for this party. */
export function rep3Cost(ctx: Rep3Context, primitive: CostedPrimitive, n: number, extra: CostExtra): Cost {
  const c = ctx.compute;
  const w = 8 * n;
  switch (primitive) {
    case 'mul':
    case 'matmul':
    case 'andB':
      return { rounds: 1, bytesSent: c ? w : 0 };
    case 'truncate': // exact (trunc.ts): T_0 and the wrap OT
      return { rounds: 1, bytesSent: !c ? 0 : ctx.role === 0 ? 5 * w : w };
    case 'mulTrunc':
    case 'matmulTrunc':
      return { rounds: 2, bytesSent: !c ? 0 : ctx.role === 0 ? 5 * w : 2 * w };
    case 'a2b':
      return { rounds: 1 + ADDER_ROUNDS, bytesSent: c ? A2B_WORDS * w : 0 };
    case 'bitToA':
      return { rounds: 1, bytesSent: !c ? 0 : ctx.role === 0 ? 4 * w : w };
    case 'input': {
      const owner = extra.owner ?? -1;
      if (ctx.session.self !== owner) return { rounds: 1, bytesSent: 0 };
      return { rounds: 1, bytesSent: c ? 2 * w : 2 * w + 64 };
    }
    case 'reveal': {
      if (!c) return { rounds: 1, bytesSent: 0 };
      const to = [...new Set(extra.recipients ?? [])];
      const msgs = to.filter((t) => t === ctx.prev || !ctx.parties.includes(t)).length;
      return { rounds: 1, bytesSent: msgs * w };
    }
  }
}
