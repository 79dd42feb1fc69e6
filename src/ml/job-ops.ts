/**
 * Entry points for the jobs layer's `predict` and `train` ops (src/jobs wraps them in its op
 * catalogue; this module does not import src/jobs). Everything a job carries is public JSON: the
 * model architecture (which every owner approves with the job) and the hyperparameters; secret
 * values come in as shares, as every job input does:
 *
 * - predict: the model owner publishes its weights as a one-column dataset of {@link weightCount}
 *   rows (the order of {@link flatWeights}); the data owner's table gives the feature columns in
 *   the model's input order. `predictJob(p, arch, weights, x)` returns the output share
 *   [rows, ...outputShape]; the executor opens it to the requester.
 * - train: the data owners' tables (stacked in order, e.g. by the `union` op) give the feature and
 *   label columns; initial weights come from a public seed ({@link initialWeights}).
 *   `trainJob(p, arch, x, y, params)` returns the trained weights as one flat share [W]; the
 *   requester turns the opened values into a tfjs model with {@link weightsToTfModel}.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import type { Protocol, Share } from '../protocols/protocol.js';
import type { Tf } from '../tensor/index.js';
import { predictShares } from './private-model.js';
import { weightCount } from './forward.js';
import { initialWeights } from './init.js';
import { publicWeights } from './private-training.js';
import { ModelSpecError, validateModel } from './shapes.js';
import { weightShapes, type ModelArchitecture, type ModelWeights } from './spec.js';
import { toTfModel } from './to-tf.js';
import { trainShares } from './train.js';
import { checkSgd, trainingLoss, type SgdOptions } from './training-spec.js';

export { weightCount } from './forward.js';

/** Hyperparameters of the `train` op. */
export interface TrainJobParams extends SgdOptions {
  /** Seed of the initial weights (default 1). */
  seed?: number;
}

/**
 * Checks that `json` is a valid model architecture (format, shapes) and returns it typed.
 * @throws ModelSpecError describing the problem (for the op's type rule).
 */
export function parseArchitecture(json: unknown): ModelArchitecture {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ModelSpecError('the architecture must be a JSON object (see docs/ML.md)');
  const arch = json as ModelArchitecture;
  if (!Array.isArray(arch.layers) || !Array.isArray(arch.inputShape) || !Array.isArray(arch.outputShape))
    throw new ModelSpecError('the architecture needs inputShape, outputShape and layers');
  validateModel(arch);
  return arch;
}

/** Number of input features of a model (the product of its input shape): the feature columns `predict` needs. */
export function featureCount(arch: ModelArchitecture): number {
  return arch.inputShape.reduce((a, b) => a * b, 1);
}

/**
 * Checks that `arch` can be trained privately and the hyperparameters are valid; returns the
 * number of feature and label columns `train` needs.
 * @throws TrainingSpecError or RangeError.
 */
export function checkTrainJob(
  arch: ModelArchitecture,
  params: TrainJobParams,
): { features: number; labels: number } {
  trainingLoss(arch);
  checkSgd(params);
  if (params.seed !== undefined && !Number.isInteger(params.seed))
    throw new RangeError('seed must be an integer');
  return { features: arch.inputShape[0]!, labels: arch.outputShape[0]! };
}

/**
 * The `predict` op: weights [W] (or [W, 1]) from the model owner, features x [rows, features]
 * from the data owner; returns the output share [rows, ...outputShape]. Rounds and bytes: those
 * of the layers (docs/ML.md).
 */
export function predictJob<S extends Share>(
  p: Protocol<S>,
  arch: ModelArchitecture,
  weights: S,
  x: S,
  options: { fractionalBits?: number; output?: 'model' | 'logits' } = {},
): Promise<S> {
  const w = p.reshape(weights, [weightCount(arch)]);
  const rows = x.shape[0]!;
  if (x.shape.length !== 2 || x.shape[1] !== featureCount(arch))
    throw new RangeError(
      `predict: the features have shape [${x.shape.join(',')}], the model needs [rows, ${featureCount(arch)}]`,
    );
  return predictShares(p, arch, w, p.reshape(x, [rows, ...arch.inputShape]), options);
}

/**
 * The `train` op: features x [N, inputs] and labels y [N, outputs] (one-hot for softmax models);
 * returns the trained weights as one flat share [W].
 */
export async function trainJob<S extends Share>(
  p: Protocol<S>,
  arch: ModelArchitecture,
  x: S,
  y: S,
  params: TrainJobParams & { fractionalBits?: number },
): Promise<S> {
  const f = params.fractionalBits ?? 16;
  const init = publicWeights(p, arch, initialWeights(arch, params.seed ?? 1), f);
  const { weights } = await trainShares(p, arch, x, y, init, { ...params, fractionalBits: f });
  return p.concat(
    weights.map((w) => p.reshape(w, [w.shape.reduce((a, b) => a * b, 1)])),
    0,
  );
}

/** The weights of a model in the flat order `predict` expects (what the model owner publishes). */
export function flatWeights(weights: ModelWeights): Float64Array {
  const out = new Float64Array(weights.reduce((a, w) => a + w.values.length, 0));
  let at = 0;
  for (const w of weights) {
    out.set(w.values, at);
    at += w.values.length;
  }
  return out;
}

/** The trained weights (opened flat values of `train`) as a tfjs model, for the requester to save. */
export function weightsToTfModel(tf: Tf, arch: ModelArchitecture, flat: ArrayLike<number>): LayersModel {
  if (flat.length !== weightCount(arch))
    throw new ModelSpecError(`the model has ${weightCount(arch)} weights, got ${flat.length} values`);
  let at = 0;
  const weights = weightShapes(arch).map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: n }, (_, i) => flat[at + i]!);
    at += n;
    return { shape, values };
  });
  return toTfModel(tf, arch, weights);
}
