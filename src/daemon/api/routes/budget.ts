/**
 * Privacy budgets: `GET /budget[?dataset=<name>]`, what each requester spent and has left of the
 * budget of each local dataset whose policy has one (`peermpc policy set <dataset> --budget ...`),
 * read from this peer's budget ledger (src/jobs/dp/ledger.ts). Spends are in zCDP rho; the
 * epsilons are at the budget's delta (src/jobs/dp/accountant.ts). With `dataset`, that dataset
 * only (`datasets` is empty when it has no budget).
 */
import { epsilonOfRho } from '../../../jobs/dp/accountant.js';
import type { BudgetUsage } from '../../../jobs/dp/ledger.js';
import type { DpBudget } from '../../../jobs/dp/types.js';
import type { DatasetPolicy } from '../../../jobs/policy/types.js';
import type { ApiContext } from '../context.js';
import { BadRequestError } from '../errors.js';
import type { Router } from '../router.js';
import { jobServiceOf } from './jobs.js';

/** What one requester spent and has left of one dataset's budget. */
export interface RequesterBudget {
  /** The requester's peer id. */
  requester: string;
  /** rho spent within the window (over all time without one). */
  spentRho: number;
  /** `spentRho` as epsilon at the budget's delta. */
  spentEpsilon: number;
  /** rho left: the budget's rho minus `spentRho`, or 0. */
  remainingRho: number;
  /**
   * The largest epsilon (at the budget's delta) a next job may still cost: the epsilon of
   * `remainingRho`, or 0.
   */
  remainingEpsilon: number;
  /** rho spent over all time. */
  totalRho: number;
  /** Number of spends over all time. */
  spends: number;
  /** ISO time of the latest spend. */
  last: string;
}

/** One dataset's budget and its requesters' spends. */
export interface DatasetBudget {
  /** The dataset. */
  dataset: string;
  /** Its budget (per requester). */
  budget: DpBudget;
  /** The requesters that spent on it, by peer id. */
  requesters: RequesterBudget[];
}

/** Body of `GET /budget`. */
export interface BudgetResponse {
  /** When the windows were measured (ISO). */
  time: string;
  /** The datasets with a budget, by name. */
  datasets: DatasetBudget[];
}

/**
 * The epsilon of `rho` at `delta`, never below a valid one: when the conversion fails or answers
 * something impossible, its upper bound rho + 2 sqrt(rho ln(1/delta)).
 */
export function safeEpsilonOf(rho: number, delta: number): number {
  if (!(rho > 0)) return 0;
  const bound = rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
  try {
    const e = epsilonOfRho(rho, delta);
    return Number.isFinite(e) && e <= bound && (rho < 1 || e >= rho) ? e : bound;
  } catch {
    return bound;
  }
}

/** The report of `policies` with a budget (sorted by dataset) and the ledger's `usage`. */
export function budgetReport(
  policies: readonly DatasetPolicy[],
  usage: readonly BudgetUsage[],
  now: Date,
): BudgetResponse {
  const datasets: DatasetBudget[] = [];
  for (const p of policies) {
    const budget = p.budget;
    if (budget === undefined) continue;
    const requesters = usage
      .filter((u) => u.dataset === p.dataset)
      .map((u): RequesterBudget => {
        const remainingRho = Math.max(0, budget.rho - u.windowRho);
        return {
          requester: u.requester,
          spentRho: u.windowRho,
          spentEpsilon: safeEpsilonOf(u.windowRho, budget.delta),
          remainingRho,
          remainingEpsilon: safeEpsilonOf(remainingRho, budget.delta),
          totalRho: u.totalRho,
          spends: u.spends,
          last: u.last,
        };
      });
    datasets.push({ dataset: p.dataset, budget: { ...budget }, requesters });
  }
  return { time: now.toISOString(), datasets };
}

/** Registers the budget route. */
export function budgetRoutes(router: Router, ctx: ApiContext): void {
  router.get('/budget', async (req): Promise<BudgetResponse> => {
    const dataset = req.query.get('dataset') ?? undefined;
    if (dataset !== undefined && (dataset === '' || dataset.length > 256))
      throw new BadRequestError('"dataset" must be a name of 1 to 256 characters');
    const svc = jobServiceOf(ctx);
    const policies = svc.policies
      .list()
      .filter((p) => p.budget !== undefined && (dataset === undefined || p.dataset === dataset));
    const now = new Date();
    // A corrupt ledger is a BudgetLedgerError: 500 with its name and the file's line.
    const usage = await svc.budgetLedger.summary(dataset, {
      now,
      perDays: (name) => svc.policies.get(name)?.budget?.perDays,
    });
    return budgetReport(policies, usage, now);
  });
}
