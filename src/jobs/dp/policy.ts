/**
 * An owner's DP rules for one dataset in a job (docs/JOBS.md, "Differential privacy"):
 *
 * | rule | refuses | why |
 * |---|---|---|
 * | `requireDpBelowRows` N | a job without DP on a dataset of fewer than N rows | exact aggregates of small tables are where outliers and differencing show |
 * | `budget` rho per requester (per window) | a DP job whose cost would take the requester's spend beyond it | composition: every DP release spends, none refunds |
 *
 * Pure: the caller looks up what the requester spent (the ledger) and the dataset's rows.
 */
import { epsilonOfRho } from './accountant.js';
import { jobRho } from './request.js';
import type { DpBudget, DpRequest } from './types.js';

/** What a rule reads of a policy. */
export interface DpPolicy {
  budget?: DpBudget;
  requireDpBelowRows?: number;
}

const fmt = (x: number): string => Number(x.toPrecision(3)).toString();

/** (epsilon at the budget's delta) of rho, for people. */
export function epsilonAt(rho: number, delta: number): number {
  return rho > 0 ? epsilonOfRho(rho, delta) : 0;
}

/** The budget's window in words. */
export function windowText(b: DpBudget): string {
  return b.perDays === undefined ? 'in all' : `per ${b.perDays} days`;
}

/**
 * Why this job may not use a dataset of `rows` rows under `policy`, given the rho the requester
 * already spent on it within the budget's window (empty: allowed).
 */
export function dpPolicyReasons(
  dp: DpRequest | undefined,
  policy: DpPolicy,
  rows: number,
  spent: number,
): string[] {
  const reasons: string[] = [];
  const below = policy.requireDpBelowRows;
  if (dp === undefined && below !== undefined && rows < below)
    reasons.push(
      `outputs over fewer than ${below} rows must be differentially private (${rows} rows; job run --dp epsilon=...)`,
    );
  const b = policy.budget;
  if (dp !== undefined && b !== undefined) {
    const cost = jobRho(dp);
    if (!(spent + cost <= b.rho)) {
      const left = Math.max(0, b.rho - spent);
      reasons.push(
        `privacy budget exceeded: the job costs rho ${fmt(cost)}, the requester has rho ${fmt(left)} left ` +
          `(epsilon ${fmt(epsilonAt(left, b.delta))} at delta ${b.delta}) of epsilon ${b.epsilon} ${windowText(b)}`,
      );
    }
  }
  return reasons;
}
