/**
 * Recipient-side finishing of a chi-square test (src/jobs/executor/chi-square.ts releases the
 * statistic at g + q fractional bits): df = (R - 1)(C - 1) from the public levels and the upper-tail
 * p-value of the chi-square distribution, public functions of the released statistic.
 */
import gammainc from '@stdlib/math-base-special-gammainc';
import { categoricalParams } from '../program/ops-categorical.js';
import type { Params } from '../program/types.js';
import type { ValueType } from '../program/value-type.js';
import { chiSquarePlan } from './chi-square.js';

/** Degrees of freedom of the test of an R x C table. */
export function chiSquareDf(params: Params, t: ValueType): number {
  const c = categoricalParams(params, t, true);
  return (c.rowLevels.length - 1) * (c.columnLevels.length - 1);
}

/** P(X >= statistic) for X ~ chi-square(df), within [0, 1]. */
export function chiSquarePValue(statistic: number, df: number): number {
  // the upper regularized incomplete gamma: P(X > x) without the cancellation of 1 - cdf
  return Math.min(1, Math.max(0, gammainc(Math.max(0, statistic) / 2, df / 2, true, true)));
}

/**
 * Unit exponents of the released [statistic, 0, flag - 1] for f fractional bits: the statistic's
 * word holds chi2 * 2^(g + q), decoded as word / 2^f, so it is multiplied by 2^(f - g - q).
 */
export function chiSquareExps(args: readonly ValueType[], params: Params, f = 16): number[] {
  const c = categoricalParams(params, args[0]!, true);
  const plan = chiSquarePlan(args[0]!.shape[0]!, c.rowLevels.length, c.columnLevels.length);
  return [f - plan.g - plan.q, 0, 0];
}

/** [statistic, 0, flag - 1] -> [statistic, df, p] (a suppressed test's are nulled by run.ts). */
export function finishChiSquare(values: number[], args: readonly ValueType[], params: Params): number[] {
  const statistic = values[0]!;
  const df = chiSquareDf(params, args[0]!);
  return [statistic, df, chiSquarePValue(Math.max(0, statistic), df)];
}

/** Why a released contingency cell over table `arg` is impossible: not an integer in [0, rows]. */
export function contingencyProblem(v: number, arg: ValueType | undefined): string | undefined {
  const rows = arg?.shape[0] ?? Infinity;
  return Number.isInteger(v) && v >= 0 && v <= rows ? undefined : 'not a count (an integer in [0, rows])';
}

/**
 * Why element i of a released [statistic, df, p] over table `arg` is impossible: a statistic below
 * 0 or beyond n (min(R, C) - 1) (Cramér's V is at most 1), a df other than (R - 1)(C - 1), a p
 * outside [0, 1]; `tol` is the element's tolerance.
 */
export function chiSquareProblem(
  v: number,
  i: number,
  arg: ValueType | undefined,
  params: Params,
  tol: number,
): string | undefined {
  if (arg === undefined) return undefined;
  const c = categoricalParams(params, arg, true);
  if (i === 0) {
    const most = (arg.shape[0] ?? Infinity) * (Math.min(c.rowLevels.length, c.columnLevels.length) - 1);
    if (v < -tol) return 'a negative statistic';
    return v > most * (1 + 1e-3) + tol ? 'a statistic beyond n (min(R, C) - 1)' : undefined;
  }
  if (i === 1) return v === chiSquareDf(params, arg) ? undefined : 'not (R - 1)(C - 1) degrees of freedom';
  return v < 0 || v > 1 ? 'a p-value outside [0, 1]' : undefined;
}
