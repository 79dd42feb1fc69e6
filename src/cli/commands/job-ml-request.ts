/**
 * The job requests `job run --predict` and `--train` build from a model's architecture and the
 * datasets named, with the columns checked against the model first (usage errors that name the
 * dataset, the column and both counts); and how a program file's inputs bind to `--dataset`.
 *
 * Inputs are named here (`data`, or `data1`, `data2`... in `--dataset` order, and `weights`), so
 * a shorthand never depends on the order of its flags beyond the data's own row order.
 */
import { InvalidArgumentError } from 'commander';
import type { ApiClient } from '../../daemon/api/client.js';
import { ProgramBuilder } from '../../jobs/program/builder.js';
import type { Params, Program } from '../../jobs/program/types.js';
import type { JobRequest, JobRequestInput } from '../../jobs/service/request.js';
import type { ModelArchitecture } from '../../ml/spec.js';
import type { SignedDatasetDescription } from '../../node/types.js';
import { echo, type DatasetRef } from '../common.js';

/** What the requests read of `job run`'s options. */
export interface MlRequestOptions {
  features?: string[];
  labels?: string[];
  weights?: DatasetRef;
  logits?: boolean;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
}

/** The counts the model layer gives (passed in: the CLI loads src/ml only for these options). */
export interface ModelCounts {
  featureCount(arch: ModelArchitecture): number;
  weightCount(arch: ModelArchitecture): number;
}

function usage(message: string): never {
  throw new InvalidArgumentError(message);
}

/** `1st`, `2nd`, `3rd`, `4th`... `11th`, `21st` for 0-based `i`. */
function ordinal(i: number): string {
  const n = i + 1;
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
}
const refOf = (d: SignedDatasetDescription): string => `${d.description.owner}/${d.description.name}`;
const columnsOf = (d: SignedDatasetDescription): string[] => d.description.columns.map((c) => c.name);

/**
 * Binds a program file's inputs to the datasets named, in order (input i to the i-th `--dataset`).
 * @throws InvalidArgumentError when the counts differ or a dataset lacks a column of its input,
 *   saying which program input got which dataset.
 */
export function bindProgramInputs(program: Program, found: SignedDatasetDescription[]): JobRequestInput[] {
  const pairs = program.inputs.map((inp, i) => `${inp.name} <- ${found[i] ? refOf(found[i]) : '(none)'}`);
  const extra = found.slice(program.inputs.length).map(refOf);
  const binding = `inputs bind to --dataset in order: ${pairs.join(', ')}${extra.length > 0 ? `; unbound: ${extra.join(', ')}` : ''}`;
  if (program.inputs.length !== found.length)
    usage(
      `the program has ${program.inputs.length} input(s) but ${found.length} dataset(s) were named; ${binding}`,
    );
  return found.map((f, i) => {
    const inp = program.inputs[i]!;
    const missing = inp.columns.find((c) => !columnsOf(f).includes(c));
    if (missing !== undefined)
      usage(
        `program input ${inp.name} (the ${ordinal(i)}) got the ${ordinal(i)} dataset, ${refOf(f)}, which has no column ${echo(missing)} (it has ${columnsOf(f).join(', ')}); ${binding}`,
      );
    return { name: inp.name, owner: f.description.owner, dataset: f.description.name, columns: inp.columns };
  });
}

/** The columns every dataset has, in the first one's order. */
function sharedColumns(found: SignedDatasetDescription[]): string[] {
  return columnsOf(found[0]!).filter((c) => found.every((f) => columnsOf(f).includes(c)));
}

function needColumns(found: SignedDatasetDescription[], names: string[], what: string): void {
  for (const f of found) {
    const missing = names.find((c) => !columnsOf(f).includes(c));
    if (missing !== undefined)
      usage(`${what} ${echo(missing)} is not in ${refOf(f)} (it has ${columnsOf(f).join(', ')})`);
  }
}

/** The feature columns: `--features`, else the shared columns but the labels; as many as the model takes. */
function featureColumns(
  arch: ModelArchitecture,
  counts: ModelCounts,
  found: SignedDatasetDescription[],
  given: string[] | undefined,
  labels: string[],
): string[] {
  const features = given ?? sharedColumns(found).filter((c) => !labels.includes(c));
  needColumns(found, features, 'feature column');
  const n = counts.featureCount(arch);
  if (features.length !== n) {
    const who =
      given !== undefined
        ? '--features names'
        : found.length === 1
          ? `${refOf(found[0]!)} has`
          : 'the datasets share';
    const besides = given === undefined && labels.length > 0 ? ' besides the labels' : '';
    usage(
      `the model takes ${n} feature(s) (input shape [${arch.inputShape.join(', ')}]) but ${who} ${features.length} column(s)${besides}: ${features.join(', ')}${given === undefined ? '; pick them with --features' : ''}`,
    );
  }
  const both = features.find((c) => labels.includes(c));
  if (both !== undefined) usage(`column ${echo(both)} is both a feature and a label`);
  return features;
}

const dataNames = (n: number): string[] =>
  n === 1 ? ['data'] : Array.from({ length: n }, (_, i) => `data${i + 1}`);

function bound(name: string, d: SignedDatasetDescription, columns: string[]): JobRequestInput {
  return { name, owner: d.description.owner, dataset: d.description.name, columns };
}

/** The ml ops in this process's catalogue, so that the program validates here as on the daemons. */
async function registerOps(): Promise<void> {
  (await import('../../ml/job-catalogue.js')).registerMlOps();
}

function build(b: ProgramBuilder, inputs: JobRequestInput[], found: SignedDatasetDescription[]): Program {
  const rows = Object.fromEntries(inputs.map((inp, i) => [inp.name!, found[i]!.description.rows]));
  try {
    return b.build({ rows });
  } catch (err) {
    // the checks above catch the common mistakes; what is left (a hyperparameter out of the op's
    // range, too few rows for a batch...) is still the options' doing
    if ((err as Error).name === 'ProgramValidationError') usage((err as Error).message);
    throw err;
  }
}

/**
 * `predict(data, weights, {architecture})` over the datasets (stacked in `--dataset` order) and
 * the model owner's published weights (`--weights`, fetched to check it is one column of
 * `weightCount` rows).
 */
export async function predictRequest(
  counts: ModelCounts,
  arch: ModelArchitecture,
  opts: MlRequestOptions,
  found: SignedDatasetDescription[],
  api: ApiClient,
): Promise<Pick<JobRequest, 'program' | 'inputs'>> {
  const features = featureColumns(arch, counts, found, opts.features, []);
  const w = await api.showDataset(opts.weights!.owner, opts.weights!.name);
  const wcols = columnsOf(w);
  if (wcols.length !== 1)
    usage(
      `--weights ${refOf(w)} has ${wcols.length} columns (${wcols.join(', ')}); the weights are one column`,
    );
  const count = counts.weightCount(arch);
  if (w.description.rows !== count)
    usage(
      `--weights ${refOf(w)} has ${w.description.rows} rows but the model has ${count} weights: is it this model's?`,
    );
  await registerOps();
  const b = new ProgramBuilder();
  const names = dataNames(found.length);
  const data = names.map((n) => b.input(n, features));
  const weights = b.input('weights', wcols);
  const params: Params = {
    architecture: arch as unknown as Params,
    ...(opts.logits ? { output: 'logits' } : {}),
  };
  b.output(
    'predictions',
    b.node('predict', [data.length === 1 ? data[0]! : b.union(...data), weights], params),
  );
  const inputs = [...found.map((f, i) => bound(names[i]!, f, features)), bound('weights', w, wcols)];
  return { program: build(b, inputs, [...found, w]), inputs };
}

/**
 * `train(data1, ..., {architecture, features, labels, hyperparameters})` over the datasets (rows
 * stacked in `--dataset` order); the output `weights` is the flat trained weights.
 */
export async function trainRequest(
  counts: ModelCounts,
  arch: ModelArchitecture,
  opts: MlRequestOptions,
  found: SignedDatasetDescription[],
): Promise<Pick<JobRequest, 'program' | 'inputs'>> {
  const labels = opts.labels!;
  needColumns(found, labels, 'label column');
  const features = featureColumns(arch, counts, found, opts.features, labels);
  const outputs = arch.outputShape.reduce((a, x) => a * x, 1);
  if (labels.length !== outputs)
    usage(`the model has ${outputs} output(s) but --labels names ${labels.length}: ${labels.join(', ')}`);
  await registerOps();
  const b = new ProgramBuilder();
  const names = dataNames(found.length);
  const data = names.map((n) => b.input(n, [...features, ...labels]));
  const hp = {
    ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
    ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
    ...(opts.learningRate !== undefined ? { learningRate: opts.learningRate } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  };
  b.output(
    'weights',
    b.node('train', data, { architecture: arch as unknown as Params, features, labels, ...hp }),
  );
  const inputs = found.map((f, i) => bound(names[i]!, f, [...features, ...labels]));
  return { program: build(b, inputs, found), inputs };
}
