/**
 * The ML shorthands of `peermpc job run` (docs/ML.md, "From a model on disk to a released result"):
 *
 * - `--predict <model> --dataset <owner/name> --weights <owner/name> [--features a,b,c]`: private
 *   inference of a tfjs model (model.json, or a directory holding one, or a peermpc architecture)
 *   on the data owners' rows. The weights never leave their owner in the clear: the model owner
 *   publishes them as a one-column dataset (`--predict <model> --export-weights weights.csv` writes
 *   that CSV from the model's weight files, then `peermpc dataset add`), which `--weights` binds.
 * - `--train <model> --labels y [--features a,b] --dataset ... [--epochs N --batch-size N
 *   --learning-rate X --seed S] [--out <dir> [--force]]`: private SGD of the architecture from seeded
 *   initial weights on the datasets' rows; the released weights are saved as a tfjs model
 *   directory (model.json + weights.bin).
 *
 * Also how a program file's inputs bind to the `--dataset` flags ({@link bindProgramInputs}).
 * Usage errors (exit 2) are `InvalidArgumentError`s naming the option.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { ApiClient } from '../../daemon/api/client.js';
import type { JobRequest } from '../../jobs/service/request.js';
import type { JobRecord } from '../../jobs/store.js';
import type { ModelArchitecture } from '../../ml/spec.js';
import type { SignedDatasetDescription } from '../../node/types.js';
import type { Tf } from '../../tensor/tf.js';
import { datasetRefValue, echo, listValue, positiveIntValue, type DatasetRef } from '../common.js';
import type { Io } from '../output.js';
import { predictRequest, trainRequest, type MlRequestOptions } from './job-ml-request.js';

export { bindProgramInputs } from './job-ml-request.js';

/** The `job run` options this module reads (its own and the ones it checks against). */
export interface MlRunOptions extends MlRequestOptions {
  predict?: string;
  train?: string;
  weights?: DatasetRef;
  exportWeights?: string;
  out?: string;
  force?: boolean;
  dataset?: DatasetRef[];
  search?: string;
  wait: boolean;
}

function numberValue(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('must be a positive number');
  return n;
}

function seedValue(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 2 ** 31 - 1)
    throw new InvalidArgumentError('must be an integer in 0..2147483647');
  return n;
}

/** Adds the ML options and the input-binding help to `job run`. */
export function addMlOptions(cmd: Command): Command {
  return cmd
    .option(
      '--predict <model>',
      'private inference of a tfjs model (model.json or its directory, or a peermpc architecture) on --dataset',
    )
    .option(
      '--weights <owner/name>',
      "with --predict: the model owner's published weights (one column)",
      datasetRefValue,
    )
    .option(
      '--export-weights <file.csv>',
      "with --predict: write the model's weights as that one-column CSV and exit",
    )
    .option('--logits', 'with --predict: stop before the final sigmoid/softmax')
    .option('--train <model>', 'private training of a Dense model (tfjs model.json or peermpc architecture)')
    .option(
      '--features <names>',
      "with --predict/--train: the feature columns, in the model's input order",
      listValue,
    )
    .option(
      '--labels <names>',
      'with --train: the label columns (one 0/1 for sigmoid, one-hot for softmax)',
      listValue,
    )
    .option('--batch-size <n>', 'with --train: rows per SGD step (default 32)', positiveIntValue)
    .option('--learning-rate <x>', 'with --train: SGD step size (default 0.1)', numberValue)
    .option('--seed <n>', 'with --train: seed of the initial weights (default 1)', seedValue)
    .option('--out <dir>', 'with --train: save the trained model there (model.json + weights.bin)')
    .option('--force', 'with --out: write into a directory that is not empty')
    .addHelpText(
      'after',
      `
Binding: a program file's inputs bind to the --dataset flags in order (the first input to the
first --dataset...; with --search, in the order the search finds them). The shorthands name theirs.

Examples:
  peermpc job run --dataset <owner>/patients --stats mean,correlation
  peermpc job run prog.json --dataset <owner>/a --dataset <owner>/b   # inputs 1 and 2 of prog.json
  peermpc job run --predict model/model.json --export-weights weights.csv   # model owner, then: dataset add
  peermpc job run --predict model/model.json --dataset <owner>/patients --features age,bmi \\
    --weights <model owner>/model-weights --compute <3 peer ids>
  peermpc job run --train model/model.json --labels y --features age,bmi --dataset <owner>/a \\
    --dataset <owner>/b --epochs 2 --out trained --compute <3 peer ids>
See docs/ML.md for a worked example.`,
    );
}

/** The flag of the first option of `opts` set among `flags` (option key -> flag), or undefined. */
function firstSet(opts: object, flags: Record<string, string>): string | undefined {
  const o = opts as Record<string, unknown>;
  const key = Object.keys(flags).find((k) => o[k] !== undefined && o[k] !== false);
  return key === undefined ? undefined : flags[key];
}

const STAT_FLAGS = {
  stats: '--stats',
  histogram: '--histogram',
  quantiles: '--quantiles',
  groupBy: '--group-by',
  crosstab: '--crosstab',
  chiSquare: '--chi-square',
  ols: '--ols',
  logit: '--logit',
  linreg: '--linreg',
  join: '--join',
  columns: '--columns',
};
const PREDICT_ONLY = { weights: '--weights', exportWeights: '--export-weights', logits: '--logits' };
const TRAIN_ONLY = {
  labels: '--labels',
  batchSize: '--batch-size',
  learningRate: '--learning-rate',
  seed: '--seed',
  out: '--out',
};

function usage(message: string): never {
  throw new InvalidArgumentError(message);
}

/** Checks how the ML options go with the others, before any daemon is asked. */
function checkUsage(opts: MlRunOptions, programFile: string | undefined): void {
  const ml = opts.predict !== undefined ? '--predict' : opts.train !== undefined ? '--train' : undefined;
  if (opts.predict !== undefined && opts.train !== undefined)
    usage('--predict and --train cannot go together');
  const stray = (flags: Record<string, string>, needs: string): void => {
    const f = firstSet(opts, flags);
    if (f !== undefined) usage(`${f} needs ${needs}${ml === undefined ? '' : `, not ${ml}`}`);
  };
  if (ml !== '--predict') stray(PREDICT_ONLY, '--predict');
  if (ml !== '--train') stray(TRAIN_ONLY, '--train');
  if (ml === undefined) {
    stray({ features: '--features' }, '--predict or --train');
    if (opts.force === true) usage('--force needs --out (with --train)');
    return;
  }
  const clash = firstSet(opts, STAT_FLAGS);
  if (clash !== undefined) usage(`${ml} cannot go with ${clash} (run them as separate jobs)`);
  if (programFile !== undefined)
    usage(`${ml} builds the program: drop the program file ${echo(programFile)}`);
  if (ml === '--predict' && opts.epochs !== undefined)
    usage('--epochs needs --train or --linreg, not --predict');
  if (opts.force === true && opts.out === undefined) usage('--force needs --out');
  if (opts.exportWeights !== undefined) {
    if (opts.dataset !== undefined || opts.search !== undefined)
      usage('--export-weights writes a file and runs no job: drop --dataset and --search');
    return;
  }
  if (ml === '--predict' && opts.weights === undefined)
    usage(
      "--predict needs --weights <owner>/<name>: the model owner's weights, published as a one-column dataset (--export-weights writes its CSV; docs/ML.md)",
    );
  if (ml === '--train' && opts.labels === undefined) usage('--train needs --labels <columns>');
  if (opts.out !== undefined) {
    if (!opts.wait) usage('--out saves the result: it cannot go with --no-wait');
    const dir = resolve(opts.out);
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory()) usage(`--out ${echo(opts.out)} is a file, not a directory`);
      if (opts.force !== true && readdirSync(dir).length > 0)
        usage(
          `--out ${echo(opts.out)} exists and is not empty (--force writes model.json and weights.bin into it)`,
        );
    }
  }
}

type Ml = typeof import('../../ml/index.js');

/** The model layer and tfjs, loaded only for the ML options (other commands never load tfjs). */
async function loadMl(): Promise<{ ml: Ml; tf: Tf }> {
  const ml = await import('../../ml/index.js');
  const { loadTf } = await import('../../tensor/tf.js');
  return { ml, tf: await loadTf() };
}

/** A model problem as a usage error naming the option and the file. */
function modelError(flag: string, path: string, err: unknown): Error {
  const e = err as Error & { path?: string; reason?: string };
  switch (e.name) {
    case 'ModelFileError':
      return new InvalidArgumentError(`${flag} ${echo(e.path ?? path)}: ${e.reason ?? e.message}`);
    case 'UnsupportedModelError':
      return new InvalidArgumentError(`${flag} ${echo(path)}: unsupported model: ${e.message}`);
    case 'ModelSpecError':
      return new InvalidArgumentError(`${flag} ${echo(path)}: invalid architecture: ${e.message}`);
    case 'TrainingSpecError':
      return new InvalidArgumentError(`${flag} ${echo(path)}: cannot be trained privately: ${e.message}`);
    case 'RangeError':
      return new InvalidArgumentError(`${flag}: ${e.message}`);
    default:
      return e;
  }
}

/** A job built by `--predict` or `--train`. */
export interface MlJob {
  /** The request over the datasets found (columns checked against the model: usage errors). */
  request(found: SignedDatasetDescription[], api: ApiClient): Promise<Pick<JobRequest, 'program' | 'inputs'>>;
  /**
   * After the job: with `--train --out`, saves the trained model and says where (not with
   * `quiet`). Returns what `--json` adds (`saved`: the directory), undefined when nothing was saved.
   */
  finish(r: JobRecord, io: Io, quiet: boolean): Promise<{ saved: string } | undefined>;
}

/**
 * Checks the ML options and reads the model: undefined without `--predict`/`--train`; 'exported'
 * when `--export-weights` wrote its file (no job).
 * @throws InvalidArgumentError on a usage error, an unreadable or unsupported model.
 */
export async function prepareMlJob(
  opts: MlRunOptions,
  programFile: string | undefined,
  io: Io,
  json: boolean,
): Promise<MlJob | 'exported' | undefined> {
  checkUsage(opts, programFile);
  const flag = opts.predict !== undefined ? '--predict' : '--train';
  const path = opts.predict ?? opts.train;
  if (path === undefined) return undefined;
  const { ml, tf } = await loadMl();
  if (opts.exportWeights !== undefined) {
    const { weights } = await ml.readModel(tf, path).catch((err: unknown) => {
      throw modelError(flag, path, err);
    });
    const file = resolve(opts.exportWeights);
    await writeFile(file, ml.weightsCsv(weights));
    const count = weights.reduce((a, w) => a + w.values.length, 0);
    if (json) io.out(JSON.stringify({ file, weights: count, column: ml.WEIGHTS_COLUMN }));
    else
      io.out(
        `wrote the ${count} weights of ${path} to ${file} (one column "${ml.WEIGHTS_COLUMN}"); publish them with: peermpc dataset add ${opts.exportWeights} --name <name>, then run with --weights <your peer id>/<name>`,
      );
    return 'exported';
  }
  const arch = await ml
    .readArchitecture(tf, path, opts.train !== undefined ? 'training' : 'inference')
    .catch((err: unknown) => {
      throw modelError(flag, path, err);
    });
  if (opts.train !== undefined) {
    try {
      ml.checkTrainJob(arch, { epochs: 1, batchSize: 32, learningRate: 0.1, ...opts });
    } catch (err) {
      throw modelError(flag, path, err);
    }
  }
  return {
    request: (found, api) =>
      opts.train !== undefined
        ? trainRequest(ml, arch, opts, found)
        : predictRequest(ml, arch, opts, found, api),
    finish: (r, io, quiet) => saveTrained(ml, tf, arch, opts, r, io, quiet),
  };
}

/** With `--train --out`: the released weights as a tfjs model directory (model.json + weights.bin). */
async function saveTrained(
  ml: Ml,
  tf: Tf,
  arch: ModelArchitecture,
  opts: MlRunOptions,
  r: JobRecord,
  io: Io,
  quiet: boolean,
): Promise<{ saved: string } | undefined> {
  if (opts.train === undefined || opts.out === undefined || r.state !== 'done') return undefined;
  const dir = resolve(opts.out);
  const values = r.result?.find((o) => o.name === 'weights')?.values ?? [];
  const failed = (why: string): Error =>
    new Error(
      `job ${r.id} is done, but the trained model was not saved to ${dir}: ${why}; the weights are in: peermpc job show ${r.id} --json`,
    );
  if (values.length !== ml.weightCount(arch) || values.some((v) => v === null))
    throw failed(`the result has ${values.length} values, the model ${ml.weightCount(arch)} weights`);
  const model = ml.weightsToTfModel(tf, arch, values as number[]);
  try {
    await ml.saveTfModelFiles(tf, model, dir);
  } catch (err) {
    throw failed((err as Error).message);
  } finally {
    model.dispose();
  }
  if (!quiet)
    io.out(
      `trained model (${values.length} weights) saved to ${dir}: model.json and weights.bin (tfjs layers format: tf.loadLayersModel)`,
    );
  return { saved: dir };
}
