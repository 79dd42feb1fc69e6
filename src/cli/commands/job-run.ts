/**
 * `peermpc job run [program.json]`: submits a job to this peer's daemon and follows it to the end.
 *
 * Datasets come from `--dataset owner/name` (repeatable) or `--search <name or tag>`. The program is
 * a JSON file (its inputs are bound to the datasets in order) or the shorthand flags for the common
 * statistics: `--stats mean,std,correlation`, `--histogram age:20,40,60,80`, `--linreg sbp~age,bmi`,
 * `--quantiles income:0.25,0.5,0.75`, `--group-by region:1,2,3 --agg mean`,
 * `--crosstab sex:0,1~smoker:0,1,2 --chi-square`, `--ols sbp~age,bmi`, `--logit smoker~age,bmi`;
 * and the model shorthands `--predict model.json`, `--train model.json` (job-ml.ts).
 */
import { dpValue } from '../dp-option.js';
import type { DpRequest } from '../../jobs/dp/types.js';
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DaemonTimeoutError, DaemonUnavailableError } from '../../daemon/api/client.js';
import { parseProgram } from '../../jobs/program/validate.js';
import { shorthandProgram, SHORTHAND_STATS, type ShorthandStat } from '../../jobs/program/shorthand.js';
import type { Program } from '../../jobs/program/types.js';
import type { JobRequest, JobRequestInput } from '../../jobs/service/request.js';
import type { SignedDatasetDescription } from '../../node/types.js';
import { boundText } from '../../util/bound.js';
import {
  clientFor,
  commonOptions,
  datasetRefsValue,
  listValue,
  positiveIntValue,
  type CommonOptions,
  type DatasetRef,
} from '../common.js';
import { printJson, type Io } from '../output.js';
import { JobsClient } from './job-client.js';
import { addMlOptions, bindProgramInputs, prepareMlJob, type MlRunOptions } from './job-ml.js';
import { printOutput, printStats } from './job-print.js';
import { FINAL_STATES, followJob } from './job-wait.js';

interface RunOptions extends CommonOptions, MlRunOptions {
  dataset?: DatasetRef[];
  search?: string;
  columns?: string[];
  join?: boolean;
  stats?: string[];
  histogram?: { column: string; edges: number[] };
  quantiles?: { column: string; q: number[] };
  groupBy?: { by: string; levels: number[] };
  crosstab?: { rows: string; rowLevels: number[]; columns: string; columnLevels: number[] };
  chiSquare?: boolean;
  agg?: 'count' | 'sum' | 'mean';
  minCount?: number;
  linreg?: { target: string; features: string[] };
  ols?: { target: string; features: string[] };
  logit?: { target: string; features: string[] };
  compute?: string[];
  protocol?: 'rep3' | 'additive' | 'plaintext';
  dealer?: string;
  ttl?: number;
  timeout?: number;
  dp?: DpRequest;
}

function histogramValue(value: string): { column: string; edges: number[] } {
  const m = /^([^:]+):(.+)$/.exec(value);
  const edges = m?.[2]!.split(',').map(Number) ?? [];
  if (m === null || edges.length < 2 || edges.some((e) => !Number.isFinite(e))) {
    throw new InvalidArgumentError('expected <column>:<edge>,<edge>,... (at least two numeric edges)');
  }
  return { column: m[1]!, edges };
}

/** Parses `--quantiles <column>:<level>,<level>,...` (levels strictly between 0 and 1). */
export function quantilesValue(value: string): { column: string; q: number[] } {
  const m = /^([^:]+):(.+)$/.exec(value);
  const q = m?.[2]!.split(',').map(Number) ?? [];
  if (m === null || q.length === 0 || q.some((x) => !(x > 0 && x < 1))) {
    throw new InvalidArgumentError('expected <column>:<level>,<level>,... (levels strictly between 0 and 1)');
  }
  return { column: m[1]!, q };
}

/** Parses `--group-by <column>:<level>,<level>,...` (integer category codes). */
export function groupByValue(value: string): { by: string; levels: number[] } {
  const m = /^([^:]+):(.+)$/.exec(value);
  const levels = m?.[2]!.split(',').map(Number) ?? [];
  if (m === null || levels.length === 0 || levels.some((l) => !Number.isInteger(l))) {
    throw new InvalidArgumentError('expected <column>:<level>,<level>,... (integer category codes)');
  }
  return { by: m[1]!, levels };
}

/** Parses `--crosstab <rows>:<level>,...~<columns>:<level>,...` (integer category codes). */
export function crosstabValue(value: string): {
  rows: string;
  rowLevels: number[];
  columns: string;
  columnLevels: number[];
} {
  const sides = value.split('~');
  if (sides.length !== 2)
    throw new InvalidArgumentError(
      'expected <rows>:<level>,...~<columns>:<level>,... (integer category codes)',
    );
  const [a, b] = sides.map((s) => groupByValue(s.trim()));
  return { rows: a!.by, rowLevels: a!.levels, columns: b!.by, columnLevels: b!.levels };
}

function linregValue(value: string): { target: string; features: string[] } {
  const m = /^([^~]+)~(.+)$/.exec(value);
  const features =
    m?.[2]!
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '') ?? [];
  if (m === null || features.length === 0)
    throw new InvalidArgumentError('expected <target>~<feature>,<feature>,...');
  return { target: m[1]!.trim(), features };
}

function statsValue(value: string, previous: string[] | undefined): string[] {
  const list = listValue(value, previous);
  const bad = list.find((s) => !(SHORTHAND_STATS as readonly string[]).includes(s));
  if (bad !== undefined)
    throw new InvalidArgumentError(`unknown statistic "${bad}" (known: ${SHORTHAND_STATS.join(', ')})`);
  return list;
}

/** The descriptions of the datasets the options name (fetched through the daemon, verified there). */
async function findDatasets(opts: RunOptions, io: Io): Promise<SignedDatasetDescription[]> {
  const api = clientFor(opts, io);
  if (opts.search !== undefined) {
    const res = await api.searchDatasets(opts.search);
    for (const r of res.rejected)
      io.err(`warning: dropped ${r.owner}${r.name ? '/' + r.name : ''}: ${r.reason}`);
    // a job takes exact matches only: a search also finds names and descriptions that merely contain the term
    const term = res.term;
    const exact = res.found.filter((f) => f.description.name === term || f.description.tags.includes(term));
    if (exact.length === 0) {
      const near = res.found.map((f) => f.description.name).slice(0, 5);
      const hint = near.length > 0 ? ` (partial matches: ${near.join(', ')}; name them with --dataset)` : '';
      throw new Error(`no dataset is named or tagged "${opts.search}"${hint}`);
    }
    return exact;
  }
  const refs = opts.dataset ?? [];
  if (refs.length === 0)
    throw new Error('name the datasets with --dataset <owner>/<name> or --search <term>');
  return Promise.all(refs.map((r) => api.showDataset(r.owner, r.name)));
}

/** Columns shared by every dataset, in the first one's order. */
function commonColumns(found: SignedDatasetDescription[]): string[] {
  const sets = found.map((f) => new Set(f.description.columns.map((c) => c.name)));
  return found[0]!.description.columns.map((c) => c.name).filter((c) => sets.every((s) => s.has(c)));
}

/**
 * The largest `minRows` the datasets' owners publish (10, the default policy's, for a description
 * without one): the smallest histogram cell every owner accepts.
 */
function publishedMinRows(found: SignedDatasetDescription[]): number {
  return Math.max(...found.map((f) => f.description.policy.minRows ?? 10));
}

/**
 * Builds the job request from the options and the datasets found: `built` (the ML shorthands'),
 * else the program file's (its inputs bound to the datasets in order), else the shorthands'.
 */
export function buildRequest(
  opts: RunOptions,
  found: SignedDatasetDescription[],
  programFile?: string,
  built?: Pick<JobRequest, 'program' | 'inputs'>,
): JobRequest {
  let program: Program;
  let inputs: JobRequestInput[];
  if (built !== undefined) {
    ({ program, inputs } = built);
  } else if (programFile !== undefined) {
    program = parseProgram(JSON.parse(readFileSync(programFile, 'utf8')) as unknown);
    inputs = bindProgramInputs(program, found);
  } else {
    const columns = (i: number): string[] =>
      opts.columns ??
      (opts.join === true ? found[i]!.description.columns.map((c) => c.name) : commonColumns(found));
    inputs = found.map((f, i) => ({
      name: `h${i + 1}`,
      owner: f.description.owner,
      dataset: f.description.name,
      columns: columns(i),
    }));
    if (opts.chiSquare === true && opts.crosstab === undefined)
      throw new Error('--chi-square needs --crosstab');
    program = shorthandProgram({
      inputs: inputs.map((i) => ({ name: i.name!, columns: i.columns! })),
      combine: opts.join === true ? 'join' : 'union',
      stats: (opts.stats ?? []) as ShorthandStat[],
      ...(opts.histogram
        ? {
            histogram: {
              ...opts.histogram,
              minCount: opts.minCount ?? (opts.dp ? 0 : publishedMinRows(found)),
            },
          }
        : {}),
      ...(opts.quantiles
        ? {
            quantiles: {
              ...opts.quantiles,
              minCount: opts.minCount ?? (opts.dp ? 0 : publishedMinRows(found)),
            },
          }
        : {}),
      ...(opts.groupBy
        ? {
            groupBy: {
              ...opts.groupBy,
              agg: opts.agg ?? 'mean',
              minCount: opts.minCount ?? (opts.dp ? 0 : publishedMinRows(found)),
            },
          }
        : {}),
      ...(opts.crosstab
        ? {
            crosstab: {
              ...opts.crosstab,
              minCount: opts.minCount ?? (opts.dp ? 0 : publishedMinRows(found)),
              ...(opts.chiSquare === true ? { test: true } : {}),
            },
          }
        : {}),
      ...(opts.linreg ? { linreg: { ...opts.linreg, ...(opts.epochs ? { epochs: opts.epochs } : {}) } } : {}),
      ...(opts.ols ? { ols: opts.ols } : {}),
      ...(opts.logit ? { logit: opts.logit } : {}),
    });
  }
  return {
    program,
    inputs,
    ...(opts.compute ? { computeParties: opts.compute } : {}),
    ...(opts.protocol ? { protocol: opts.protocol } : {}),
    ...(opts.dealer ? { dealer: opts.dealer } : {}),
    ...(opts.ttl ? { ttlMs: opts.ttl * 60_000 } : {}),
    ...(opts.dp ? { dp: opts.dp } : {}),
  };
}

/** Registers `job run` under `job`. */
export function registerJobRun(job: Command, io: Io): void {
  const run = commonOptions(job.command('run'))
    .description('run a job on datasets of other peers; the result comes back to this peer only')
    .argument(
      '[program]',
      'program JSON file, its inputs bound to the --dataset flags in order (default: build one from --stats/--histogram/--quantiles/--group-by/--crosstab/--ols/--logit/--linreg/--predict/--train)',
    )
    .option(
      '--dataset <owner/name...>',
      'datasets to use, as <owner peer id>/<dataset name> (repeatable)',
      datasetRefsValue,
    )
    .option('--search <term>', 'use every dataset named or tagged exactly <term> a search finds')
    .option(
      '--columns <names>',
      'columns to take from each dataset (default: the columns all share)',
      listValue,
    )
    .option('--join', 'combine datasets column-wise (aligned rows) instead of appending rows')
    .option('--stats <list>', `statistics: ${SHORTHAND_STATS.join(',')}`, statsValue)
    .option('--histogram <column:edges>', 'a histogram, e.g. age:20,40,60,80', histogramValue)
    .option(
      '--quantiles <column:levels>',
      'quantiles (type 1: the ceil(q*n)-th smallest value), e.g. income:0.25,0.5,0.75',
      quantilesValue,
    )
    .option(
      '--group-by <column:levels>',
      'per level of a column of category codes, --agg of the other columns, e.g. region:1,2,3',
      groupByValue,
    )
    .addOption(
      new Option('--agg <what>', 'what --group-by computes per group (default mean)').choices([
        'count',
        'sum',
        'mean',
      ]),
    )
    .option(
      '--min-count <n>',
      "suppress --histogram bins with fewer rows from any one dataset, --quantiles without that many rows of each dataset on each side, --group-by groups and --crosstab cells (default: the owners' largest published minimum rows)",
      positiveIntValue,
    )
    .option(
      '--crosstab <rows:levels~columns:levels>',
      'a contingency table of two columns of category codes, e.g. sex:0,1~smoker:0,1,2',
      crosstabValue,
    )
    .option('--chi-square', "with --crosstab, Pearson's chi-square test of independence on the table")
    .option(
      '--ols <target~features>',
      'exact least squares with its summary (se, t, p, 95% intervals, R², F, VIFs), e.g. sbp~age,bmi',
      linregValue,
    )
    .option(
      '--logit <target~features>',
      'logistic regression of a 0/1 target with its summary (se, z, p, 95% intervals), e.g. smoker~age,bmi',
      linregValue,
    )
    .option(
      '--linreg <target~features>',
      'a linear regression by gradient descent, e.g. sbp~age,bmi',
      linregValue,
    )
    .option('--epochs <n>', 'epochs of --linreg (gradient descent) or --train (default 1)', positiveIntValue)
    .option('--compute <peer ids>', 'compute parties (default: the owners when there are three)', listValue)
    .addOption(new Option('--protocol <name>', 'MPC protocol').choices(['rep3', 'additive', 'plaintext']))
    .option('--dealer <peer id>', 'the dealer of the additive protocol')
    .option('--ttl <minutes>', 'minutes the owners have to approve (default 15)', positiveIntValue)
    .option(
      '--dp <epsilon=e[,delta=d]>',
      'differential privacy for every output: noise drawn inside the MPC (discrete Gaussian with delta, discrete Laplace without)',
      dpValue,
    )
    .option('--no-wait', 'print the job id and return at once')
    .option('--timeout <seconds>', 'stop following after this long (the job goes on)', positiveIntValue)
    .action(async (programFile: string | undefined, opts: RunOptions) => {
      const ml = await prepareMlJob(opts, programFile, io, opts.json === true);
      if (ml === 'exported') return;
      const found = await findDatasets(opts, io);
      const built = await ml?.request(found, clientFor(opts, io));
      const request = buildRequest(opts, found, programFile, built);
      const jobs = new JobsClient(clientFor(opts, io));
      const quiet = opts.json === true;
      if (!quiet)
        io.err(
          `submitting a job on ${found.length} dataset(s): ${found.map((f) => `${f.description.owner}/${f.description.name}`).join(', ')}`,
        );
      const submitted = await jobs.submit(request);
      if (!quiet) io.err(`job ${submitted.id} (program ${submitted.signed.job.programHash.slice(0, 16)}...)`);
      if (!opts.wait) {
        if (quiet) return printJson(io, { id: submitted.id, state: submitted.state });
        return io.out(submitted.id);
      }
      const r = await followJob(jobs, io, submitted.id, {
        quiet,
        ...(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {}),
      }).catch((err: unknown) => {
        if (err instanceof DaemonUnavailableError || err instanceof DaemonTimeoutError) {
          // The job was submitted: say which, so it can be followed once the daemon answers again.
          const id = boundText(submitted.id, 100);
          err.message += `; job ${id} was submitted before that: follow it with peermpc job status ${id} --wait`;
        }
        throw err;
      });
      const saved = await ml?.finish(r, io, quiet); // --train --out: the trained model
      if (quiet) {
        printJson(io, {
          id: r.id,
          state: r.state,
          result: r.result ?? null,
          error: r.error ?? null,
          stats: r.stats ?? null,
          ...saved,
        });
      } else if (r.state === 'done') {
        if (saved === undefined) for (const o of r.result ?? []) printOutput(io, o);
        printStats(io, r);
      } else if (!FINAL_STATES.includes(r.state)) {
        io.err(
          `job ${r.id} is still ${r.state} after --timeout ${opts.timeout} s; it goes on: follow it with peermpc job status ${r.id} --wait`,
        );
      } else {
        io.err(`job ${r.id} ${r.state}${r.error ? `: ${r.error.message}` : ''}; nothing was released`);
      }
      // 4: not ended yet (the job goes on), 1: ended without a result
      if (r.state !== 'done') process.exitCode = FINAL_STATES.includes(r.state) ? 1 : 4;
    });
  addMlOptions(run);
}
