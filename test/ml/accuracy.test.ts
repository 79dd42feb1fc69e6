/**
 * Accuracy on real data (UCI breast cancer, test/data): the same model trained in plaintext tfjs
 * and privately (rep3) from the same initial weights reaches a test accuracy within 1 percentage
 * point; a tfjs-trained model converted to a private model predicts the same class as tfjs on at
 * least 99% of the test rows.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs';
import { Rep3Protocol } from '../../src/protocols/rep3/index.js';
import { simulate } from '../../src/protocols/simulate.js';
import { loadTf } from '../../src/tensor/index.js';
import { denseArchitecture, initialWeights } from '../../src/ml/init.js';
import { PrivateModel } from '../../src/ml/private-model.js';
import { trainPrivately } from '../../src/ml/private-training.js';
import { trainReference } from '../../src/ml/reference.js';
import type { ModelArchitecture, ModelWeights } from '../../src/ml/spec.js';
import { toTfModel } from '../../src/ml/to-tf.js';
import type { SgdOptions } from '../../src/ml/training-spec.js';
import { accuracy, loadBreastCancer, oneHot2, sliceRows } from './helpers/breast-cancer.js';

const tf = await loadTf();
const data = loadBreastCancer();
const testX = () => tf.tensor2d(data.test.x, [data.test.rows, data.features]);

function testAccuracy(arch: ModelArchitecture, w: ModelWeights, y: Float32Array): number {
  return accuracy((toTfModel(tf, arch, w).predict(testX()) as Tensor).dataSync(), y, data.test.rows);
}

async function compare(arch: ModelArchitecture, sgd: SgdOptions, onehot: boolean, what: string) {
  const init = initialWeights(arch, 7);
  const train = onehot ? { ...data.train, y: oneHot2(data.train.y) } : data.train;
  const yTest = onehot ? oneHot2(data.test.y) : data.test.y;
  const ref = await trainReference(tf, arch, init, train, sgd);
  const split = 250;
  const out = await simulate(3, async (s) =>
    trainPrivately(
      new Rep3Protocol(s),
      arch,
      {
        dataOwners: [
          { party: 0, rows: split },
          { party: 1, rows: train.rows - split },
        ],
        requester: 2,
      },
      s.self === 0
        ? sliceRows(train, 0, split)
        : s.self === 1
          ? sliceRows(train, split, train.rows)
          : undefined,
      init,
      sgd,
    ),
  );
  const plain = testAccuracy(arch, ref.weights, yTest);
  const priv = testAccuracy(arch, out[2]!.weights, yTest);
  console.log(
    `  ${what}: test accuracy plaintext tfjs ${(100 * plain).toFixed(2)}%, private rep3 ${(100 * priv).toFixed(2)}%`,
  );
  assert.ok(Math.abs(plain - priv) <= 0.01, `${what}: ${plain} vs ${priv}`);
  assert.ok(priv > 0.9);
}

test('logistic regression: private and plaintext test accuracy within 1 point', async () => {
  await compare(
    denseArchitecture([30, 1], 'linear', 'sigmoid'),
    { epochs: 5, batchSize: 32, learningRate: 0.5 },
    false,
    'logistic regression',
  );
});

test('MLP 30-16-2 (relu, softmax): private and plaintext test accuracy within 1 point', async () => {
  await compare(
    denseArchitecture([30, 16, 2], 'relu', 'softmax'),
    { epochs: 5, batchSize: 32, learningRate: 0.1 },
    true,
    'MLP 30-16-2',
  );
});

test('a tfjs-trained MLP converted to a private model predicts as tfjs on >= 99% of test rows', async () => {
  const m = tf.sequential();
  m.add(
    tf.layers.dense({
      inputShape: [30],
      units: 16,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    }),
  );
  m.add(
    tf.layers.dense({
      units: 8,
      activation: 'tanh',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
    }),
  );
  m.add(
    tf.layers.dense({
      units: 2,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
    }),
  );
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  await m.fit(
    tf.tensor2d(data.train.x, [data.train.rows, 30]),
    tf.tensor2d(oneHot2(data.train.y), [data.train.rows, 2]),
    {
      epochs: 10,
      batchSize: 32,
      shuffle: false,
      verbose: 0,
    },
  );
  const want = (m.predict(testX()) as Tensor).dataSync();
  const owner = PrivateModel.fromTf(m);
  const roles = { modelOwner: 0, dataOwner: 1, requester: 2 };
  const out = await simulate(3, async (s) => {
    const model = s.self === 0 ? owner : PrivateModel.fromArchitecture(owner.architecture);
    const y = await model.predict(new Rep3Protocol(s), roles, s.self === 1 ? data.test.x : undefined, {
      rows: data.test.rows,
    });
    return y?.dataSync();
  });
  const got = out[2]!;
  let agree = 0;
  let maxDiff = 0;
  for (let i = 0; i < data.test.rows; i++) {
    if (got[2 * i + 1]! > got[2 * i]! === want[2 * i + 1]! > want[2 * i]!) agree++;
    maxDiff = Math.max(maxDiff, Math.abs(got[2 * i]! - want[2 * i]!));
  }
  console.log(
    `  converted MLP: ${agree}/${data.test.rows} test rows agree with tfjs; max probability difference ${maxDiff.toExponential(2)}`,
  );
  assert.ok(agree / data.test.rows >= 0.99);
  assert.ok(maxDiff < 2e-3);
});

test.run();
