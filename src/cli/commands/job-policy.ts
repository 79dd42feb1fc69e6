/**
 * `peermpc policy list|show|set|remove`: the job policies of this peer's datasets (who may use a
 * dataset, which ops and released outputs, the minimum rows behind a released value, automatic or
 * manual approval).
 */
import { Option, type Command } from 'commander';
import type { DatasetPolicy } from '../../jobs/policy/types.js';
import {
  clientFor,
  commonOptions,
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
          ['DATASET', 'APPROVAL', 'MIN ROWS', 'REQUESTERS', 'OPS', 'OUTPUTS'],
          policies.map((p) => [p.dataset, p.approval, p.minRows, p.requesters, p.ops, p.outputs]),
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
    .action(async (dataset: string, opts: SetOptions) => {
      const body: Partial<DatasetPolicy> = {
        ...(opts.requesters ? { requesters: opts.requesters } : {}),
        ...(opts.ops ? { ops: opts.ops } : {}),
        ...(opts.outputs ? { outputs: opts.outputs } : {}),
        ...(opts.minRows ? { minRows: opts.minRows } : {}),
        ...(opts.approval ? { approval: opts.approval } : {}),
        ...(opts.computeParties ? { computeParties: opts.computeParties } : {}),
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
