/**
 * The shape of a disclosure rule (one per op, in rules.ts) and the helpers every rule shares.
 */
import type { Params, ProgramNode } from '../program/types.js';
import type { Dim, ValueType } from '../program/value-type.js';
import { dataDisclosure, type Dependence, type Disclosure } from './types.js';

/** Public facts about one program input. */
export interface SourceFacts {
  /** Its row count (undefined while unbound). */
  readonly rows: Dim;
  /** Its widest column range, hi - lo (the unit of sensitivities; 1 when not given). */
  readonly width: number;
  /**
   * Whether the requester may have chosen its rows (it owns the input, or the analysis was not
   * told who owns it): rows it can craft to steer a fit over other inputs' rows.
   */
  readonly steerable: boolean;
}

/** What a rule is given. */
export interface RuleCall {
  /** The node (its id and op name go into reasons). */
  readonly node: ProgramNode;
  /** The node's params (validated). */
  readonly params: Params;
  /** What each argument discloses. */
  readonly args: readonly Disclosure[];
  /** Each argument's type. */
  readonly argTypes: readonly ValueType[];
  /** The node's type. */
  readonly type: ValueType;
  /** Facts per source input. */
  readonly sources: ReadonlyMap<string, SourceFacts>;
  /** Distinct edge lists of every histogram in the program, by `source/column`. */
  readonly histogramEdges: ReadonlyMap<string, ReadonlySet<string>>;
}

/** One op's rule: what its result discloses, from what its arguments disclose. */
export type DisclosureRule = (call: RuleCall) => Disclosure;

/** A row-level dependence whose reason names the node. */
export function rowLevel(call: RuleCall, why: string): Dependence {
  return { kind: 'row-level', reason: `node "${call.node.id}" (${call.node.op}): ${why}` };
}

/** Every source of the arguments, in order of first appearance. */
function sourcesOf(args: readonly Disclosure[]): string[] {
  return [...new Set(args.flatMap((a) => [...a.deps.keys()]))];
}

/** Whether any argument's dependence on `source` is already row-level (then it stays so). */
function inheritedRowLevel(args: readonly Disclosure[], source: string): Dependence | undefined {
  return args.map((a) => a.deps.get(source)).find((d) => d?.kind === 'row-level');
}

/**
 * Builds a disclosure by deciding each source in turn; a source that is row-level in any argument
 * stays row-level with the first reason.
 */
export function perSource(args: readonly Disclosure[], decide: (source: string) => Dependence): Disclosure {
  const deps = new Map<string, Dependence>();
  for (const s of sourcesOf(args)) deps.set(s, inheritedRowLevel(args, s) ?? decide(s));
  return dataDisclosure(deps);
}

/** Whether a value has a `rows` (row-aligned) or row-level dependence on any source. */
export function hasRowData(d: Disclosure): boolean {
  for (const dep of d.deps.values()) if (dep.kind !== 'aggregate') return true;
  return false;
}

/** The largest magnitude a value can take as a factor: its public bound, or Infinity for data. */
export function factorBound(d: Disclosure): number {
  return d.deps.size === 0 ? d.bound : Infinity;
}
