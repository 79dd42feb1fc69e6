/**
 * rep3 costs per party: rounds (steps, the same on every party of the session) and the payload
 * bytes this party sends, for n elements (see the step descriptions in arith.ts, bool.ts, io.ts).
 *
 * | primitive            | rounds | bytes sent by role 0 | role 1 | role 2 |
 * |----------------------|--------|----------------------|--------|--------|
 * | mul, matmul, andB    | 1      | 8n                   | 8n     | 8n     |
 * | truncate             | 1      | 8n + 4Ln             | Ln     | Ln     |
 * | mulTrunc, matmulTrunc| 2      | 8n + 4Ln             | 8n + Ln| 8n + Ln|
 * | a2b                  | 8      | 104n                 | 104n   | 104n   |
 * | bitToA               | 1      | 32n                  | 8n     | 8n     |
 * input: 1 round; a compute owner sends 16n, another owner 16n + 64, others 0. reveal: 1 round;
 * each role sends 8n to each non-compute recipient and to its previous role if that is a recipient.
 * Parties that are not compute parties send nothing (except as input owners). L is the lane of the
 * truncation's wrap OT (lanes.ts): the narrowest of 1, 2, 4, 8 bytes with 8L >= the bits dropped
 * (2 for f = 16: truncate 16n / 2n / 2n, mulTrunc 16n / 10n / 10n).
 */
import { ADDER_AND_WORDS, ADDER_ROUNDS } from '../ops/adder.js';
import { laneFor } from '../lanes.js';
import { DEFAULT_COST_BITS, type Cost, type CostedPrimitive, type CostExtra } from '../protocol.js';
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
    case 'truncate': // exact (trunc.ts): T_0 and the wrap OT in lanes
    case 'mulTrunc':
    case 'matmulTrunc': {
      const fused = primitive !== 'truncate';
      const lanes = laneFor(extra.bits ?? DEFAULT_COST_BITS) * n;
      const step1 = fused && ctx.role !== 0 ? w : 0; // role 2: z_2 to role 0; role 1: T_1 to role 2
      return { rounds: fused ? 2 : 1, bytesSent: !c ? 0 : step1 + (ctx.role === 0 ? w + 4 * lanes : lanes) };
    }
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
