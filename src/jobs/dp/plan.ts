/**
 * The differential-privacy table (docs/JOBS.md, "Differential privacy"): for each output of a job
 * that asks for DP, what the compute parties release under noise and how far one row can move it.
 * Pure: the same plan on every party, from the checked program, the job's public column bounds and
 * the fractional bits.
 *
 * Neighbouring datasets differ in one row replaced (row counts are public in peermpc). Every
 * input column is clipped to its declared bounds inside the MPC, in its fixed-point encoding, so a
 * clipped value is an integer in [lo_enc, hi_enc] whatever a malicious owner shared, and each
 * sensitivity below is exact in ring units (no fixed-point error to allow for):
 *
 * | op | released under noise | ring sensitivity per element | recipient finishes |
 * |---|---|---|---|
 * | count | nothing (the row count is public) | 0 | n |
 * | sum | S_j = sum of clipped encodings | m(hi_enc - lo_enc) | S_j, natural units |
 * | mean | S_j | as sum | S_j / n |
 * | variance, std | S_j and Q_j = floor(sum enc^2 / 2^f) | as sum; m(floor((max enc^2 - min enc^2) / 2^f) + 2) | (Q - S^2/n) / (n - ddof), its root |
 * | histogram (no minCount) | bin counts | m in two bins (l1 2m, l2 m sqrt 2) | counts |
 * | groupBy agg count (no minCount) | group counts | as histogram | counts |
 * | ols (no ridge) | S_j and P_jk = floor(sum enc_j enc_k / 2^f), j <= k, of features and target | as sum; m(floor((max - min of enc_j enc_k) / 2^f) + 2) | the normal equations solved |
 *
 * m: how many times a row of one input appears in the column (a union of an input with itself).
 * Noise is calibrated per element to its own sensitivity (request.ts), so a sum in dollars and a
 * sum of squares in dollars squared each get noise in their own units.
 * Every other op, `axis` other than the rows, and `minCount` (suppression on exact counts is not
 * DP) are refused with a reason naming the output.
 */
import { histogramColumn } from '../program/ops-stats.js';
import type { CheckedProgram } from '../program/validate.js';
import type { ValueType } from '../program/value-type.js';
import {
  columnBounds,
  DP_MOMENT_MAX_ROWS,
  encodedBounds,
  productProblem,
  productRange,
  truncatedRange,
  type InputBounds,
} from './bounds.js';
import { gramPlan } from './plan-gram.js';

export { DP_MOMENT_MAX_ROWS, encodedBounds, type InputBounds } from './bounds.js';

/** How the released vector of one DP output is formed and finished. */
export type DpReleaseKind = 'public' | 'sums' | 'moments' | 'counts' | 'gram';

/** The plan of one output. */
export interface DpOutputPlan {
  /** Output name. */
  output: string;
  /** The output's node and op. */
  node: string;
  op: string;
  /** What is released under noise. */
  kind: DpReleaseKind;
  /** The table argument (sums, moments). */
  arg?: string;
  /** Row count of the table (sums, moments). */
  rows?: number;
  /** ddof (moments). */
  ddof?: number;
  /** Indices in the table of the columns whose cross products are released (gram: features, target). */
  columns?: number[];
  /** Per released element: real value = ring value * 2^exps[i] / 2^f. */
  exps: number[];
  /** Per released element: how far one row moves it, in ring units (counts: per bin). */
  ringSensitivity: number[];
  /** How many released elements one row can move at once (counts 2, sums and moments all). */
  changes: number;
}

/** The plan of a job, or the reasons it cannot run under DP. */
export type DpPlan = { ok: true; outputs: DpOutputPlan[] } | { ok: false; reasons: string[] };

const DP_OPS = 'count, sum, mean, variance, std, histogram, groupBy counts and ols';

/** Sums (and squares) of a table's clipped columns: exps and ring sensitivities. */
function tablePlan(
  t: ValueType,
  bounds: InputBounds,
  f: number,
  squares: boolean,
): { exps: number[]; sens: number[] } | string {
  const exps: number[] = [];
  const sens: number[] = [];
  const sq: number[] = [];
  const sqExps: number[] = [];
  for (let j = 0; j < t.columns!.length; j++) {
    const b = columnBounds(t, j, bounds);
    if (typeof b === 'string') return b;
    const e = t.exps?.[j] ?? 0;
    const [lo, hi] = encodedBounds(b.lo, b.hi, e, f);
    const problem = productProblem(squares ? t.shape[0]! : 1, [lo, hi], [lo, hi]);
    if (problem !== undefined) return `column ${t.columns![j]}: ${problem}`;
    exps.push(e);
    sens.push(b.m * Number(hi - lo));
    sq.push(b.m * truncatedRange(productRange(lo, hi, lo, hi, true), f));
    sqExps.push(2 * e);
  }
  return squares ? { exps: [...exps, ...sqExps], sens: [...sens, ...sq] } : { exps, sens };
}

/** The multiplicity of a row of one input in column `column` of table `t`. */
function multiplicity(t: ValueType, column: string): number {
  const segs = t.segments?.[t.columns?.indexOf(column) ?? -1] ?? [];
  const per = new Map<string, number>();
  for (const s of segs) per.set(s.source, (per.get(s.source) ?? 0) + 1);
  return Math.max(1, ...per.values());
}

/** The plan of one output, or a reason. */
function outputPlan(
  checked: CheckedProgram,
  out: CheckedProgram['outputs'][number],
  bounds: InputBounds,
  f: number,
): DpOutputPlan | string {
  const node = checked.order.find((n) => n.id === out.node);
  if (node === undefined) return `output ${out.name} is an input: a table of rows has no DP release`;
  const params = node.params ?? {};
  const t = checked.types.get(node.args[0] ?? '');
  const base = { output: out.name, node: node.id, op: node.op };
  if (t === undefined || t.kind !== 'table')
    return `output ${out.name} (${node.op}) must aggregate a table of input columns under DP`;
  if (node.op === 'count')
    return { ...base, kind: 'public', rows: t.shape[0]!, exps: [], ringSensitivity: [], changes: 0 };
  if (['histogram', 'groupBy'].includes(node.op)) {
    if (params.minCount !== undefined && params.minCount !== 0)
      return `output ${out.name} (${node.op}): minCount suppresses on exact counts, which is not DP; threshold the noisy counts instead`;
    if (node.op === 'groupBy' && params.agg !== 'count')
      return `output ${out.name} (groupBy agg ${String(params.agg)}): only counts have a DP release here`;
    const column = node.op === 'histogram' ? histogramColumn(params, t) : String(params.by);
    const m = multiplicity(t, column);
    const size = out.type.shape.reduce<number>((a, b) => a * (b ?? 0), 1);
    const exps = new Array<number>(size).fill(0);
    return { ...base, kind: 'counts', exps, ringSensitivity: exps.map(() => m * 2 ** f), changes: 2 };
  }
  if (node.op === 'ols') {
    const g = gramPlan(t, params, bounds, f);
    return typeof g === 'string' ? `output ${out.name} (ols): ${g}` : { ...base, arg: node.args[0]!, ...g };
  }
  if (!['sum', 'mean', 'variance', 'std'].includes(node.op))
    return `output ${out.name}: op ${node.op} has no DP release (DP covers ${DP_OPS})`;
  if (params.axis !== undefined && params.axis !== 0)
    return `output ${out.name} (${node.op}): only the sum over rows (axis 0) has a DP release`;
  const rows = t.shape[0]!;
  const moments = node.op === 'variance' || node.op === 'std';
  if (moments && rows > DP_MOMENT_MAX_ROWS)
    return `output ${out.name} (${node.op}): a DP variance takes at most ${DP_MOMENT_MAX_ROWS} rows`;
  const tp = tablePlan(t, bounds, f, moments);
  if (typeof tp === 'string') return `output ${out.name} (${node.op}): ${tp}`;
  const ddof = moments ? (typeof params.ddof === 'number' ? params.ddof : 1) : undefined;
  return {
    ...base,
    kind: moments ? 'moments' : 'sums',
    arg: node.args[0]!,
    rows,
    ...(ddof !== undefined ? { ddof } : {}),
    exps: tp.exps,
    ringSensitivity: tp.sens,
    changes: tp.sens.length,
  };
}

/** The DP plan of every output of `checked`, or every reason it cannot run under DP. */
export function planDp(checked: CheckedProgram, bounds: InputBounds, f: number): DpPlan {
  const outputs: DpOutputPlan[] = [];
  const reasons: string[] = [];
  for (const out of checked.outputs) {
    const p = outputPlan(checked, out, bounds, f);
    if (typeof p === 'string') reasons.push(p);
    else outputs.push(p);
  }
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, outputs };
}

/** The bounds of a job's inputs by program input and column name (from JobInput.bounds). */
export function jobInputBounds(
  inputs: readonly { name: string; columns: string[]; bounds?: ([number, number] | null)[] }[],
): InputBounds {
  const out: InputBounds = {};
  for (const i of inputs)
    out[i.name] = Object.fromEntries(i.columns.map((c, j) => [c, i.bounds?.[j] ?? null]));
  return out;
}

/** Outputs that draw noise (all but public counts). */
export function noisyOutputs(plan: readonly DpOutputPlan[]): DpOutputPlan[] {
  return plan.filter((p) => p.kind !== 'public');
}
