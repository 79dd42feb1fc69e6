/**
 * The definition of one op of the catalogue: its name, arity, params and type rule. The MPC
 * implementation of each op lives apart (src/jobs/executor/), so that checking a program never
 * needs the engine.
 */
import type { Params } from './types.js';
import type { ValueType } from './value-type.js';

/** What kind of op this is (policies and the CLI group ops by it). */
export type OpCategory = 'relational' | 'statistic' | 'engine' | 'ml';

/** One op of the catalogue. */
export interface OpDef {
  /** The op's name in programs. */
  readonly name: string;
  /** One line for `peermpc job ops` and error messages. */
  readonly summary: string;
  /** Group. */
  readonly category: OpCategory;
  /** Fewest and most arguments. */
  readonly arity: { readonly min: number; readonly max: number };
  /** Param names the op accepts (anything else is an error). */
  readonly params: readonly string[];
  /**
   * The recipient finishes the released values (tests, intervals: src/jobs/executor/finalize.ts),
   * so the shares hold only part of the declared result: it can be an output, never an argument.
   */
  readonly finishedByRecipient?: boolean;
  /**
   * The output type for the given argument types and params.
   * @throws OpTypeError describing the problem (validation adds the node id).
   */
  infer(args: readonly ValueType[], params: Params): ValueType;
}

/** Identity helper that types an op definition. */
export function defineOp(def: OpDef): OpDef {
  return def;
}
