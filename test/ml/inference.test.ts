/**
 * Private inference: converted models give tfjs's outputs within the bound (plaintext protocol for
 * conversion, rep3 for privacy); the model owner, data owner and requester see only what they
 * should (inspected on what each party's channel received).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { PlaintextProtocol } from '../../src/protocols/plaintext/index.js';
import type { Protocol, Share } from '../../src/protocols/protocol.js';
import { Rep3Protocol } from '../../src/protocols/rep3/index.js';
import { simulate } from '../../src/protocols/simulate.js';
import { encodeFixed, loadTf } from '../../src/tensor/index.js';
import { PrivateModel, type PredictRoles } from '../../src/ml/private-model.js';
import { recording, wordsSeen, type Received } from '../helpers/recording.js';

const tf = await loadTf();
let seed = 11;
const init = () => tf.initializers.randomUniform({ minval: -0.6, maxval: 0.6, seed: seed++ });

function inputRows(rows: number, shape: number[]): Float32Array {
  const n = rows * shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + 1) * 1.5);
}

function tfPredict(m: LayersModel, x: Float32Array, rows: number): Float32Array {
  const shape = m.inputs[0]!.shape.slice(1) as number[];
  return (m.predict(tf.tensor(x, [rows, ...shape])) as Tensor).dataSync() as Float32Array;
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) {
  assert.is(got.length, want.length, what);
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

/** Runs a private prediction; returns the requester's output and every party's received log. */
async function runPredict(
  parties: number,
  mk: (s: import('../../src/protocols/session.js').Session) => Protocol<Share>,
  tfModel: LayersModel,
  roles: PredictRoles,
  x: Float32Array,
  rows: number,
) {
  const logs: Received[][] = Array.from({ length: parties }, () => []);
  const owner = PrivateModel.fromTf(tfModel);
  const outs = await simulate(parties, async (s) => {
    const rs = recording(s, logs[s.self]!);
    const p = mk(rs);
    const model = s.self === roles.modelOwner ? owner : PrivateModel.fromArchitecture(owner.architecture);
    const y = await model.predict(p, roles, s.self === roles.dataOwner ? x : undefined, { rows });
    return y === undefined ? undefined : { values: y.dataSync() as Float32Array, shape: y.shape };
  });
  return { outs, logs, owner };
}

test('plaintext protocol: a CNN (conv same/valid, BN folded, max/avg pool, dense, softmax) = tfjs', async () => {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [8, 8, 2],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: init(),
      biasInitializer: init(),
    }),
  );
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh', kernelInitializer: init() }));
  m.add(tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 6, activation: 'sigmoid', kernelInitializer: init() }));
  m.add(tf.layers.dropout({ rate: 0.5 }));
  m.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init() }));
  const rows = 5;
  const x = inputRows(rows, [8, 8, 2]);
  const { outs } = await runPredict(
    1,
    (s) => new PlaintextProtocol(s),
    m,
    { modelOwner: 0, dataOwner: 0, requester: 0 },
    x,
    rows,
  );
  assert.equal(outs[0]!.shape, [rows, 3]);
  assertClose(outs[0]!.values, tfPredict(m, x, rows), 2e-3, 'cnn');
});

test('rep3, six parties: MLP (relu, tanh, softmax) = tfjs; owners and requester receive only what they should', async () => {
  const m = tf.sequential();
  m.add(
    tf.layers.dense({
      inputShape: [12],
      units: 16,
      activation: 'relu',
      kernelInitializer: init(),
      biasInitializer: init(),
    }),
  );
  m.add(tf.layers.dense({ units: 8, activation: 'tanh', kernelInitializer: init() }));
  m.add(tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: init() }));
  const rows = 9;
  const x = inputRows(rows, [12]);
  const roles = { modelOwner: 3, dataOwner: 4, requester: 5 };
  const { outs, logs } = await runPredict(
    6,
    (s) => new Rep3Protocol(s, { computeParties: [0, 1, 2] }),
    m,
    roles,
    x,
    rows,
  );
  assertClose(outs[5]!.values, tfPredict(m, x, rows), 1e-3, 'mlp');
  for (const i of [0, 1, 2, 3, 4]) assert.is(outs[i], undefined, `party ${i} got predictions`);
  // the owners are not compute parties: they receive nothing at all
  assert.is(logs[3]!.length, 0, 'the model owner received messages');
  assert.is(logs[4]!.length, 0, 'the data owner received messages');
  // the requester receives only the opening: one step, one message from each compute party
  const steps = new Set(logs[5]!.map((r) => r.step));
  assert.is(steps.size, 1);
  assert.equal(logs[5]!.map((r) => r.from).sort(), [0, 1, 2]);
});

test("rep3, owners as compute parties: no party receives the other owner's values or the predictions in the clear", async () => {
  const m = tf.sequential();
  m.add(
    tf.layers.dense({
      inputShape: [10],
      units: 12,
      activation: 'relu',
      kernelInitializer: init(),
      biasInitializer: init(),
    }),
  );
  m.add(
    tf.layers.dense({ units: 3, activation: 'sigmoid', kernelInitializer: init(), biasInitializer: init() }),
  );
  const rows = 8;
  const x = inputRows(rows, [10]);
  const roles = { modelOwner: 0, dataOwner: 1, requester: 2 };
  const { outs, logs, owner } = await runPredict(3, (s) => new Rep3Protocol(s), m, roles, x, rows);
  const want = tfPredict(m, x, rows);
  assertClose(outs[2]!.values, want, 1e-3, 'mlp');
  assert.is(outs[0], undefined);
  assert.is(outs[1], undefined);
  const enc = (v: ArrayLike<number>) =>
    [...encodeFixed(Array.from(v), [v.length]).data].filter((w) => w > 1000n && w < 2n ** 64n - 1000n);
  const weights = enc(owner.weights!.flatMap((w) => Array.from(w.values)));
  const inputs = enc(x);
  const preds = enc(outs[2]!.values);
  const seenByData = wordsSeen(logs[1]!);
  const seenByModel = wordsSeen(logs[0]!);
  assert.ok(weights.length > 100 && inputs.length > 50 && preds.length > 10);
  assert.ok(!weights.some((w) => seenByData.has(w)), 'the data owner received a weight in the clear');
  assert.ok(!preds.some((w) => seenByData.has(w)), 'the data owner received a prediction in the clear');
  assert.ok(!inputs.some((w) => seenByModel.has(w)), 'the model owner received an input in the clear');
  assert.ok(!preds.some((w) => seenByModel.has(w)), 'the model owner received a prediction in the clear');
  // the opening goes to the requester only
  const lastStep = Math.max(...logs[2]!.map((r) => r.step));
  assert.ok(!logs[0]!.some((r) => r.step === lastStep) && !logs[1]!.some((r) => r.step === lastStep));
});

test('control: the clear-value detector does see values sent in the clear (plaintext protocol)', async () => {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [4], units: 3, kernelInitializer: init(), biasInitializer: init() }));
  const rows = 4;
  const x = inputRows(rows, [4]);
  const roles = { modelOwner: 1, dataOwner: 2, requester: 2 };
  const { outs, logs, owner } = await runPredict(3, (s) => new PlaintextProtocol(s), m, roles, x, rows);
  const seen0 = wordsSeen(logs[0]!); // the plaintext compute party receives weights and inputs in the clear
  const w = encodeFixed(Array.from(owner.weights![0]!.values), [12]).data;
  assert.ok([...w].every((v) => seen0.has(v)));
  const seen2 = wordsSeen(logs[2]!);
  const preds = encodeFixed(Array.from(outs[2]!.values), [12]).data;
  assert.ok([...preds].some((v) => seen2.has(v)));
});

test('predict checks its input shape and needs the weights on the model owner', async () => {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [3], units: 2 }));
  const arch = PrivateModel.fromTf(m).architecture;
  try {
    await simulate(1, async (s) =>
      PrivateModel.fromArchitecture(arch).predict(
        new PlaintextProtocol(s),
        { modelOwner: 0, dataOwner: 0, requester: 0 },
        [1, 2, 3],
        { rows: 1 },
      ),
    );
    assert.unreachable();
  } catch (err) {
    assert.match(String(err), /model owner must hold the weights/);
  }
});

test.run();
