/**
 * The MPC implementation of an op: given the shares of its arguments (and their static types), it
 * returns the share of its result. Every party calls it in the same order (SPMD); parties that hold
 * no shares get shares without local data and follow along.
 */
import type { Share } from '../../protocols/protocol.js';
import type { Params, ProgramNode } from '../program/types.js';
import type { ValueType } from '../program/value-type.js';
import type { ExecContext } from './context.js';

/** What an op implementation receives. */
export interface OpCall {
  /** The context. */
  ctx: ExecContext;
  /** Argument shares, in order. */
  args: Share[];
  /** Argument types (columns, labels). */
  argTypes: ValueType[];
  /** The node's params (validated). */
  params: Params;
  /** The node. */
  node: ProgramNode;
  /** The result type (validated). */
  type: ValueType;
}

/** Implementation of one op. */
export type OpImpl = (call: OpCall) => Promise<Share>;

/** Column indices of `names` in a table type. */
export function columnIndices(t: ValueType, names: readonly string[]): number[] {
  return names.map((n) => t.columns!.indexOf(n));
}
