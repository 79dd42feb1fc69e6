/**
 * `peermpc policy list|show|set|remove`: the job policies of this peer's datasets (who may use a
 * dataset, which ops and released outputs, the minimum rows behind a released value, automatic or
 * manual approval, the privacy budget of each requester).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { DpBudget } from '../../jobs/dp/types.js';
import type { DatasetPolicy, PolicyRequest } from '../../jobs/policy/types.js';
import {
  clientFor,
  commonOptions,
  echo,
  listValue,
  positiveIntValue,
  type CommandContext,
  type CommonOptions,
} from '../common.js';
import { keyValues, printJson, table } from '../output.js';
import { JobsClient } from './job-client.js';

interface SetOptions extends CommonOptions {
  requesters?: string[];
  ops?: string[];
  outputs?: string[];
  minRows?: number;
  approval?: 'auto' | 'manual';
  computeParties?: string[];
  budget?: Omit<DpBudget, 'rho'>;
  requireDpBelow?: number;
}

/** delta of `--budget` when it names none. */
export const DEFAULT_BUDGET_DELTA = 1e-6;

/**
 * Parses `--budget epsilon=2[,delta=1e-6][,per=30d]` (delta {@link DEFAULT_BUDGET_DELTA} by
 * default; `per` a whole number of days, `Nd`). The daemon checks the ranges.
 */
export function budgetValue(value: string): Omit<DpBudget, 'rho'> {
  const given = new Map<string, string>();
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const [key = '', text, ...rest] = part.split('=').map((x) => x.trim());
    if (text === undefined || rest.length > 0 || key === '')
      throw new InvalidArgumentError(
        `expected key=value, got ${echo(part)} (e.g. epsilon=2,delta=1e-6,per=30d)`,
      );
    if (!['epsilon', 'delta', 'per'].includes(key))
      throw new InvalidArgumentError(`unknown key ${echo(key)} (epsilon, delta, per)`);
    if (given.has(key)) throw new InvalidArgumentError(`${key} is given twice`);
    given.set(key, text);
  }
  const number = (key: string): number | undefined => {
    const text = given.get(key);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text === '' || !Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${key} must be a number > 0, got ${echo(text)}`);
    return n;
  };
  const epsilon = number('epsilon');
  if (epsilon === undefined) throw new InvalidArgumentError('epsilon is required (e.g. epsilon=2)');
  const per = given.get('per');
  const days = per === undefined ? undefined : /^(\d+)d$/.exec(per)?.[1];
  if (per !== undefined && days === undefined)
    throw new InvalidArgumentError(`per must be a number of days such as 30d, got ${echo(per)}`);
  return {
    epsilon,
    delta: number('delta') ?? DEFAULT_BUDGET_DELTA,
    ...(days === undefined ? {} : { perDays: Number(days) }),
  };
}

/** A budget in one line: `epsilon 2, delta 1e-6 per 30 days`. */
export function budgetText(b: Omit<DpBudget, 'rho'> | undefined): string {
  if (b === undefined) return '-';
  const per = b.perDays === undefined ? ' (all time)' : ` per ${b.perDays} day${b.perDays === 1 ? '' : 's'}`;
  return `epsilon ${b.epsilon}, delta ${b.delta}${per}`;
}

const NOT_PUBLISHED =
  "warning: the policy applies, but the dataset's published description could not be re-signed " +
  'with it (see the daemon log); it is retried when the daemon restarts';

function printPolicy(p: DatasetPolicy, isDefault: boolean): string {
  return keyValues([
    ['dataset', p.dataset + (isDefault ? ' (default policy)' : '')],
    ['requesters', p.requesters],
    ['ops', p.ops],
    ['outputs', p.outputs],
    ['min rows', p.minRows],
    ['approval', p.approval],
    ['compute parties', p.computeParties],
    ['budget', budgetText(p.budget)],
    ['require dp below', p.requireDpBelowRows === undefined ? '-' : `${p.requireDpBelowRows} rows`],
  ]);
}

/** Registers `policy`. */
export function registerPolicy(program: Command, { io }: CommandContext): void {
  const policy = program.command('policy').description('job policies of your datasets');

  commonOptions(policy.command('list'))
    .description('datasets with a policy set (others use the default: manual approval, 10 rows minimum)')
    .action(async (opts: CommonOptions) => {
      const { policies } = await new JobsClient(clientFor(opts)).policies();
      if (opts.json === true) return printJson(io, policies);
      if (policies.length === 0) return io.out('no policies set: every dataset uses the default policy');
      io.out(
        table(
          ['DATASET', 'APPROVAL', 'MIN ROWS', 'REQUESTERS', 'OPS', 'OUTPUTS', 'BUDGET'],
          policies.map((p) => [
            p.dataset,
            p.approval,
            p.minRows,
            p.requesters,
            p.ops,
            p.outputs,
            budgetText(p.budget),
          ]),
        ),
      );
    });

  commonOptions(policy.command('show'))
    .description("a dataset's effective policy")
    .argument('<dataset>', 'dataset name')
    .action(async (dataset: string, opts: CommonOptions) => {
      const res = await new JobsClient(clientFor(opts)).policy(dataset);
      if (opts.json === true) return printJson(io, res);
      io.out(printPolicy(res.policy, res.default));
    });

  commonOptions(policy.command('set'))
    .description(
      'set the policy of one of your datasets (options left out take the default values; removing the dataset removes its policy)',
    )
    .argument('<dataset>', 'dataset name (a local dataset)')
    .option('--requesters <peer ids>', 'peers allowed to request jobs ("*" for any)', listValue)
    .option('--ops <ops>', 'ops allowed on its data ("*" for any; peermpc job ops lists them)', listValue)
    .option(
      '--outputs <ops>',
      'ops whose results may be released ("*" for any; peermpc job ops lists them)',
      listValue,
    )
    .option('--min-rows <n>', 'fewest rows behind every released value', positiveIntValue)
    .addOption(new Option('--approval <mode>', 'who approves').choices(['auto', 'manual']))
    .option(
      '--compute-parties <ids>',
      'compute parties and dealers you trust: "self", peer ids, or "*" (default: self under auto, * under manual); rep3 needs at most one untrusted, additive a trusted dealer and one trusted compute party',
      listValue,
    )
    .option(
      '--budget <epsilon=E[,delta=D][,per=Nd]>',
      `privacy budget of each requester (differential privacy), over all time or per window of N days; delta ${DEFAULT_BUDGET_DELTA} by default (peermpc budget show lists what they spent)`,
      budgetValue,
    )
    .option(
      '--require-dp-below <rows>',
      'outputs over fewer rows than this must be differentially private',
      positiveIntValue,
    )
    .action(async (dataset: string, opts: SetOptions) => {
      const body: PolicyRequest = {
        ...(opts.requesters ? { requesters: opts.requesters } : {}),
        ...(opts.ops ? { ops: opts.ops } : {}),
        ...(opts.outputs ? { outputs: opts.outputs } : {}),
        ...(opts.minRows ? { minRows: opts.minRows } : {}),
        ...(opts.approval ? { approval: opts.approval } : {}),
        ...(opts.computeParties ? { computeParties: opts.computeParties } : {}),
        ...(opts.budget ? { budget: opts.budget } : {}),
        ...(opts.requireDpBelow ? { requireDpBelowRows: opts.requireDpBelow } : {}),
      };
      const res = await new JobsClient(clientFor(opts)).setPolicy(dataset, body);
      if (res.published === false) io.err(NOT_PUBLISHED);
      if (opts.json === true) return printJson(io, res);
      io.out(printPolicy(res.policy, false));
    });

  commonOptions(policy.command('remove'))
    .description("remove a dataset's policy (the default applies again)")
    .argument('<dataset>', 'dataset name')
    .action(async (dataset: string, opts: CommonOptions) => {
      const res = await new JobsClient(clientFor(opts)).removePolicy(dataset);
      if (res.published === false) io.err(NOT_PUBLISHED);
      if (opts.json === true) return printJson(io, res);
      io.out(
        res.removed ? `removed the policy of ${dataset}; the default applies` : `${dataset} had no policy`,
      );
    });
}
