/** Model conversion: each supported layer converts (and converts back to the same function), each unsupported option is an error naming the layer. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTf } from '../../src/tensor/index.js';
import { convertModel, UnsupportedModelError } from '../../src/ml/convert.js';
import { loadTfModelFiles, saveTfModelFiles } from '../../src/ml/io.js';
import { toTfModel } from '../../src/ml/to-tf.js';
import type { LayersModel } from '@tensorflow/tfjs';

const tf = await loadTf();
let seed = 1;
const init = () => tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed++ });

function sampleInput(shape: number[], batch = 4) {
  const n = batch * shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 2),
    [batch, ...shape],
  );
}

/** Converts `m`, rebuilds it in tfjs from the private spec, and checks both give the same outputs. */
function roundTrip(m: LayersModel, tol = 1e-5) {
  const c = convertModel(m);
  const back = toTfModel(tf, c.architecture, c.weights);
  const x = sampleInput(c.architecture.inputShape);
  const want = (m.predict(x) as import('@tensorflow/tfjs').Tensor).dataSync();
  const got = (back.predict(x) as import('@tensorflow/tfjs').Tensor).dataSync();
  assert.is(got.length, want.length);
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `output ${i}: ${got[i]} vs ${want[i]}`);
  return c;
}

function expectUnsupported(fn: () => unknown, layer: string, what: RegExp) {
  try {
    fn();
  } catch (err) {
    assert.instance(err, UnsupportedModelError);
    const e = err as UnsupportedModelError;
    assert.is(e.layer, layer, e.message);
    assert.match(e.message, what);
    assert.match(e.message, layer);
    return;
  }
  assert.unreachable('expected an UnsupportedModelError');
}

test('Dense with each activation, with and without bias', () => {
  for (const activation of ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const) {
    const m = tf.sequential();
    m.add(
      tf.layers.dense({
        inputShape: [5],
        units: 4,
        activation,
        kernelInitializer: init(),
        biasInitializer: init(),
      }),
    );
    m.add(tf.layers.dense({ units: 3, useBias: false, kernelInitializer: init() }));
    const c = roundTrip(m);
    assert.equal(
      c.architecture.layers.map((l) => l.kind),
      ['dense', 'dense'],
    );
    const d = c.architecture.layers[0]!;
    assert.ok(
      d.kind === 'dense' && d.activation === activation && d.useBias && d.inputDim === 5 && d.units === 4,
    );
    assert.equal(
      c.weights.map((w) => w.shape),
      [[5, 4], [4], [4, 3]],
    );
    assert.equal(c.architecture.outputShape, [3]);
  }
});

test('Conv2D (valid and same, strides), pooling, Flatten', () => {
  for (const padding of ['valid', 'same'] as const) {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [9, 6, 2],
        filters: 3,
        kernelSize: [3, 2],
        strides: [2, 1],
        padding,
        activation: 'relu',
        kernelInitializer: init(),
        biasInitializer: init(),
      }),
    );
    m.add(tf.layers.maxPooling2d({ poolSize: 2, padding }));
    m.add(tf.layers.conv2d({ filters: 2, kernelSize: 1, useBias: false, kernelInitializer: init() }));
    m.add(tf.layers.averagePooling2d({ poolSize: [2, 1], strides: 1, padding }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 2, kernelInitializer: init() }));
    const c = roundTrip(m);
    assert.equal(
      c.architecture.layers.map((l) => l.kind),
      ['conv2d', 'maxPool2d', 'conv2d', 'avgPool2d', 'flatten', 'dense'],
    );
    const conv = c.architecture.layers[0]!;
    assert.ok(conv.kind === 'conv2d');
    assert.equal(conv.kernelSize, [3, 2]);
    assert.equal(conv.strides, [2, 1]);
    assert.is(conv.padding, padding);
    const pool = c.architecture.layers[1]!;
    assert.ok(pool.kind === 'maxPool2d');
    assert.equal(pool.strides, [2, 2]);
    assert.equal(c.architecture.outputShape, [2]);
  }
});

test('Dropout is dropped; Activation, ReLU and Softmax layers become activations', () => {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [4], units: 6, kernelInitializer: init() }));
  m.add(tf.layers.dropout({ rate: 0.5 }));
  m.add(tf.layers.activation({ activation: 'tanh' }));
  m.add(tf.layers.dense({ units: 5, kernelInitializer: init() }));
  m.add(tf.layers.reLU());
  m.add(tf.layers.dense({ units: 3, kernelInitializer: init() }));
  m.add(tf.layers.softmax());
  const c = roundTrip(m);
  assert.equal(
    c.architecture.layers.map((l) => (l.kind === 'activation' ? l.activation : l.kind)),
    ['dense', 'tanh', 'dense', 'relu', 'dense', 'softmax'],
  );
});

test('BatchNormalization folds into the Dense or Conv2D before it (also across Dropout, and without a bias)', async () => {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [5, 5, 2],
      filters: 3,
      kernelSize: 2,
      useBias: false,
      kernelInitializer: init(),
    }),
  );
  m.add(tf.layers.batchNormalization({ epsilon: 0.01 }));
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 4, kernelInitializer: init(), biasInitializer: init() }));
  m.add(tf.layers.dropout({ rate: 0.3 }));
  m.add(tf.layers.batchNormalization({ scale: false }));
  // non-trivial statistics
  for (const l of m.layers) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    l.setWeights(
      l
        .getWeights()
        .map((w, i) =>
          tf.randomUniform(w.shape, i === l.getWeights().length - 1 ? 0.2 : -1, 2, 'float32', 7 + i),
        ),
    );
  }
  const c = roundTrip(m, 2e-5);
  assert.equal(
    c.architecture.layers.map((l) => l.kind),
    ['conv2d', 'activation', 'flatten', 'dense'],
  );
  const conv = c.architecture.layers[0]!;
  assert.ok(conv.kind === 'conv2d' && conv.useBias, 'folding adds a bias');
});

test('loads a model saved as model.json + weight files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'peermpc-ml-'));
  try {
    const m = tf.sequential();
    m.add(tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu', kernelInitializer: init() }));
    m.add(tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: init() }));
    await saveTfModelFiles(tf, m, dir);
    const loaded = await loadTfModelFiles(tf, join(dir, 'model.json'));
    const a = convertModel(m);
    const b = roundTrip(loaded);
    assert.equal(b.architecture, a.architecture);
    assert.equal(
      b.weights.map((w) => Array.from(w.values)),
      a.weights.map((w) => Array.from(w.values)),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('unsupported layers and options name the layer and the reason', () => {
  const seq = (...layers: import('@tensorflow/tfjs').layers.Layer[]) => {
    const m = tf.sequential();
    for (const l of layers) m.add(l);
    return m;
  };
  expectUnsupported(
    () => convertModel(seq(tf.layers.lstm({ inputShape: [4, 3], units: 2, name: 'rnn' }))),
    'rnn',
    /layer type not supported/,
  );
  expectUnsupported(
    () =>
      convertModel(
        seq(
          tf.layers.conv2d({
            inputShape: [6, 6, 1],
            filters: 1,
            kernelSize: 2,
            dilationRate: 2,
            name: 'dil',
          }),
        ),
      ),
    'dil',
    /dilationRate/,
  );
  expectUnsupported(
    () => convertModel(seq(tf.layers.dense({ inputShape: [3], units: 2, activation: 'elu', name: 'elu' }))),
    'elu',
    /activation 'elu'/,
  );
  expectUnsupported(
    () =>
      convertModel(
        seq(
          tf.layers.dense({ inputShape: [3], units: 2, activation: 'relu', name: 'd' }),
          tf.layers.batchNormalization({ name: 'bn' }),
        ),
      ),
    'bn',
    /cannot fold into 'd'.*relu/,
  );
  expectUnsupported(
    () => convertModel(seq(tf.layers.batchNormalization({ inputShape: [3], name: 'bn0' }))),
    'bn0',
    /nothing to fold/,
  );
  expectUnsupported(
    () => convertModel(seq(tf.layers.reLU({ inputShape: [3], maxValue: 6, name: 'r6' }))),
    'r6',
    /maxValue/,
  );
  expectUnsupported(
    () =>
      convertModel(
        seq(
          tf.layers.maxPooling2d({
            inputShape: [2, 4, 4],
            poolSize: 2,
            dataFormat: 'channelsFirst',
            name: 'cf',
          }),
        ),
      ),
    'cf',
    /channelsFirst/,
  );
  // what only matters in training is an error for training, fine for inference
  const reg = () =>
    seq(tf.layers.dense({ inputShape: [3], units: 2, kernelRegularizer: tf.regularizers.l2(), name: 'reg' }));
  convertModel(reg());
  expectUnsupported(() => convertModel(reg(), { purpose: 'training' }), 'reg', /kernelRegularizer/);
  const drop = () =>
    seq(tf.layers.dense({ inputShape: [3], units: 2 }), tf.layers.dropout({ rate: 0.2, name: 'drop' }));
  convertModel(drop());
  expectUnsupported(() => convertModel(drop(), { purpose: 'training' }), 'drop', /dropout/);
  const conv = () => seq(tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 1, kernelSize: 2, name: 'cv' }));
  convertModel(conv());
  expectUnsupported(
    () => convertModel(conv(), { purpose: 'training' }),
    'cv',
    /Dense layers and activations only/,
  );
  // not a chain
  const input = tf.input({ shape: [3] });
  const a = tf.layers
    .dense({ units: 2, name: 'a' })
    .apply(input) as import('@tensorflow/tfjs').SymbolicTensor;
  const b = tf.layers
    .dense({ units: 2, name: 'b' })
    .apply(input) as import('@tensorflow/tfjs').SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as import('@tensorflow/tfjs').SymbolicTensor;
  expectUnsupported(
    () => convertModel(tf.model({ inputs: input, outputs: sum })),
    'b',
    /not the previous layer/,
  );
});

test('a functional model that is a chain converts', () => {
  const input = tf.input({ shape: [3] });
  const h = tf.layers.dense({ units: 4, activation: 'relu', kernelInitializer: init() }).apply(input);
  const out = tf.layers
    .dense({ units: 2, kernelInitializer: init() })
    .apply(h) as import('@tensorflow/tfjs').SymbolicTensor;
  const c = roundTrip(tf.model({ inputs: input, outputs: out }));
  assert.equal(c.architecture.inputShape, [3]);
});

test.run();
