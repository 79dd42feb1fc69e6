/**
 * Plaintext reference training in tfjs: the same minibatch SGD as private training (same initial
 * weights, same batch order, same loss), for comparing accuracy and losses with the private run.
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../tensor/index.js';
import type { ModelArchitecture, ModelWeights } from './spec.js';
import { toTfModel } from './to-tf.js';
import { batchRanges, checkSgd, trainingLoss, type LossKind, type SgdOptions } from './training-spec.js';

/** Training rows: x [rows, features] and y [rows, outputs] (0/1 labels or one-hot, or targets), row-major. */
export interface TrainingRows {
  x: Float32Array;
  y: Float32Array;
  rows: number;
}

/** Result of training: the final weights and the mean training loss after each epoch. */
export interface TrainingResult {
  weights: ModelWeights;
  /** Mean loss over all training rows with the weights at the end of each epoch. */
  losses: number[];
}

/**
 * Trains `arch` from `initial` weights with plaintext minibatch SGD in tfjs.
 * @throws TrainingSpecError when the model is not trainable; RangeError on bad hyperparameters.
 */
export async function trainReference(
  tf: Tf,
  arch: ModelArchitecture,
  initial: ModelWeights,
  data: TrainingRows,
  sgd: SgdOptions,
): Promise<TrainingResult> {
  checkSgd(sgd);
  const loss = trainingLoss(arch);
  const model = toTfModel(tf, arch, initial);
  model.compile({ optimizer: tf.train.sgd(sgd.learningRate), loss });
  const inDim = arch.inputShape[0]!;
  const outDim = arch.outputShape[0]!;
  const x = tf.tensor2d(data.x, [data.rows, inDim]);
  const y = tf.tensor2d(data.y, [data.rows, outDim]);
  const losses: number[] = [];
  try {
    for (let e = 0; e < sgd.epochs; e++) {
      for (const [s, t] of batchRanges(data.rows, sgd.batchSize)) {
        const xb = x.slice([s, 0], [t - s, inDim]);
        const yb = y.slice([s, 0], [t - s, outDim]);
        await model.trainOnBatch(xb, yb);
        tf.dispose([xb, yb]);
      }
      const p = model.predict(x) as Tensor;
      losses.push(lossValue(loss, p.dataSync() as Float32Array, data.y, data.rows));
      p.dispose();
    }
    const weights = model
      .getWeights()
      .map((w) => ({ shape: [...w.shape], values: Float32Array.from(w.dataSync() as Float32Array) }));
    return { weights, losses };
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

/** Mean loss (as tfjs computes it) of predictions `p` (probabilities, or values for MSE) against targets `y`, both [rows, outputs]. */
export function lossValue(kind: LossKind, p: ArrayLike<number>, y: ArrayLike<number>, rows: number): number {
  const eps = 1e-7;
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = Math.min(1 - eps, Math.max(eps, p[i]!));
    if (kind === 'binaryCrossentropy') s -= y[i]! * Math.log(pi) + (1 - y[i]!) * Math.log(1 - pi);
    else if (kind === 'categoricalCrossentropy') s -= y[i]! * Math.log(pi);
    else s += (p[i]! - y[i]!) ** 2;
  }
  // tfjs's means: categorical cross-entropy sums over classes then averages rows; the others average every element
  return kind === 'categoricalCrossentropy' ? s / rows : s / p.length;
}
