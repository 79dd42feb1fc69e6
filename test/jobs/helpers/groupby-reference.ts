/**
 * The float64 reference of `groupBy` for the tests: membership of a code in [l - 1/2, l + 1/2),
 * counts, sums and means per level, and the suppression rule with `minCount` k (a group is kept
 * when every input has at least k rows in it; nothing is kept when an input has between 1 and
 * k - 1 rows outside the kept groups; a mean without minCount drops empty groups).
 */
import { ProgramBuilder } from '../../../src/jobs/program/builder.js';
import type { Params, Program } from '../../../src/jobs/program/types.js';

/** The columns of every test table: codes, then three value columns. */
export const COLS = ['region', 'a', 'b', 'c'];

/** A program over the union of inputs `union` (indices; repeats allowed) with one output per case. */
export function program(
  union: number[],
  cases: Record<string, Params>,
  extra?: (b: ProgramBuilder, t: ReturnType<ProgramBuilder['input']>) => void,
): Program {
  const b = new ProgramBuilder();
  const ids = [...new Set(union)].sort();
  const refs = new Map(ids.map((i) => [i, b.input(`h${i + 1}`, COLS)]));
  const all = union.length === 1 ? refs.get(union[0]!)! : b.union(...union.map((i) => refs.get(i)!));
  for (const [name, params] of Object.entries(cases)) b.output(name, b.node('groupBy', [all], params));
  extra?.(b, all);
  return b.build();
}

/** What the reference computes for one groupBy node. */
export interface GroupByCase {
  /** Column index of the codes in each row. */
  by: number;
  /** Levels. */
  levels: number[];
  /** Column indices summed or averaged. */
  columns: number[];
  /** Aggregate. */
  agg: 'count' | 'sum' | 'mean';
  /** Suppression threshold (0: none). */
  minCount: number;
}

/** The reference result: values (null where suppressed) and each group's count. */
export interface GroupByReference {
  values: (number | null)[];
  counts: number[];
}

/** The level index of a code, or -1. */
export function levelOf(code: number, levels: readonly number[]): number {
  return levels.findIndex((l) => code >= l - 0.5 && code < l + 0.5);
}

/** Per input of `union` (input indices of the stacked segments; a repeated input adds up). */
function perSource(tables: number[][][], union: number[], c: GroupByCase) {
  const per = new Map<number, { counts: number[]; rows: number }>();
  for (const s of union) {
    const entry = per.get(s) ?? { counts: c.levels.map(() => 0), rows: 0 };
    per.set(s, entry);
    for (const r of tables[s]!) {
      const g = levelOf(r[c.by]!, c.levels);
      if (g >= 0) entry.counts[g]!++;
    }
    entry.rows += tables[s]!.length;
  }
  return [...per.values()];
}

/** Which groups the MPC releases. */
function kept(tables: number[][][], union: number[], c: GroupByCase, counts: number[]): boolean[] {
  const k = c.minCount;
  if (k === 0) return counts.map((n) => c.agg !== 'mean' || n > 0);
  const sources = perSource(tables, union, c);
  const keep = c.levels.map((_, g) => sources.every((s) => s.counts[g]! >= k));
  const isolates = sources.some((s) => {
    const left = s.rows - s.counts.reduce((t, n, g) => t + (keep[g] ? n : 0), 0);
    return left > 0 && left < k;
  });
  return keep.map((x) => x && !isolates);
}

/** The reference of one groupBy over the union of `tables` (row-major flat result). */
export function groupByReference(tables: number[][][], union: number[], c: GroupByCase): GroupByReference {
  const rows = union.flatMap((s) => tables[s]!);
  const counts = c.levels.map(() => 0);
  const sums = c.levels.map(() => c.columns.map(() => 0));
  for (const r of rows) {
    const g = levelOf(r[c.by]!, c.levels);
    if (g < 0) continue;
    counts[g]!++;
    c.columns.forEach((j, i) => (sums[g]![i]! += r[j]!));
  }
  const keep = kept(tables, union, c, counts);
  const values = c.levels.flatMap((_, g) => {
    if (c.agg === 'count') return [keep[g] ? counts[g]! : null];
    return sums[g]!.map((s) => (!keep[g] ? null : c.agg === 'sum' ? s : s / counts[g]!));
  });
  return { values, counts };
}
