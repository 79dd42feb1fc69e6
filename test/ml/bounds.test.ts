/**
 * Bounded ReLUs in a private model (src/ml/bounds.ts): the model owner's biases are checked
 * against 2^(62-2f) before sharing, the ReLU after a Dense layer then compares over 65 - f bits.
 * Checked against a float64 plaintext reference across the scales a checked model allows (biases
 * up to just below 2^30, pre-activations near zero of both signs), the bytes it saves, and the
 * refusals.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { biasLimit, biasesReachingRelu, checkBiasRange, linearOutputBits } from '../../src/ml/bounds.js';
import { denseArchitecture, initialWeights } from '../../src/ml/init.js';
import { PrivateModel } from '../../src/ml/private-model.js';
import type { LayerSpec, ModelArchitecture, ModelWeights } from '../../src/ml/spec.js';
import { Rep3Protocol, type Rep3Share } from '../../src/protocols/rep3/index.js';
import { simulate } from '../../src/protocols/simulate.js';

const ARCH = denseArchitecture([4, 6, 3], 'relu', 'linear');

/** Weights with the given first-layer biases (the second layer's are small). */
function weightsWith(bias1: number[]): ModelWeights {
  const w = initialWeights(ARCH, 7);
  w[1] = { shape: [6], values: Float32Array.from(bias1) };
  w[3] = { shape: [3], values: Float32Array.from([0.5, -0.25, 0]) };
  return w;
}

/** relu(x W1 + b1) W2 + b2 in float64. */
function reference(w: ModelWeights, x: number[], rows: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const h: number[] = [];
    for (let j = 0; j < 6; j++) {
      let z = w[1]!.values[j]!;
      for (let i = 0; i < 4; i++) z += x[r * 4 + i]! * w[0]!.values[i * 6 + j]!;
      h.push(Math.max(z, 0));
    }
    for (let k = 0; k < 3; k++) {
      let z = w[3]!.values[k]!;
      for (let j = 0; j < 6; j++) z += h[j]! * w[2]!.values[j * 3 + k]!;
      out.push(z);
    }
  }
  return out;
}

/** A private prediction among three rep3 parties (owner 0, data 1, requester 2); bytes sent in all. */
async function predict(w: ModelWeights, x: number[], rows: number): Promise<{ y: number[]; bytes: number }> {
  const owner = new PrivateModel(ARCH, w);
  const outs = await simulate(3, async (s) => {
    const p = new Rep3Protocol(s);
    const model = s.self === 0 ? owner : PrivateModel.fromArchitecture(ARCH);
    const y = await model.predict(
      p,
      { modelOwner: 0, dataOwner: 1, requester: 2 },
      s.self === 1 ? x : undefined,
      {
        rows,
      },
    );
    return { y: y === undefined ? undefined : Array.from(y.dataSync()), bytes: s.stats.bytesSent };
  });
  return { y: outs[2]!.y!, bytes: outs.reduce((a, o) => a + o.bytes, 0) };
}

test('the limits: 2^(62-2f) for biases; a layer is bounded by its product, one bit more with a checked bias', () => {
  assert.is(biasLimit(16), 2 ** 30);
  assert.is(biasLimit(20), 2 ** 22);
  assert.is(linearOutputBits(16, false, false), 48);
  assert.is(linearOutputBits(16, true, true), 49);
  assert.is(linearOutputBits(16, true, false), 64);
  // f = 0 (integers): a product has no bound of its own
  assert.is(linearOutputBits(0, false, false), 64);
  assert.is(linearOutputBits(0, true, true), 64);
});

test('checkBiasRange accepts biases below the limit and names the layer and bias of one that is not', () => {
  checkBiasRange(ARCH, weightsWith([2 ** 30 - 64, -(2 ** 30 - 64), 0, 1e-9, -5, 3]), 16);
  for (const bad of [2 ** 30, -1.5e9, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => checkBiasRange(ARCH, weightsWith([0, 0, 0, bad, 0, 0]), 16),
      (e: Error) => e instanceof RangeError && /layer 0 \(dense\): bias 3 is .*below 2\^30/.test(e.message),
      `bias ${bad}`,
    );
  }
  // a finer fixed point has a smaller limit
  assert.throws(() => checkBiasRange(ARCH, weightsWith([0, 0, 0, 0, 0, 2 ** 22]), 20), /bias 5 .*2\^22/);
});

test('rep3: the bounded ReLU equals the float64 reference at every scale a checked bias allows', async () => {
  const rows = 5;
  const x = Array.from({ length: rows * 4 }, (_, i) => Math.sin(i * 0.7) * 3);
  // biases from just below the limit to tiny, both signs; hidden units 4 and 5 get no input, so
  // their pre-activations are +-1e-3 exactly: near zero. Weights are powers of two (exact in
  // fixed point); the next layer's products stay below 2^62 (0.5 * 2^30 in reals).
  const w1 = new Float32Array(24);
  [0.5, 0.25, 0.125, -0.5].forEach((v, i) => {
    w1[i * 6 + 0] = v;
    w1[i * 6 + 1] = -v;
    w1[i * 6 + 2] = v / 2;
    w1[i * 6 + 3] = v;
  });
  const w2 = new Float32Array(18);
  [0.5, 0.5, 0.5, 0.5, 1, 1].forEach((v, j) => (w2[j * 3 + Math.floor(j / 2)] = v));
  const w: ModelWeights = [
    { shape: [4, 6], values: w1 },
    {
      shape: [6],
      values: Float32Array.from([2 ** 30 - 1024, -(2 ** 30 - 1024), 3.7e8, -2.2e5, 1e-3, -1e-3]),
    },
    { shape: [6, 3], values: w2 },
    { shape: [3], values: Float32Array.from([0.5, -0.25, 0]) },
  ];
  const { y } = await predict(w, x, rows);
  const want = reference(w, x, rows);
  for (let i = 0; i < want.length; i++) {
    // fixed point: a few ulps of 2^-16; the requester's tensor is float32: half an ulp of the value
    const tol = 2e-4 + Math.abs(want[i]!) * 2 ** -24;
    assert.ok(Math.abs(y[i]! - want[i]!) <= tol, `output ${i}: ${y[i]} vs ${want[i]}`);
  }
  // the tiny scale: relu(1e-3) + relu(-1e-3) is 1e-3 (65.5 ulps) on every row
  for (let r = 0; r < rows; r++)
    assert.ok(Math.abs(y[r * 3 + 2]! - 1e-3) < 3e-5, `row ${r}: ${y[r * 3 + 2]}`);
});

test('rep3: a checked model sends fewer bytes than the unbounded path and gives the same predictions', async () => {
  const rows = 8;
  const x = Array.from({ length: rows * 4 }, (_, i) => Math.cos(i * 0.3) * 2);
  const w = weightsWith([0.1, -0.2, 0.3, -0.4, 0.5, -0.6]);
  const bounded = await predict(w, x, rows);
  // the same model through the unbounded path: predictShares without biasChecked
  const { predictShares } = await import('../../src/ml/private-model.js');
  const { encodeFixed, decodeFixed } = await import('../../src/tensor/index.js');
  const outs = await simulate(3, async (s) => {
    const p = new Rep3Protocol(s);
    const ws = await new PrivateModel(ARCH, w).shareWeights(p, 0);
    const xs = await p.input(1, s.self === 1 ? encodeFixed(x, [rows, 4], 16) : undefined, [rows, 4]);
    const before = s.stats.bytesSent;
    const out = await p.reveal(await predictShares(p, ARCH, ws, xs), [2]);
    return {
      y: out === undefined ? undefined : Array.from(decodeFixed(out, 16)),
      bytes: s.stats.bytesSent - before,
    };
  });
  const unbounded = { y: outs[2]!.y!, bytes: outs.reduce((a, o) => a + o.bytes, 0) };
  for (let i = 0; i < unbounded.y.length; i++)
    assert.ok(Math.abs(bounded.y[i]! - unbounded.y[i]!) <= 1e-3, `output ${i}`);
  assert.ok(bounded.bytes < unbounded.bytes, `bounded ${bounded.bytes} B, unbounded ${unbounded.bytes} B`);
});

test('a bias out of range is refused on the model owner and the session fails on every party', async () => {
  const w = weightsWith([0, 0, 2e9, 0, 0, 0]);
  const err = await simulate(3, async (s) => {
    const p = new Rep3Protocol(s);
    const model = s.self === 0 ? new PrivateModel(ARCH, w) : PrivateModel.fromArchitecture(ARCH);
    const roles = { modelOwner: 0, dataOwner: 1, requester: 2 };
    await model.predict(p, roles, s.self === 1 ? [1, 2, 3, 4] : undefined, { rows: 1 });
  }).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err !== undefined, 'the prediction was refused');
  assert.match(err.message, /party 0: RangeError: layer 0 \(dense\): bias 2 is 2\.00e\+9/);
});

const conv = (activation: 'linear' | 'relu'): LayerSpec => ({
  kind: 'conv2d',
  name: 'conv',
  kernelSize: [2, 2],
  strides: [1, 1],
  padding: 'same',
  inChannels: 1,
  filters: 2,
  useBias: true,
  activation,
});
const act = (activation: 'relu' | 'linear'): LayerSpec => ({ kind: 'activation', name: 'act', activation });
const pool = (kind: 'maxPool2d' | 'avgPool2d'): LayerSpec => ({
  kind,
  name: 'pool',
  poolSize: [2, 2],
  strides: [2, 2],
  padding: 'same',
});

/**
 * conv (linear, bias) -> relu -> maxPool 'same' -> flatten -> relu -> dense (sigmoid, no bias) ->
 * relu -> dense (linear, bias: reaches no ReLU).
 */
const CNN: ModelArchitecture = {
  format: 'peermpc-model/1',
  inputShape: [4, 4, 1],
  outputShape: [3],
  layers: [
    conv('linear'),
    act('relu'),
    pool('maxPool2d'),
    { kind: 'flatten', name: 'flat' },
    act('relu'),
    { kind: 'dense', name: 'd1', inputDim: 8, units: 4, useBias: false, activation: 'sigmoid' },
    act('relu'),
    { kind: 'dense', name: 'd2', inputDim: 4, units: 3, useBias: true, activation: 'linear' },
  ],
};

/** conv (relu, bias) -> avgPool -> linear activation -> relu. */
const AVG: ModelArchitecture = {
  format: 'peermpc-model/1',
  inputShape: [4, 4, 1],
  outputShape: [2, 2, 2],
  layers: [conv('relu'), pool('avgPool2d'), act('linear'), act('relu')],
};

/** Rep3 recording the bits each ReLU compares over. */
class Recording extends Rep3Protocol {
  readonly bits: number[] = [];
  override reluInjected(a: Rep3Share, bits: number): Promise<Rep3Share> {
    this.bits.push(bits);
    return super.reluInjected(a, bits);
  }
}

/** Predicts with `arch` among three parties; the bits of each ReLU on party 0 and the requester's output. */
async function recordBits(
  arch: ModelArchitecture,
  w: ModelWeights,
): Promise<{ bits: number[]; y: number[] }> {
  const x = Array.from({ length: 16 }, (_, i) => Math.sin(i) * 2);
  const outs = await simulate(3, async (s) => {
    const p = new Recording(s);
    const model = s.self === 0 ? new PrivateModel(arch, w) : PrivateModel.fromArchitecture(arch);
    const roles = { modelOwner: 0, dataOwner: 1, requester: 2 };
    const y = await model.predict(p, roles, s.self === 1 ? x : undefined, { rows: 1 });
    return { bits: p.bits, y: y === undefined ? [] : Array.from(y.dataSync()) };
  });
  return { bits: outs[0]!.bits, y: outs[2]!.y };
}

test('the biases that reach a ReLU: through its own activation or maxPool, flatten and linear activations', () => {
  assert.equal([...biasesReachingRelu(CNN)], [0]);
  assert.equal([...biasesReachingRelu(AVG)], [0]);
  assert.equal([...biasesReachingRelu(ARCH)], [0]);
  const noRelu = denseArchitecture([4, 6, 3], 'linear', 'sigmoid');
  assert.equal([...biasesReachingRelu(noRelu)], []);
});

test('rep3: each ReLU compares over the bits its input can use; a bound is reset by avgPool and sigmoid', async () => {
  const w = initialWeights(CNN, 3);
  // the last layer reaches no ReLU: a bias far beyond 2^30 is accepted and comes out exactly
  w[w.length - 2] = { shape: [4, 3], values: new Float32Array(12) };
  w[w.length - 1] = { shape: [3], values: Float32Array.from([5e9, -3e9, 1]) };
  const cnn = await recordBits(CNN, w);
  // conv + bias -> relu: 49; after a 'same' maxPool and flatten, still 49; after sigmoid, 64
  assert.equal(cnn.bits, [49, 49, 64]);
  assert.equal(cnn.y, [Math.fround(5e9), Math.fround(-3e9), 1]);
  const avg = await recordBits(AVG, initialWeights(AVG, 4));
  // conv + bias with its own relu: 49; after avgPool (a truncated division): 64
  assert.equal(avg.bits, [49, 64]);
});

test('a large bias before a ReLU is refused even through maxPool and flatten', () => {
  const w = initialWeights(CNN, 3);
  w[1] = { shape: [2], values: Float32Array.from([0, 2 ** 31]) };
  assert.throws(
    () => checkBiasRange(CNN, w, 16),
    /layer 0 \(conv2d\): bias 1 is 2\.15e\+9; a bias before a ReLU/,
  );
});

test.run();
