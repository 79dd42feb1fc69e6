/**
 * `quantile(t, {column, q, minCount?})`: quantiles (the median is q = 0.5) of one column of a
 * table, computed inside the MPC by bisection on counts (src/jobs/executor/quantile.ts).
 *
 * Definition (type 1, the inverted empirical CDF; numpy's method 'inverted_cdf'): for n rows and a
 * level q in (0, 1), the rank is r = ceil(q * n) (q * n within rounding of an integer counts as
 * that integer: see {@link quantileRank}), and the quantile is the r-th smallest value. The MPC
 * releases the smallest point g of a public grid with count(x <= g) >= r: the r-th smallest value
 * as the column is held (its scaled fixed-point value, resolution 2^-22 of the column's magnitude
 * bound 2^e), rounded up onto the grid (-2^e, 2^e] in steps of 2^(e-22) (the executor explains
 * why these are the same but for a value of exactly -2^e).
 *
 * What a requester learns: a quantile is the value of one row (not which row). Asked for q = 1/n
 * it is the smallest value of the table, and a requester who unions its own rows (all above, or
 * all below) with an owner's table can make any rank fall on that owner's smallest or largest row.
 * So without `minCount` the result is row-level; with `minCount` = k >= 1, a quantile is released
 * only when every input has at least k of its rows strictly below it and k strictly above it
 * (checked inside the MPC; otherwise it is released as suppressed: null), so it is never one of an
 * input's k smallest or k largest values (src/jobs/disclosure/rules-stats.ts, docs/JOBS.md).
 */
import { defineOp, type OpDef } from './op-def.js';
import { intParam, numberListParam, stringParam } from './params.js';
import type { Params, ProgramNode } from './types.js';
import {
  columnExps,
  OpTypeError,
  requireColumns,
  requireTable,
  segmentRows,
  tensorType,
  withUnits,
  type ValueType,
} from './value-type.js';

/** Most levels one quantile node takes. */
export const QUANTILE_MAX_LEVELS = 16;

/** The `minCount` param of a quantile (0: no suppression). */
export function quantileMinCount(params: Params): number {
  return intParam(params, 'minCount', 0, 0, 1_000_000_000);
}

/** The levels `q` of a quantile node: distinct numbers strictly between 0 and 1. */
export function quantileLevels(params: Params): number[] {
  const qs = numberListParam(params, 'q', QUANTILE_MAX_LEVELS);
  const bad = qs.find((q) => !(q > 0 && q < 1));
  if (bad !== undefined) throw new OpTypeError(`param "q": ${bad} is not strictly between 0 and 1`);
  const dup = qs.find((q, i) => qs.indexOf(q) !== i);
  if (dup !== undefined) throw new OpTypeError(`param "q" repeats ${dup}`);
  return qs;
}

/**
 * The rank ceil(q * n) of level q over n rows, where a product q * n within 2^-44 (relative) of an
 * integer j counts as j: q stands for a decimal (0.07) or a fraction (7/105) that no double holds
 * exactly, so the float product errs by a unit in the last place either way (0.07 * 100 is
 * 7.000000000000001, which numpy's 'inverted_cdf' takes to rank 8; here it is rank 7). In [1, n].
 */
export function quantileRank(q: number, n: number): number {
  const product = q * n;
  const nearest = Math.round(product);
  const exact = Math.abs(product - nearest) <= 2 ** -44 * Math.max(1, product);
  return Math.min(n, Math.max(1, exact ? nearest : Math.ceil(product)));
}

/** Rows per source of a table column (undefined while some count is unknown). */
function rowsBySource(t: ValueType, column: string): Map<string, number> | undefined {
  const segs = t.segments?.[t.columns!.indexOf(column)] ?? [];
  if (segmentRows(segs) === undefined) return undefined;
  const out = new Map<string, number>();
  for (const s of segs) out.set(s.source, (out.get(s.source) ?? 0) + s.rows!);
  return out;
}

/**
 * `quantile(t, {column, q, minCount?})`: the quantiles of `column` at the levels `q` (each in
 * (0, 1), at most {@link QUANTILE_MAX_LEVELS}), as a tensor [q.length] labelled `q<level>`, in the
 * column's units. See the file comment for the definition and the suppression by `minCount`.
 */
export const quantileOp: OpDef = defineOp({
  name: 'quantile',
  summary:
    'quantiles of one column (type 1: the ceil(q*n)-th smallest value, at 2^-22 of its magnitude bound); suppressed unless minCount rows of each input lie on each side (params: column, q, minCount)',
  category: 'statistic',
  arity: { min: 1, max: 1 },
  params: ['column', 'q', 'minCount'],
  infer([t], params) {
    const cols = requireTable(t!);
    const column = stringParam(params, 'column', true);
    requireColumns(cols, [column]);
    const qs = quantileLevels(params);
    const k = quantileMinCount(params);
    const rows = t!.shape[0];
    if (rows !== undefined && rows < 1) throw new OpTypeError('needs at least one row');
    for (const [source, n] of rowsBySource(t!, column) ?? []) {
      if (k > 0 && n < 2 * k)
        throw new OpTypeError(
          `minCount ${k} needs at least ${2 * k} rows of each input (${k} on each side of a quantile); ${source} has ${n}`,
        );
    }
    const e = columnExps(t!)[cols.indexOf(column)]!;
    return withUnits(tensorType([qs.length], t!.sources, [qs.map((q) => `q${q}`)]), [qs.map(() => e)]);
  },
});

/**
 * Why a program's use of quantiles cannot run as checked, or undefined (called by the scale checks
 * for every node): a quantile bound to data needs its column at a known scale (the bisection
 * searches the column's scaled range ±2^6, which natural units do not bound), and a quantile with
 * `minCount` can only be an output (a suppressed one holds a placeholder that only the
 * recipient's decoding turns into null).
 */
export function quantileProblem(
  node: ProgramNode,
  types: ReadonlyMap<string, ValueType>,
  scales: Readonly<Record<string, number>>,
  nodes: ReadonlyMap<string, ProgramNode>,
): string | undefined {
  const suppressing = node.args.find((a) => {
    const arg = nodes.get(a);
    return arg?.op === 'quantile' && quantileMinCount(arg.params ?? {}) > 0;
  });
  if (suppressing !== undefined)
    return `argument "${suppressing}" is a quantile with minCount, whose suppressed values only the recipient decodes: it can only be an output`;
  if (node.op !== 'quantile') return undefined;
  const column = node.params?.column as string;
  const rows = types.get(node.args[0]!)?.shape[0];
  if (rows !== undefined && scales[column] === undefined)
    return `quantile: column "${column}" has no magnitude bound (max |x| <= 2^e), which the bisection needs (it searches ±2^e)`;
  return undefined;
}

/** The quantile ops. */
export const QUANTILE_OPS: readonly OpDef[] = [quantileOp];
