/**
 * Bounded ReLUs in a private model (src/ml/bounds.ts): the model owner's biases are checked
 * against 2^(62-2f) before sharing, the ReLU after a Dense layer then compares over 65 - f bits.
 * Checked against a float64 plaintext reference across the scales a checked model allows (biases
 * up to just below 2^30, pre-activations near zero of both signs), the bytes it saves, and the
 * refusals.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { biasLimit, checkBiasRange, linearOutputBits } from '../../src/ml/bounds.js';
import { denseArchitecture, initialWeights } from '../../src/ml/init.js';
import { PrivateModel } from '../../src/ml/private-model.js';
import type { ModelWeights } from '../../src/ml/spec.js';
import { Rep3Protocol } from '../../src/protocols/rep3/index.js';
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

test.run();
