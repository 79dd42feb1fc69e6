/** Plaintext tfjs reference training on the real breast-cancer data, from fixed initial weights. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs';
import { loadTf } from '../../src/tensor/index.js';
import { denseArchitecture, initialWeights } from '../../src/ml/init.js';
import { trainReference } from '../../src/ml/reference.js';
import { toTfModel } from '../../src/ml/to-tf.js';
import { trainingLoss, TrainingSpecError } from '../../src/ml/training-spec.js';
import { accuracy, loadBreastCancer, oneHot2 } from './helpers/breast-cancer.js';

const tf = await loadTf();
const data = loadBreastCancer();

function testAccuracy(
  arch: ReturnType<typeof denseArchitecture>,
  weights: Parameters<typeof toTfModel>[2],
  y: Float32Array,
) {
  const m = toTfModel(tf, arch, weights);
  const p = m.predict(tf.tensor2d(data.test.x, [data.test.rows, data.features])) as Tensor;
  return accuracy(p.dataSync(), y, data.test.rows);
}

test('the data: 455 training and 114 test rows of 30 standardised features', () => {
  assert.is(data.train.rows, 455);
  assert.is(data.test.rows, 114);
  assert.is(data.features, 30);
  let m = 0;
  for (let i = 0; i < data.train.rows; i++) m += data.train.x[i * 30]!;
  assert.ok(Math.abs(m / data.train.rows) < 1e-5);
});

test('logistic regression: loss falls every epoch, test accuracy > 95%', async () => {
  const arch = denseArchitecture([30, 1], 'linear', 'sigmoid');
  const init = initialWeights(arch, 7);
  const r = await trainReference(tf, arch, init, data.train, { epochs: 5, batchSize: 32, learningRate: 0.5 });
  for (let i = 1; i < r.losses.length; i++)
    assert.ok(r.losses[i]! < r.losses[i - 1]!, `epoch ${i}: ${r.losses.join(', ')}`);
  assert.ok(testAccuracy(arch, r.weights, data.test.y) > 0.95);
  // deterministic
  const again = await trainReference(tf, arch, init, data.train, {
    epochs: 5,
    batchSize: 32,
    learningRate: 0.5,
  });
  assert.equal(again.losses, r.losses);
});

test('MLP 30-16-2 with softmax cross-entropy: loss falls every epoch, test accuracy > 95%', async () => {
  const arch = denseArchitecture([30, 16, 2], 'relu', 'softmax');
  const r = await trainReference(
    tf,
    arch,
    initialWeights(arch, 3),
    { ...data.train, y: oneHot2(data.train.y) },
    { epochs: 5, batchSize: 32, learningRate: 0.1 },
  );
  for (let i = 1; i < r.losses.length; i++) assert.ok(r.losses[i]! < r.losses[i - 1]!, r.losses.join(', '));
  assert.ok(testAccuracy(arch, r.weights, oneHot2(data.test.y)) > 0.95);
});

test('trainingLoss: the loss follows the output activation; other models are refused', () => {
  assert.is(trainingLoss(denseArchitecture([3, 1], 'linear', 'sigmoid')), 'binaryCrossentropy');
  assert.is(trainingLoss(denseArchitecture([3, 4, 2], 'relu', 'softmax')), 'categoricalCrossentropy');
  assert.is(trainingLoss(denseArchitecture([3, 1], 'linear', 'linear')), 'meanSquaredError');
  const tanh = denseArchitecture([3, 4, 1], 'relu', 'sigmoid');
  (tanh.layers[0] as { activation: string }).activation = 'tanh';
  assert.throws(
    () => trainingLoss(tanh),
    (e: Error) => e instanceof TrainingSpecError && /dense_1.*tanh/.test(e.message),
  );
});

test.run();
