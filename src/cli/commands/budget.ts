/**
 * `peermpc budget show [dataset] [--json]`: what each requester spent and has left of the privacy
 * budgets of this peer's datasets (`peermpc policy set <dataset> --budget ...`), from the daemon's
 * budget ledger (`GET /budget`).
 */
import type { Command } from 'commander';
import type { BudgetResponse, DatasetBudget } from '../../daemon/api/routes/budget.js';
import { clientFor, commonOptions, echo, type CommandContext, type CommonOptions } from '../common.js';
import { table, printJson, type Io } from '../output.js';
import { budgetText } from './job-policy.js';
import { JobsClient } from './job-client.js';

/** A privacy quantity for people: 4 significant digits. */
export function privacyNumber(x: number): string {
  return x === 0 ? '0' : String(Number(x.toPrecision(4)));
}

/** Prints one dataset's budget and its requesters. */
function printDataset(io: Io, d: DatasetBudget): void {
  const window = d.budget.perDays === undefined ? 'all time' : `last ${d.budget.perDays} days`;
  io.out(`${d.dataset}: ${budgetText(d.budget)}; rho ${privacyNumber(d.budget.rho)} per requester`);
  if (d.requesters.length === 0) {
    io.out(`  nobody spent any of it: every requester has epsilon ${d.budget.epsilon} left`);
    return;
  }
  io.out(
    table(
      ['REQUESTER', `SPENT EPS (${window})`, 'LEFT EPS', 'SPENT RHO', 'TOTAL RHO', 'SPENDS', 'LAST'],
      d.requesters.map((r) => [
        r.requester,
        privacyNumber(r.spentEpsilon),
        privacyNumber(r.remainingEpsilon),
        privacyNumber(r.spentRho),
        privacyNumber(r.totalRho),
        r.spends,
        r.last,
      ]),
    )
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
}

/** Prints the report of `GET /budget`. */
export function printBudget(io: Io, res: BudgetResponse, dataset?: string): void {
  if (res.datasets.length === 0) {
    io.out(
      dataset === undefined
        ? 'no dataset has a privacy budget (set one with: peermpc policy set <dataset> --budget epsilon=1)'
        : `${echo(dataset)} has no privacy budget (set one with: peermpc policy set <dataset> --budget epsilon=1)`,
    );
    return;
  }
  res.datasets.forEach((d, i) => {
    if (i > 0) io.out('');
    printDataset(io, d);
  });
}

/** Registers `budget`. */
export function registerBudget(program: Command, { io }: CommandContext): void {
  const budget = program.command('budget').description('privacy budgets of your datasets');

  commonOptions(budget.command('show'))
    .description(
      'what each requester spent and has left of the privacy budget of your datasets (epsilons at the budget delta, spent within its window)',
    )
    .argument('[dataset]', 'one dataset only')
    .action(async (dataset: string | undefined, opts: CommonOptions) => {
      const res = await new JobsClient(clientFor(opts)).budget(dataset);
      if (opts.json === true) return printJson(io, res);
      printBudget(io, res, dataset);
    });
}
