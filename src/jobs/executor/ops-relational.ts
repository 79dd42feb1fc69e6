/** MPC implementations of select, union and join: local rearrangements of shares, no communication. */
import type { Protocol, Share } from '../../protocols/protocol.js';
import { columnIndices, type OpImpl } from './op-impl.js';

/** The columns `idx` (in that order) of a share of shape [n, p]. */
export function takeColumns(p: Protocol, x: Share, idx: readonly number[]): Share {
  const parts: Share[] = [];
  let i = 0;
  while (i < idx.length) {
    // merge runs of consecutive columns into one slice
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === idx[j]! + 1) j++;
    parts.push(p.slice(x, 1, idx[i]!, idx[j]! + 1));
    i = j + 1;
  }
  return parts.length === 1 ? parts[0]! : p.concat(parts, 1);
}

const select: OpImpl = async ({ ctx, args, argTypes, type }) =>
  takeColumns(ctx.p, args[0]!, columnIndices(argTypes[0]!, type.columns!));

const union: OpImpl = async ({ ctx, args }) => ctx.p.concat(args, 0);

const join: OpImpl = async ({ ctx, args }) => ctx.p.concat(args, 1);

/** The relational implementations by op name. */
export const RELATIONAL_IMPLS: Record<string, OpImpl> = { select, union, join };
