/**
 * Recipient-side finishing of released values: functions of what was released and of public facts
 * (row counts), computed in float64 after decoding, e.g. the p-values of released correlations.
 * They disclose nothing beyond their inputs; distribution functions come from stdlib.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import type { ValueType } from '../program/value-type.js';

/** Finishes the decoded values of an op's output, given the types of its arguments. */
type Finalizer = (values: number[], args: readonly ValueType[]) => number[];

/** Two-sided p-value of a Pearson correlation r over n rows (t test on n - 2 degrees of freedom). */
export function correlationPValue(r: number, n: number): number {
  const df = n - 2;
  if (Math.abs(r) >= 1) return 0;
  const t = Math.abs(r) * Math.sqrt(df / (1 - r * r));
  return Math.min(1, 2 * (1 - tCdf(t, df)));
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
  return { t, df, p: Math.min(1, 2 * (1 - tCdf(Math.abs(t), df))) };
}

const FINALIZERS: Record<string, Finalizer> = {
  ttest: (v, [a, b]) => {
    const { t, df, p } = welch(v, a!.shape[0]!, b!.shape[0]!);
    return [...v, t, df, p];
  },
  correlationTest: (r, [arg]) => {
    const n = arg!.shape[0]!;
    return [...r, ...r.map((v, i) => (i % (Math.sqrt(r.length) + 1) === 0 ? 0 : correlationPValue(v, n)))];
  },
};

/** The finisher of `op`, or undefined when its released values are final. */
export function finalizerOf(op: string): Finalizer | undefined {
  return FINALIZERS[op];
}
