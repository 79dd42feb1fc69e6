/**
 * What private and plaintext reference training share: hyperparameters, the loss a model's last
 * activation implies, and the fixed batch order.
 *
 * Minibatch SGD: batches are consecutive rows in the given order (no shuffling inside training;
 * shuffle the rows beforehand if wanted, as a data owner would), the last batch may be smaller,
 * and each step is W -= learningRate * dLoss/dW with the loss averaged over the batch's rows.
 */
import type { ModelArchitecture } from './spec.js';

/** Hyperparameters of minibatch SGD. */
export interface SgdOptions {
  /** Passes over the training rows. */
  epochs: number;
  /** Rows per step. */
  batchSize: number;
  /** Step size. */
  learningRate: number;
}

/** Losses, by the model's last activation: sigmoid -> binary, softmax -> categorical cross-entropy, linear -> mean squared error. */
export type LossKind = 'binaryCrossentropy' | 'categoricalCrossentropy' | 'meanSquaredError';

/** Models private training accepts, or the reason it does not. */
export class TrainingSpecError extends Error {
  override readonly name = 'TrainingSpecError';
}

/**
 * The loss for `arch` (from its last layer's activation), after checking that private training can
 * train it: Dense layers with relu/linear hidden activations (or relu Activation layers), and a
 * sigmoid, softmax or linear output.
 * @throws TrainingSpecError naming the layer that cannot be trained.
 */
export function trainingLoss(arch: ModelArchitecture): LossKind {
  const layers = arch.layers;
  if (arch.inputShape.length !== 1)
    throw new TrainingSpecError(
      `training needs flat input rows, got input shape [${arch.inputShape.join(',')}]`,
    );
  if (!layers.some((l) => l.kind === 'dense'))
    throw new TrainingSpecError('the model has no Dense layer to train');
  let last: string | undefined;
  layers.forEach((l, i) => {
    const isLast = i === layers.length - 1;
    if (l.kind !== 'dense' && l.kind !== 'activation')
      throw new TrainingSpecError(
        `layer '${l.name}' (${l.kind}): private training supports Dense layers and activations only`,
      );
    if (isLast) {
      last = l.activation;
      return;
    }
    if (l.activation !== 'linear' && l.activation !== 'relu')
      throw new TrainingSpecError(
        `layer '${l.name}': hidden activation '${l.activation}' is not supported in training (relu or linear)`,
      );
  });
  switch (last) {
    case 'sigmoid':
      return 'binaryCrossentropy';
    case 'softmax':
      return 'categoricalCrossentropy';
    case 'linear':
      return 'meanSquaredError';
    default:
      throw new TrainingSpecError(
        `output activation '${String(last)}' is not supported in training (sigmoid, softmax or linear)`,
      );
  }
}

/** Checks SGD hyperparameters. @throws RangeError */
export function checkSgd(o: SgdOptions): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1)
    throw new RangeError(`epochs must be a positive integer, got ${o.epochs}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer, got ${o.batchSize}`);
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate))
    throw new RangeError(`learningRate must be a positive number, got ${o.learningRate}`);
}

/** The [start, end) row ranges of one epoch's batches. */
export function batchRanges(rows: number, batchSize: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < rows; s += batchSize) out.push([s, Math.min(rows, s + batchSize)]);
  return out;
}
