/**
 * The `predict` and `train` ops of the job catalogue (category `ml`), registered by
 * {@link registerMlOps} with the jobs layer's `registerOp` and `registerOpImpl`, as src/jobs expects
 * the model layer to do. The MPC work is {@link predictJob} and {@link trainJob} (job-ops.ts); this
 * module only adds the type rules (params, shapes, what the policies see) and the column plumbing.
 *
 * `predict(data, weights, {architecture, features?, output?})`: `data` is the data owner's table
 * (the `features` columns, default all, in the model's input order), `weights` the model owner's
 * one-column table of `weightCount` rows (`flatWeights` order). Result: [rows, ...outputShape],
 * row-level (one prediction per data row).
 *
 * `train(t1, ..., {architecture, features, labels, epochs, batchSize, learningRate, seed?})`: the
 * tables' rows are stacked in argument order (rows split across owners); `labels` are the target
 * columns (one, 0/1, for a sigmoid output; one-hot columns for softmax). Result: the trained weights
 * [W] in `flatWeights` order, behind every training row; the requester turns them into a tfjs model
 * with `weightsToTfModel`.
 */
import { columnIndices, type OpImpl } from '../jobs/executor/op-impl.js';
import { takeColumns } from '../jobs/executor/ops-relational.js';
import { registerOpImpl } from '../jobs/executor/registry.js';
import { getOp, registerOp } from '../jobs/program/catalogue.js';
import { defineOp } from '../jobs/program/op-def.js';
import { intParam, numberParam, stringListParam, stringParam } from '../jobs/program/params.js';
import { PROGRAM_LIMITS, type Params } from '../jobs/program/types.js';
import {
  mergeSources,
  OpTypeError,
  requireTable,
  tensorType,
  type ValueType,
} from '../jobs/program/value-type.js';
import {
  checkTrainJob,
  featureCount,
  parseArchitecture,
  predictJob,
  trainJob,
  weightCount,
} from './job-ops.js';
import type { ModelArchitecture } from './spec.js';

function architectureParam(params: Params): ModelArchitecture {
  try {
    return parseArchitecture(params.architecture);
  } catch (err) {
    throw new OpTypeError(`param "architecture": ${(err as Error).message}`);
  }
}

function columnsIn(t: ValueType, names: readonly string[], what: string): void {
  const have = t.columns!;
  const missing = names.find((c) => !have.includes(c));
  if (missing !== undefined)
    throw new OpTypeError(`${what}: column "${missing}" is not in the table (has ${have.join(', ')})`);
}

function outputParam(params: Params): 'model' | 'logits' {
  const o = stringParam(params, 'output') ?? 'model';
  if (o !== 'model' && o !== 'logits') throw new OpTypeError('param "output" must be "model" or "logits"');
  return o;
}

/** `predict(data, weights, {architecture, features?, output?})`. */
export const predictOp = defineOp({
  name: 'predict',
  summary:
    "private inference of a model on a table (params: architecture, features (all), output ('model' | 'logits'))",
  category: 'ml',
  arity: { min: 2, max: 2 },
  params: ['architecture', 'features', 'output'],
  infer([data, weights], params) {
    const cols = requireTable(data!, 'argument 1 (the data)');
    const wcols = requireTable(weights!, 'argument 2 (the weights)');
    const arch = architectureParam(params);
    const features = params.features === undefined ? cols : stringListParam(params, 'features');
    columnsIn(data!, features, 'argument 1');
    if (features.length !== featureCount(arch))
      throw new OpTypeError(`the model takes ${featureCount(arch)} features, got ${features.length}`);
    if (wcols.length !== 1) throw new OpTypeError('argument 2 (the weights) must have exactly one column');
    const w = weights!.shape[0];
    if (w !== undefined && w !== weightCount(arch))
      throw new OpTypeError(`the model has ${weightCount(arch)} weights, the weights table has ${w} rows`);
    outputParam(params);
    return tensorType([data!.shape[0], ...arch.outputShape], mergeSources([data!, weights!]));
  },
});

/** `train(t1, ..., {architecture, features, labels, epochs, batchSize, learningRate, seed?})`. */
export const trainOp = defineOp({
  name: 'train',
  summary:
    'private minibatch SGD of a Dense model on the rows of tables (params: architecture, features, labels, epochs, batchSize, learningRate, seed (1))',
  category: 'ml',
  arity: { min: 1, max: PROGRAM_LIMITS.args },
  params: ['architecture', 'features', 'labels', 'epochs', 'batchSize', 'learningRate', 'seed'],
  infer(args, params) {
    const arch = architectureParam(params);
    const features = stringListParam(params, 'features');
    const labels = stringListParam(params, 'labels');
    args.forEach((t, i) => {
      requireTable(t, `argument ${i + 1}`);
      columnsIn(t, [...features, ...labels], `argument ${i + 1}`);
    });
    const hp = trainParams(params);
    let counts: { features: number; labels: number };
    try {
      counts = checkTrainJob(arch, hp);
    } catch (err) {
      throw new OpTypeError((err as Error).message);
    }
    if (features.length !== counts.features)
      throw new OpTypeError(`the model takes ${counts.features} features, got ${features.length}`);
    if (labels.length !== counts.labels)
      throw new OpTypeError(`the model has ${counts.labels} outputs, got ${labels.length} label columns`);
    return tensorType([weightCount(arch)], mergeSources(args));
  },
});

function trainParams(params: Params) {
  return {
    epochs: intParam(params, 'epochs', 1, 1, PROGRAM_LIMITS.epochs),
    batchSize: intParam(params, 'batchSize', 32, 1, 1 << 20),
    learningRate: numberParam(params, 'learningRate', 0.1, 1e-9, 100),
    seed: intParam(params, 'seed', 1, 0, 2 ** 31 - 1),
  };
}

const predictImpl: OpImpl = async ({ ctx, args, argTypes, params }) => {
  const arch = parseArchitecture(params.architecture);
  const features = (params.features as string[] | undefined) ?? argTypes[0]!.columns!;
  const x = takeColumns(ctx.p, args[0]!, columnIndices(argTypes[0]!, features));
  return predictJob(ctx.p, arch, args[1]!, x, { fractionalBits: ctx.f, output: outputParam(params) });
};

const trainImpl: OpImpl = async ({ ctx, args, argTypes, params }) => {
  const arch = parseArchitecture(params.architecture);
  const pick = (names: string[]) => {
    const parts = args.map((a, i) => takeColumns(ctx.p, a, columnIndices(argTypes[i]!, names)));
    return parts.length === 1 ? parts[0]! : ctx.p.concat(parts, 0);
  };
  const x = pick(params.features as string[]);
  const y = pick(params.labels as string[]);
  return trainJob(ctx.p, arch, x, y, { ...trainParams(params), fractionalBits: ctx.f });
};

/** Adds `predict` and `train` to the job catalogue and the executor (idempotent). */
export function registerMlOps(): void {
  if (getOp('predict') === undefined) {
    registerOp(predictOp);
    registerOpImpl('predict', predictImpl);
  }
  if (getOp('train') === undefined) {
    registerOp(trainOp);
    registerOpImpl('train', trainImpl);
  }
}
