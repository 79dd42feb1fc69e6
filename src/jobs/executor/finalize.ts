/**
 * Recipient-side finishing of released values: functions of what was released and of public facts
 * (row counts), computed in float64 after decoding, e.g. the p-values of released correlations.
 * They disclose nothing beyond their inputs; distribution functions come from stdlib.
 */
import type { Params } from '../program/types.js';
import type { ValueType } from '../program/value-type.js';
import { chiSquareExps, finishChiSquare } from './finalize-chisquare.js';
import {
  finishFit,
  finishLogitFit,
  finishLogitSummary,
  finishSummary,
  fitExps,
  logitSummaryExps,
  summaryExps,
  tPValue,
} from './finalize-regression.js';

/** Finishes the decoded values of an op's output, given the types of its arguments and its params. */
type Finish = (values: number[], args: readonly ValueType[], params: Params) => number[];

/** How an op's released values are finished. */
export interface Finalizer {
  /** The finishing function. */
  finish: Finish;
  /**
   * The unit exponent of each released value, when they do not follow the declared result's
   * units (absent: the declared result's element exponents, for the released prefix); `f` is the
   * job's fractional bits (a value released at its own fixed-point scale needs it).
   */
  releasedExps?: (args: readonly ValueType[], params: Params, f: number) => number[];
}

/** Two-sided p-value of a Pearson correlation r over n rows (t test on n - 2 degrees of freedom). */
export function correlationPValue(r: number, n: number): number {
  const df = n - 2;
  if (Math.abs(r) >= 1) return 0;
  return tPValue(Math.abs(r) * Math.sqrt(df / (1 - r * r)), df);
}

/**
 * Welch's t-test from [mean_a, var_a, mean_b, var_b] and the row counts: [..., t, df, p].
 */
export function welch(
  [ma, va, mb, vb]: readonly number[],
  na: number,
  nb: number,
): { t: number; df: number; p: number } {
  const sa = va! / na;
  const sb = vb! / nb;
  const se2 = sa + sb;
  const t = (ma! - mb!) / Math.sqrt(se2);
  const df = (se2 * se2) / ((sa * sa) / (na - 1) + (sb * sb) / (nb - 1));
  return { t, df, p: tPValue(t, df) };
}

const FINALIZERS: Record<string, Finalizer> = {
  ttest: {
    finish: (v, [a, b]) => {
      const { t, df, p } = welch(v, a!.shape[0]!, b!.shape[0]!);
      return [...v, t, df, p];
    },
  },
  correlationTest: {
    finish: (r, [arg]) => {
      const n = arg!.shape[0]!;
      return [...r, ...r.map((v, i) => (i % (Math.sqrt(r.length) + 1) === 0 ? 0 : correlationPValue(v, n)))];
    },
  },
  olsSummary: { finish: finishSummary, releasedExps: summaryExps },
  olsFit: { finish: finishFit, releasedExps: fitExps },
  logitSummary: { finish: finishLogitSummary, releasedExps: logitSummaryExps },
  logitFit: { finish: finishLogitFit, releasedExps: () => [0] },
  chiSquare: { finish: finishChiSquare, releasedExps: chiSquareExps },
};

/** The finisher of `op`, or undefined when its released values are final. */
export function finalizerOf(op: string): Finalizer | undefined {
  return FINALIZERS[op];
}
