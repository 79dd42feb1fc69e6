/**
 * What a value of a program discloses about the rows of each program input (its "sources"): the
 * facts the disclosure analysis derives node by node (rules.ts) and the policies judge (policy/check.ts).
 *
 * For each source a value depends on, one of three:
 * - `rows`: one axis of the value runs over the source's rows, and each slice along it is the same
 *   affine function of its own row (plus terms that do not single out a row). Released as it is,
 *   this is row-level; summed along that axis it becomes an aggregate.
 * - `aggregate`: every element is a symmetric function of all the source's rows (or, for a
 *   suppressed histogram, of at least `rows` rows in its cell), with a bound on how far it moves
 *   when one row changes.
 * - `row-level`: an element may depend on single rows, arbitrarily strongly; `reason` says where.
 *
 * Sensitivities are in the units of the columns' ranges: the analysis takes each source's widest
 * column range (`hi - lo`, default 1) and bounds how much a value moves when one row of the source
 * changes anywhere within those ranges. Infinity means no bound is claimed.
 */
import type { Dim } from '../program/value-type.js';

/** Row-aligned: axis `axis` runs over the source's rows. */
export interface RowsDependence {
  /** Kind. */
  readonly kind: 'rows';
  /** The value's axis that runs over the source's rows. */
  readonly axis: number;
  /** The source's row count. */
  readonly rows: Dim;
  /** Most an element of the changed row's slice moves when one row changes. */
  readonly own: number;
  /** Most an element of any other slice moves (aggregates of the source mixed into every row). */
  readonly all: number;
}

/** A symmetric function of many rows. */
export interface AggregateDependence {
  /** Kind. */
  readonly kind: 'aggregate';
  /** The fewest rows of the source behind any element. */
  readonly rows: Dim;
  /** Most an element moves when one row of the source changes (Infinity: no bound claimed). */
  readonly sensitivity: number;
}

/** Row-level: an element may depend on single rows. */
export interface RowLevelDependence {
  /** Kind. */
  readonly kind: 'row-level';
  /** Why, naming the node and the rule (ids and op names only, never a value). */
  readonly reason: string;
}

/** How a value depends on one source. */
export type Dependence = RowsDependence | AggregateDependence | RowLevelDependence;

/** What one value discloses. */
export interface Disclosure {
  /** Per source input the value depends on. */
  readonly deps: ReadonlyMap<string, Dependence>;
  /**
   * For a value that depends on no input (a public constant or a function of constants): a bound
   * on the magnitude of its elements, and the axes along which it is constant. Infinity and none
   * for values that depend on data.
   */
  readonly bound: number;
  /** Axes along which a public value is the same in every slice. */
  readonly constAxes: ReadonlySet<number>;
}

/** The analysis of one released output. */
export interface OutputDisclosure {
  /** Output name. */
  readonly name: string;
  /** The node (or input) revealed. */
  readonly node: string;
  /** Per source input. */
  readonly deps: ReadonlyMap<string, Dependence>;
}

/**
 * The fewest rows of a source behind every released element, as a policy's `minRows` reads it:
 * 1 for `rows` (released row by row) and `row-level`, the aggregate's count otherwise.
 */
export function rowsBehind(dep: Dependence): number | undefined {
  return dep.kind === 'aggregate' ? dep.rows : 1;
}

/** Why a dependence is row-level, or undefined for an aggregate. */
export function rowLevelReason(dep: Dependence): string | undefined {
  if (dep.kind === 'row-level') return dep.reason;
  if (dep.kind === 'rows') return 'it releases values row by row';
  return undefined;
}

/** A value that depends on no input. */
export function publicDisclosure(bound: number, constAxes: Iterable<number> = []): Disclosure {
  return { deps: new Map(), bound, constAxes: new Set(constAxes) };
}

/** A value with the given dependences (data-dependent: no public bound). */
export function dataDisclosure(deps: ReadonlyMap<string, Dependence>): Disclosure {
  return deps.size === 0 ? publicDisclosure(Infinity) : { deps, bound: Infinity, constAxes: new Set() };
}

/** `a * b` for bounds, where 0 times anything (even Infinity) is 0. */
export function mulBound(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : a * b;
}
