/**
 * Recipient-side finishing of released values: functions of what was released and of public facts
 * (row counts), computed in float64 after decoding, e.g. the p-values of released correlations.
 * They disclose nothing beyond their inputs; distribution functions come from stdlib.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import type { ValueType } from '../program/value-type.js';

/** Finishes the decoded values of an op's output; `arg` is the type of its table argument. */
type Finalizer = (values: number[], arg: ValueType) => number[];

/** Two-sided p-value of a Pearson correlation r over n rows (t test on n - 2 degrees of freedom). */
export function correlationPValue(r: number, n: number): number {
  const df = n - 2;
  if (Math.abs(r) >= 1) return 0;
  const t = Math.abs(r) * Math.sqrt(df / (1 - r * r));
  return Math.min(1, 2 * (1 - tCdf(t, df)));
}

const FINALIZERS: Record<string, Finalizer> = {
  correlationTest: (r, arg) => {
    const n = arg.shape[0]!;
    return [...r, ...r.map((v, i) => (i % (Math.sqrt(r.length) + 1) === 0 ? 0 : correlationPValue(v, n)))];
  },
};

/** The finisher of `op`, or undefined when its released values are final. */
export function finalizerOf(op: string): Finalizer | undefined {
  return FINALIZERS[op];
}
