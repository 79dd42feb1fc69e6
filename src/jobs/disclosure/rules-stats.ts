/**
 * Disclosure rules of tables (inputs, select, union, join), the statistics and the ops that
 * release row-level results by design (predict, train). docs/JOBS.md gives the reasoning of each.
 *
 * A table is row-aligned with each of its sources; which rows of which source fill each column is
 * in its type (`segments`). The statistics that multiply columns with each other (covariance,
 * correlation, linreg) are aggregates only when every row of the table comes from one source: a
 * join puts another source's column beside each row, and a partner (or a requester who owns it)
 * who chooses that column (say, one-hot on one row) reads the row out of the cross products.
 */
import { histogramColumn } from '../program/ops-stats.js';
import type { RowSegment, ValueType } from '../program/value-type.js';
import { perSource, rowLevel, type DisclosureRule, type RuleCall } from './rule.js';
import { dataDisclosure, type Dependence, type Disclosure } from './types.js';

/** How many times a source's rows appear in the longest column of a table. */
function copies(t: ValueType, source: string): number {
  return Math.max(...t.segments!.map((col) => col.filter((s) => s.source === source).length));
}

/** What a table discloses: every source row-aligned along axis 0, moving by its range per copy. */
export function tableDisclosure(t: ValueType, sources: RuleCall['sources']): Disclosure {
  const deps = new Map<string, Dependence>();
  for (const s of t.sources) {
    const f = sources.get(s);
    deps.set(s, { kind: 'rows', axis: 0, rows: f?.rows, own: (f?.width ?? 1) * copies(t, s), all: 0 });
  }
  return dataDisclosure(deps);
}

/** select, union, join. */
export const tableRule: DisclosureRule = (call) => tableDisclosure(call.type, call.sources);

/** Whether two columns' rows come from the same sources row for row. */
function sameSegments(a: readonly RowSegment[], b: readonly RowSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => s.source === b[i]!.source && s.rows === b[i]!.rows);
}

/** The widest range among a table's sources (the sensitivity unit of a pooled statistic). */
function tableWidth(call: RuleCall, t: ValueType): number {
  return Math.max(...t.sources.map((s) => call.sources.get(s)?.width ?? 1));
}

/**
 * A statistic of table argument 0 over `columns` (all when undefined) with `sensitivity(n, w, c)`
 * for n table rows, width w and c copies of the source's rows. With `crossColumns`, columns whose
 * rows come from different sources make it row-level for each of those sources.
 */
function statistic(
  sensitivity: (n: number, w: number, c: number) => number,
  crossColumns: boolean,
  columns?: (call: RuleCall) => string[],
): DisclosureRule {
  return (call) => {
    const t = call.argTypes[0]!;
    const picked = columns ? columns(call).map((c) => t.columns!.indexOf(c)) : t.columns!.map((_, i) => i);
    const segs = picked.map((i) => t.segments![i]!);
    const aligned = segs.every((s) => sameSegments(s, segs[0]!));
    const n = t.shape[0];
    const w = tableWidth(call, t);
    return perSource(call.args, (s) => {
      if (!segs.some((col) => col.some((seg) => seg.source === s)))
        return { kind: 'aggregate', rows: call.sources.get(s)?.rows, sensitivity: 0 };
      if (crossColumns && !aligned)
        return rowLevel(
          call,
          `it multiplies columns whose rows come from different inputs (a join): a column beside ${s} can single out its rows`,
        );
      return {
        kind: 'aggregate',
        rows: call.sources.get(s)?.rows,
        sensitivity: n === undefined ? Infinity : sensitivity(n, w, copies(t, s)),
      };
    });
  };
}

const ddofOf = (call: RuleCall): number => (typeof call.params.ddof === 'number' ? call.params.ddof : 1);

/** count: the row count, public anyway. */
export const countRule = statistic(() => 0, false);

/** variance: per column, |delta| <= 2 w^2 / (n - ddof) per changed row. */
export const varianceRule: DisclosureRule = (call) =>
  statistic((n, w, c) => (2 * c * w * w) / (n - ddofOf(call)), false)(call);

/** std: the square root of a variance moves by at most the root of its move. */
export const stdRule: DisclosureRule = (call) =>
  statistic((n, w, c) => w * Math.sqrt((2 * c) / (n - ddofOf(call))), false)(call);

/** covariance: |delta| <= 3 w^2 / (n - ddof) per changed row; cross-source columns are row-level. */
export const covarianceRule: DisclosureRule = (call) =>
  statistic((n, w, c) => (3 * c * w * w) / (n - ddofOf(call)), true)(call);

/** correlation: no bound better than its range (2) without a floor on the variances. */
export const correlationRule = statistic(() => 2, true);

/** linreg: no sensitivity bound (one high-leverage row can move a coefficient arbitrarily). */
export const linregRule = statistic(
  () => Infinity,
  true,
  (call) => [...(call.params.features as string[]), call.params.target as string],
);

/**
 * logit: a maximum-likelihood fit is no function of summed moments. Its estimate solves
 * S_mine(b) = -S_others(b) for the score S(b) = sum (y - sigmoid(d . b)) d, so rows of another input
 * in the same fit (chosen by the requester, who knows them and b) steer b into a steep sigmoid and
 * turn the released fit into a filter over this input's rows (one row above a threshold: its
 * values). So a fit is an aggregate (as linreg) only over rows the requester cannot have chosen:
 * one input's alone, or several inputs none of which is the requester's (SourceFacts.steerable).
 */
export const logitRule: DisclosureRule = (call) => {
  const t = call.argTypes[0]!;
  const columns = [...(call.params.features as string[]), call.params.target as string];
  const sources = new Set(
    columns.flatMap((c) => t.segments![t.columns!.indexOf(c)]!.map((seg) => seg.source)),
  );
  const steered = (s: string): boolean =>
    [...sources].some((o) => o !== s && call.sources.get(o)?.steerable === true);
  if (![...sources].some(steered)) return linregRule(call);
  return perSource(call.args, (s) =>
    sources.has(s) && steered(s)
      ? rowLevel(
          call,
          `the fit also runs over rows the requester may have chosen, which can steer it into a filter of ${s}'s rows (a maximum-likelihood fit is not a sum over rows)`,
        )
      : { kind: 'aggregate', rows: call.sources.get(s)?.rows, sensitivity: 0 },
  );
};

/**
 * histogram: a bin counts the rows in it, so without suppression a narrow bin isolates a row. With
 * `minCount`, a bin whose own count from any source is below it is suppressed inside the MPC, and
 * so is the whole histogram when a source has between 1 and minCount - 1 rows outside the released
 * bins (else subtraction from the public row count would isolate them). Two histograms of one
 * column with different edges can be differenced bin by bin, and a column that repeats a source's
 * rows (a union with itself) counts one row several times, so both are row-level.
 */
export const histogramRule: DisclosureRule = (call) => {
  const t = call.argTypes[0]!;
  const column = histogramColumn(call.params, t);
  const segs = t.segments![t.columns!.indexOf(column)]!;
  const minCount = typeof call.params.minCount === 'number' ? call.params.minCount : 0;
  const deps = new Map<string, Dependence>();
  for (const { source: s } of segs) {
    if (deps.has(s)) continue;
    const edges = call.histogramEdges.get(`${s}/${column}`);
    if (segs.filter((seg) => seg.source === s).length > 1)
      deps.set(
        s,
        rowLevel(call, `the column repeats the rows of ${s}, so a bin counts one row several times`),
      );
    else if (edges !== undefined && edges.size > 1)
      deps.set(
        s,
        rowLevel(call, `histograms of column "${column}" of ${s} with different edges can be differenced`),
      );
    else if (minCount < 1)
      deps.set(
        s,
        rowLevel(call, `a bin may count a single row of ${s} (set minCount to suppress small bins)`),
      );
    else deps.set(s, { kind: 'aggregate', rows: minCount, sensitivity: 1 });
  }
  return dataDisclosure(deps);
};

/**
 * ttest: each table's mean and variance of one column, symmetric functions of all its rows (no
 * cross products); a column that repeats a source counts its rows twice, still symmetrically.
 */
export const ttestRule: DisclosureRule = (call) =>
  perSource(call.args, (s) => ({
    kind: 'aggregate',
    rows: call.sources.get(s)?.rows,
    sensitivity: Infinity,
  }));

/**
 * quantile: a quantile is the value of one row (not which row), so without `minCount` a rank can
 * land on a source's smallest or largest row (q = 1/n of its own table, or any q of a union with
 * the requester's own rows all on one side). With `minCount` = k, inside the MPC, a level is
 * released only when every source of the column has at least k rows strictly below it and k
 * strictly above, so a released value is never among a source's k smallest or k largest values:
 * an aggregate with k rows on each side, with no sensitivity bound (one changed row can move it to
 * a neighbouring order statistic, across any gap). A column that repeats a source's rows counts
 * each several times on a side (k copies from fewer rows), so it is row-level.
 */
export const quantileRule: DisclosureRule = (call) => {
  const t = call.argTypes[0]!;
  const column = call.params.column as string;
  const segs = t.segments![t.columns!.indexOf(column)]!;
  const minCount = typeof call.params.minCount === 'number' ? call.params.minCount : 0;
  const deps = new Map<string, Dependence>();
  for (const { source: s } of segs) {
    if (deps.has(s)) continue;
    if (segs.filter((seg) => seg.source === s).length > 1)
      deps.set(s, rowLevel(call, `the column repeats the rows of ${s}, so one row counts several times`));
    else if (minCount < 1)
      deps.set(
        s,
        rowLevel(
          call,
          `a quantile is the value of one row of ${s}, e.g. its smallest (set minCount to require rows of every input on each side)`,
        ),
      );
    else deps.set(s, { kind: 'aggregate', rows: minCount, sensitivity: Infinity });
  }
  return dataDisclosure(deps);
};

/** An op whose result is row-level by design, with the reason. */
export function rowLevelByDesign(why: string): DisclosureRule {
  return (call) => perSource(call.args, () => rowLevel(call, why));
}
