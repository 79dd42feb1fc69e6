/**
 * Checks of released values at the recipient, before a result is reported: a value no correct
 * computation can produce (a correlation beyond ±1, a negative variance, a mean beyond the column's
 * magnitude bound, a count that is not the public row count, a non-finite number) means a
 * fixed-point range was exceeded, and the job fails with {@link ImpossibleResultError} instead of
 * answering wrongly. Tolerances are 64 units in the last place of each element's scale.
 */
import { ImpossibleResultError } from '../errors.js';
import type { Params } from '../program/types.js';
import type { CheckedProgram } from '../program/validate.js';
import type { ValueType } from '../program/value-type.js';
import type { JobOutputValue } from '../store.js';
import { SCALE_TARGET_BITS } from '../program/scales.js';
import { chiSquareProblem, contingencyProblem } from './finalize-chisquare.js';
import { groupByProblem } from './groupby.js';
import { elementExps } from './scale.js';

type Check = (v: number, i: number, ctx: CheckContext) => string | undefined;

interface CheckContext {
  values: readonly (number | null)[];
  /** Tolerance of element i (64 ulps of its scale). */
  tol: (i: number) => number;
  /** The argument's type (the table a statistic summarises). */
  arg: ValueType | undefined;
  /** Side of a square matrix output. */
  side: number;
  /** The job's column scales (CheckedProgram.scales). */
  scales: Readonly<Record<string, number>>;
  /** The node's params. */
  params: Params;
}

/** The magnitude bound 2^e of column i of the statistic's table, when the job has one. */
function bound(c: CheckContext, i: number): number | undefined {
  const column = c.arg?.kind === 'table' ? c.arg.columns?.[i] : undefined;
  const scale = column === undefined ? undefined : c.scales[column];
  return scale === undefined ? undefined : 2 ** (scale + SCALE_TARGET_BITS);
}

/** A spread statistic of column i: not negative, and within (bound)^power times n/(n-1). */
function spread(power: number): Check {
  return (v, i, c) => {
    const b = bound(c, i);
    const n = c.arg?.shape[0] ?? 2;
    if (v < -c.tol(i)) return 'negative';
    return b !== undefined && v > b ** power * (n / Math.max(1, n - 1)) ** (power / 2) * (1 + 1e-6) + c.tol(i)
      ? "beyond its column's magnitude bound"
      : undefined;
  };
}

const CHECKS: Record<string, Check> = {
  correlation: (v) => (Math.abs(v) > 1 + 1e-3 ? 'beyond ±1' : undefined),
  correlationTest: (v, i, c) =>
    i < c.values.length / 2
      ? Math.abs(v) > 1 + 1e-3
        ? 'beyond ±1'
        : undefined
      : v < 0 || v > 1
        ? 'a p-value outside [0, 1]'
        : undefined,
  variance: spread(2),
  std: spread(1),
  covariance: (v, i, c) => {
    const [r, k] = [Math.floor(i / c.side), i % c.side];
    const [a, b] = [c.values[r * c.side + r]!, c.values[k * c.side + k]!];
    if (r === k) return spread(2)(v, r, c);
    return Math.abs(v) > Math.sqrt(Math.max(0, a * b)) * (1 + 1e-3) + c.tol(i)
      ? 'beyond the product of the standard deviations'
      : undefined;
  },
  ttest: (v, i) =>
    (i === 1 || i === 3) && v < 0
      ? 'a negative variance'
      : i === 6 && (v < 0 || v > 1)
        ? 'a p-value outside [0, 1]'
        : undefined,
  count: (v, _i, c) => (v !== c.arg?.shape[0] ? 'not the row count' : undefined),
  quantile: (v, i, c) => {
    const scale = c.scales[c.params.column as string];
    const b = scale === undefined ? Infinity : 2 ** (scale + SCALE_TARGET_BITS);
    if (v < -b - c.tol(i) || v > b + c.tol(i)) return "beyond the column's magnitude bound";
    const q = c.params.q as number[];
    const disordered = c.values.some(
      (w, k) => w !== null && (q[k]! < q[i]! ? w > v : q[k]! > q[i]! && w < v),
    );
    return disordered ? 'not increasing with the level q' : undefined;
  },
  olsSummary: (v, i) =>
    i % 6 === 1 && v < 0
      ? 'a negative standard error'
      : i % 6 === 3 && (v < 0 || v > 1)
        ? 'a p-value outside [0, 1]'
        : undefined,
  olsFit: (v, i) =>
    i === 0 && (v < -1e-3 || v > 1 + 1e-3)
      ? 'an R² outside [0, 1]'
      : i === 4 && (v < 0 || v > 1)
        ? 'a p-value outside [0, 1]'
        : i >= 7 && v < 1 - 1e-2
          ? 'a variance inflation factor below 1'
          : undefined,
  groupBy: (v, i, c) => groupByProblem(v, i, c.arg, c.params, c.scales, c.tol(i)),
  contingency: (v, _i, c) => contingencyProblem(v, c.arg),
  chiSquare: (v, i, c) => chiSquareProblem(v, i, c.arg, c.params, c.tol(i)),
  histogram: (v, i, c) =>
    v < -c.tol(i) || v > (c.arg?.shape[0] ?? Infinity) + 0.5 ? 'not a count' : undefined,
  mean: (v, i, c) => {
    const b = bound(c, i);
    return b !== undefined && Math.abs(v) > b * (1 + 1e-6) + c.tol(i)
      ? "beyond the column's magnitude bound"
      : undefined;
  },
};

/**
 * Checks the decoded outputs of `checked` (f fractional bits).
 * @throws ImpossibleResultError naming the first impossible element.
 */
export function checkOutputs(checked: CheckedProgram, outputs: readonly JobOutputValue[], f: number): void {
  const nodes = new Map(checked.program.nodes.map((n) => [n.id, n]));
  for (const o of outputs) {
    const out = checked.outputs.find((x) => x.name === o.name)!;
    const node = nodes.get(out.node);
    const exps = elementExps(out.type);
    const ctx: CheckContext = {
      values: o.values,
      tol: (i) => 2 ** ((exps?.[i] ?? 0) - f + 6),
      arg: node === undefined ? undefined : checked.types.get(node.args[0] ?? ''),
      side: out.type.shape[0] ?? 0,
      scales: checked.scales,
      params: node?.params ?? {},
    };
    const check = node === undefined ? undefined : CHECKS[node.op];
    o.values.forEach((v, i) => {
      if (v === null) return;
      const problem = !Number.isFinite(v) ? 'not finite' : check?.(v, i, ctx);
      if (problem !== undefined) throw new ImpossibleResultError(o.name, i, problem);
    });
  }
}
