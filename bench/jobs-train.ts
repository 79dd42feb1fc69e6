/**
 * The private training row of `npm run bench -- jobs` (`train`): the `train` op of the job
 * catalogue on real daemons, an MLP 13-16-3 (ReLU, softmax) trained by minibatch SGD on three
 * owners' rows (120 each), the scientist receiving the weights: the kind of job issue 15 quotes
 * (about 17,000 rounds; 30 s between daemons before its work, 3.2 s in one process). The check
 * compares the released weights with the same training in plaintext (`trainReference`, tfjs,
 * float32): the largest difference over the largest reference weight. Fixed-point SGD drifts from
 * float32 by about as much per step (6e-3 after 45 steps, 2.7e-2 after 195), so the row also gives
 * both models' cross-entropy on the training rows (`loss`, `ref_loss`): the released model must fit
 * as well as the plaintext one.
 */
import '../src/polyfills.js';
import type { Tensor } from '@tensorflow/tfjs';
import {
  denseArchitecture,
  flatWeights,
  initialWeights,
  lossValue,
  trainReference,
  weightsToTfModel,
} from '../src/ml/index.js';
import { registerMlOps } from '../src/ml/job-catalogue.js';
import { loadTf } from '../src/tensor/index.js';
import type { Params } from '../src/jobs/program/types.js';
import { allRows, prng, round, split, type Table } from './jobs-stats-data.js';
import type { StatCase } from './jobs-stats.js';

registerMlOps(); // the scientist's program builder validates the train node here

/** The features of `classes`: 13 standardized measurements. */
export const CLASS_FEATURES = Array.from({ length: 13 }, (_, j) => `m${String(j + 1).padStart(2, '0')}`);

/** One-hot label columns of `classes`. */
export const CLASS_LABELS = ['c1', 'c2', 'c3'];

/** The architecture trained. */
export const TRAIN_ARCH = denseArchitecture([13, 16, 3], 'relu', 'softmax');

/** Hyperparameters: 15 batches per epoch, 270 SGD steps. */
export const TRAIN_HP = { epochs: 18, batchSize: 24, learningRate: 0.1, seed: 7 };

/**
 * `classes` (360 rows over three owners): 13 correlated features around 0 (3 decimals) and one of
 * three classes, drawn from a known softmax model of the features.
 */
export function classesTable(rows = 360, seed = 303): Table {
  const g = prng(seed);
  const weight = (c: number, j: number): number => Math.sin(1.3 * c + 0.7 * j);
  const parts = split(rows, 3).map((m) =>
    Array.from({ length: m }, () => {
      const common = g.n();
      const x = CLASS_FEATURES.map(() => round(0.4 * common + 0.9 * g.n(), 3));
      const logits = CLASS_LABELS.map((_, c) => x.reduce((s, v, j) => s + weight(c, j) * v, 0));
      const top = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - top));
      let u = g.u() * e.reduce((a, b) => a + b, 0);
      let k = 0;
      while (k < 2 && u >= e[k]!) u -= e[k++]!;
      return [...x, ...CLASS_LABELS.map((_, c) => (c === k ? 1 : 0))];
    }),
  );
  return { columns: [...CLASS_FEATURES, ...CLASS_LABELS], parts };
}

let reference: Promise<number[]> | undefined;

/** The plaintext training's flat weights on all rows of `t` (computed once). */
export function referenceWeights(t: Table): Promise<number[]> {
  reference ??= (async () => {
    const tf = await loadTf();
    const rows = allRows(t);
    const nf = CLASS_FEATURES.length;
    const ref = await trainReference(
      tf,
      TRAIN_ARCH,
      initialWeights(TRAIN_ARCH, TRAIN_HP.seed),
      {
        x: Float32Array.from(rows.flatMap((r) => r.slice(0, nf))),
        y: Float32Array.from(rows.flatMap((r) => r.slice(nf))),
        rows: rows.length,
      },
      TRAIN_HP,
    );
    return Array.from(flatWeights(ref.weights));
  })();
  return reference;
}

/** The mean cross-entropy of the model with flat `weights` on the rows of `t`. */
export async function trainingLoss(weights: readonly number[], t: Table): Promise<number> {
  const tf = await loadTf();
  const rows = allRows(t);
  const nf = CLASS_FEATURES.length;
  const model = weightsToTfModel(tf, TRAIN_ARCH, weights as number[]);
  const x = tf.tensor2d(rows.map((r) => r.slice(0, nf)));
  const p = model.predict(x) as Tensor;
  const loss = lossValue(
    'categoricalCrossentropy',
    p.dataSync(),
    rows.flatMap((r) => r.slice(nf)),
    rows.length,
  );
  tf.dispose([x, p]);
  model.dispose();
  return loss;
}

/** max |got - want| / max |want|: the weights' error on the scale of the largest weight. */
export function weightError(got: readonly (number | null)[], want: readonly number[]): number {
  if (got.length !== want.length) return Infinity;
  const scale = Math.max(...want.map(Math.abs));
  let worst = 0;
  want.forEach((w, i) => {
    const g = got[i];
    worst = Math.max(worst, typeof g === 'number' ? Math.abs(g - w) / scale : Infinity);
  });
  return worst;
}

/** The `train` case of the jobs bench (see the module comment); target < 8 s. */
export const TRAIN_CASE: StatCase = {
  name: 'train',
  table: 'classes',
  columns: [...CLASS_FEATURES, ...CLASS_LABELS],
  p: CLASS_FEATURES.length,
  params: `train MLP 13-16-3 relu softmax, ${TRAIN_HP.epochs} epochs, batch ${TRAIN_HP.batchSize}`,
  targetMs: 8000,
  maxRuns: 3,
  tol: 5e-2, // weights after 270 fixed-point SGD steps against float32 tfjs (2.7e-2 measured after 195), on the largest weight's scale
  nodes(b, all) {
    const params = {
      architecture: TRAIN_ARCH as unknown as Params,
      features: CLASS_FEATURES,
      labels: CLASS_LABELS,
      ...TRAIN_HP,
    };
    b.output('weights', b.node('train', [all], params));
  },
  async check(out, t) {
    const got = out('weights');
    const want = await referenceWeights(t);
    const err = weightError(got, want);
    if (!Number.isFinite(err)) return { err };
    const [loss, ref] = await Promise.all([trainingLoss(got as number[], t), trainingLoss(want, t)]);
    // a model that fits worse than the plaintext one by more than 2% is wrong, however close its weights
    return { err: loss <= ref * 1.02 ? err : Infinity, fields: { loss, ref_loss: ref } };
  },
};
