/** The job-op entry points: predictJob and trainJob on shares, parameter checks, weightsToTfModel. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs';
import { PlaintextProtocol } from '../../src/protocols/plaintext/index.js';
import { Rep3Protocol } from '../../src/protocols/rep3/index.js';
import { simulate } from '../../src/protocols/simulate.js';
import { decodeFixed, encodeFixed, loadTf } from '../../src/tensor/index.js';
import {
  checkTrainJob,
  convertModel,
  denseArchitecture,
  featureCount,
  flatWeights,
  initialWeights,
  ModelSpecError,
  parseArchitecture,
  predictJob,
  trainJob,
  trainReference,
  TrainingSpecError,
  weightCount,
  weightsToTfModel,
} from '../../src/ml/index.js';

const tf = await loadTf();

test("predictJob: the model owner's weight column and the data owner's feature table give tfjs's predictions", async () => {
  const m = tf.sequential();
  m.add(
    tf.layers.dense({
      inputShape: [6],
      units: 5,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(
    tf.layers.dense({
      units: 2,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  const { architecture, weights } = convertModel(m);
  const arch = parseArchitecture(JSON.parse(JSON.stringify(architecture)));
  assert.is(featureCount(arch), 6);
  const w = flatWeights(weights);
  assert.is(w.length, weightCount(arch));
  const rows = 7;
  const x = Array.from({ length: rows * 6 }, (_, i) => Math.cos(i));
  const out = await simulate(3, async (s) => {
    const p = new Rep3Protocol(s);
    const ws = await p.input(0, s.self === 0 ? encodeFixed(w, [w.length, 1]) : undefined, [w.length, 1]);
    const xs = await p.input(1, s.self === 1 ? encodeFixed(x, [rows, 6]) : undefined, [rows, 6]);
    const y = await predictJob(p, arch, ws, xs);
    const r = await p.reveal(y, [2]);
    return r === undefined ? undefined : { v: decodeFixed(r), shape: y.shape };
  });
  assert.equal(out[2]!.shape, [rows, 2]);
  const want = (m.predict(tf.tensor2d(x, [rows, 6])) as Tensor).dataSync();
  want.forEach((v, i) => assert.ok(Math.abs(out[2]!.v[i]! - v) < 1e-3));
});

test('trainJob: flat trained weights = the plaintext reference from the same seed', async () => {
  const arch = denseArchitecture([4, 3, 1], 'relu', 'sigmoid');
  const rows = 40;
  const x = Float32Array.from({ length: rows * 4 }, (_, i) => Math.sin(i * 0.7));
  const y = Float32Array.from({ length: rows }, (_, r) => (x[r * 4]! + x[r * 4 + 1]! > 0 ? 1 : 0));
  const params = { epochs: 2, batchSize: 8, learningRate: 0.3, seed: 9 };
  assert.equal(checkTrainJob(arch, params), { features: 4, labels: 1 });
  const [flat] = await simulate(1, async (s) => {
    const p = new PlaintextProtocol(s);
    const xs = p.fromPublic(encodeFixed(x, [rows, 4]), 'A');
    const ys = p.fromPublic(encodeFixed(y, [rows, 1]), 'A');
    return decodeFixed((await p.reveal(await trainJob(p, arch, xs, ys, params), [0]))!);
  });
  const ref = await trainReference(tf, arch, initialWeights(arch, 9), { x, y, rows }, params);
  const refFlat = flatWeights(ref.weights);
  refFlat.forEach((v, i) => assert.ok(Math.abs(flat![i]! - v) < 2e-3, `weight ${i}: ${flat![i]} vs ${v}`));
  const model = weightsToTfModel(tf, arch, flat!);
  assert.is(model.layers.length, 2);
});

test('parameter checks name the problem', () => {
  assert.throws(
    () => parseArchitecture([]),
    (e: Error) => e instanceof ModelSpecError,
  );
  const bad = denseArchitecture([3, 2], 'relu', 'linear');
  bad.outputShape = [3];
  assert.throws(() => parseArchitecture(bad), /declared output shape/);
  assert.throws(
    () =>
      checkTrainJob(denseArchitecture([3, 2], 'relu', 'linear'), {
        epochs: 0,
        batchSize: 1,
        learningRate: 1,
      }),
    /epochs/,
  );
  const conv = parseArchitecture({
    format: 'peermpc-model/1',
    inputShape: [4, 4, 1],
    outputShape: [2, 2, 1],
    layers: [{ kind: 'maxPool2d', name: 'p', poolSize: [2, 2], strides: [2, 2], padding: 'valid' }],
  });
  assert.throws(
    () => checkTrainJob(conv, { epochs: 1, batchSize: 1, learningRate: 1 }),
    (e: Error) => e instanceof TrainingSpecError,
  );
  assert.throws(
    () => weightsToTfModel(tf, denseArchitecture([3, 2], 'relu', 'linear'), [1, 2]),
    /has 8 weights/,
  );
});

test.run();
