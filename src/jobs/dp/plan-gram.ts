/**
 * The DP plan of a least-squares fit (`ols`) by sufficient statistics: the column sums S_j and the
 * cross products P_jk = floor(sum enc_j enc_k / 2^f), j <= k, of the features and the target are
 * released under noise, and the recipient solves the normal equations from them (post-processing).
 * One row moves S_j by at most m (hi_enc - lo_enc) and P_jk by the range of enc_j enc_k over the
 * bounds' box (plus two for the truncation: floor or floor + 1), times how many table rows hold that row (m, or m_j + m_k
 * when the two columns' rows come from their inputs in different orders).
 */
import { regressionSpec } from '../program/ops-regression.js';
import type { Params } from '../program/types.js';
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

/** The gram part of a DP output plan. */
export interface GramPlan {
  kind: 'gram';
  rows: number;
  columns: number[];
  exps: number[];
  ringSensitivity: number[];
  changes: number;
}

/** The upper triangle (j <= k) of a c x c matrix, row by row. */
export function upperPairs(c: number): [number, number][] {
  const out: [number, number][] = [];
  for (let j = 0; j < c; j++) for (let k = j; k < c; k++) out.push([j, k]);
  return out;
}

/** The plan of `ols` on table `t`, or a reason. */
export function gramPlan(t: ValueType, params: Params, bounds: InputBounds, f: number): GramPlan | string {
  if (typeof params.ridge === 'number' && params.ridge !== 0) return 'ridge has no DP release here';
  if (t.shape[0]! > DP_MOMENT_MAX_ROWS) return `a DP fit takes at most ${DP_MOMENT_MAX_ROWS} rows`;
  const spec = regressionSpec(t, params, 0);
  const cols = t.columns!;
  const columns = [...spec.features, spec.target].map((c) => cols.indexOf(c));
  const info = [];
  for (const j of columns) {
    const b = columnBounds(t, j, bounds);
    if (typeof b === 'string') return b;
    const e = t.exps?.[j] ?? 0;
    info.push({ ...b, e, enc: encodedBounds(b.lo, b.hi, e, f), segs: JSON.stringify(t.segments![j]) });
  }
  const exps = info.map((c) => c.e);
  const sens = info.map((c) => c.m * Number(c.enc[1] - c.enc[0]));
  for (const [j, k] of upperPairs(info.length)) {
    const [a, b] = [info[j]!, info[k]!];
    const m = a.segs === b.segs ? Math.max(a.m, b.m) : a.m + b.m;
    const problem = productProblem(t.shape[0]!, a.enc, b.enc);
    if (problem !== undefined) return `columns ${cols[columns[j]!]} and ${cols[columns[k]!]}: ${problem}`;
    const range = productRange(a.enc[0], a.enc[1], b.enc[0], b.enc[1], j === k);
    sens.push(m * truncatedRange(range, f));
    exps.push(a.e + b.e);
  }
  return { kind: 'gram', rows: t.shape[0]!, columns, exps, ringSensitivity: sens, changes: sens.length };
}
