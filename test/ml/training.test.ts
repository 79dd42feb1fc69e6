/**
 * Private training on the real breast-cancer data (rep3, rows split across two data owners): the
 * loss falls every epoch, the requester alone receives a model it can save, and neither data owner
 * receives the other's rows or the trained weights in the clear.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs';
import { PlaintextProtocol } from '../../src/protocols/plaintext/index.js';
import { Rep3Protocol } from '../../src/protocols/rep3/index.js';
import { simulate } from '../../src/protocols/simulate.js';
import { encodeFixed, loadTf } from '../../src/tensor/index.js';
import { denseArchitecture, initialWeights } from '../../src/ml/init.js';
import { loadTfModelFiles, saveTfModelFiles } from '../../src/ml/io.js';
import { trainPrivately } from '../../src/ml/private-training.js';
import { TrainingSpecError } from '../../src/ml/training-spec.js';
import { loadBreastCancer, sliceRows } from './helpers/breast-cancer.js';
import { recording, wordsSeen, type Received } from '../helpers/recording.js';

const tf = await loadTf();
const data = loadBreastCancer();
const SPLIT = 200;

test('logistic regression, rows split across two owners: loss falls every epoch; only the requester gets the model', async () => {
  const arch = denseArchitecture([30, 1], 'linear', 'sigmoid');
  const init = initialWeights(arch, 5);
  const a = sliceRows(data.train, 0, SPLIT);
  const b = sliceRows(data.train, SPLIT, data.train.rows);
  const logs: Received[][] = [[], [], []];
  const roles = {
    dataOwners: [
      { party: 0, rows: SPLIT },
      { party: 1, rows: data.train.rows - SPLIT },
    ],
    requester: 2,
  };
  const out = await simulate(3, async (s) => {
    const p = new Rep3Protocol(recording(s, logs[s.self]!));
    const local = s.self === 0 ? a : s.self === 1 ? b : undefined;
    return trainPrivately(p, arch, roles, local, init, {
      epochs: 4,
      batchSize: 32,
      learningRate: 0.5,
      reportLoss: true,
    });
  });
  assert.is(out[0], undefined);
  assert.is(out[1], undefined);
  const r = out[2]!;
  assert.is(r.losses!.length, 4);
  for (let i = 1; i < 4; i++) assert.ok(r.losses![i]! < r.losses![i - 1]!, `losses ${r.losses!.join(', ')}`);
  assert.ok(r.losses![0]! < 0.2);

  // what the data owners received: never the other owner's rows, the trained weights or the losses in the clear
  const big = (ws: BigUint64Array) => [...ws].filter((w) => w > 4096n && w < 2n ** 64n - 4096n);
  const rowsA = big(encodeFixed(a.x, [a.x.length]).data);
  const rowsB = big(encodeFixed(b.x, [b.x.length]).data);
  const trained = big(
    encodeFixed(
      r.weights.flatMap((w) => Array.from(w.values)),
      [31],
    ).data,
  );
  const seen0 = wordsSeen(logs[0]!);
  const seen1 = wordsSeen(logs[1]!);
  assert.ok(rowsA.length > 1000 && rowsB.length > 1000 && trained.length > 10);
  assert.ok(!rowsB.some((w) => seen0.has(w)), 'owner 0 received owner 1 rows');
  assert.ok(!rowsA.some((w) => seen1.has(w)), 'owner 1 received owner 0 rows');
  assert.ok(!trained.some((w) => seen0.has(w) || seen1.has(w)), 'an owner received the trained weights');
  const lastStep = Math.max(...logs[2]!.map((m) => m.step));
  assert.ok(!logs[0]!.some((m) => m.step === lastStep) && !logs[1]!.some((m) => m.step === lastStep));

  // the requester's model saves and loads as a tfjs model with the same predictions
  const dir = await mkdtemp(join(tmpdir(), 'peermpc-train-'));
  try {
    await saveTfModelFiles(tf, r.model, dir);
    const back = await loadTfModelFiles(tf, join(dir, 'model.json'));
    const x = tf.tensor2d(data.test.x, [data.test.rows, 30]);
    const p1 = (r.model.predict(x) as Tensor).dataSync();
    const p2 = (back.predict(x) as Tensor).dataSync();
    assert.equal(Array.from(p2), Array.from(p1));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('MLP with softmax cross-entropy on the plaintext protocol: loss falls every epoch', async () => {
  const arch = denseArchitecture([30, 8, 2], 'relu', 'softmax');
  const y = new Float32Array(data.train.rows * 2);
  data.train.y.forEach((v, i) => (y[i * 2 + (v >= 0.5 ? 1 : 0)] = 1));
  const [r] = await simulate(1, async (s) =>
    trainPrivately(
      new PlaintextProtocol(s),
      arch,
      { dataOwners: [{ party: 0, rows: data.train.rows }], requester: 0 },
      { x: data.train.x, y },
      initialWeights(arch, 2),
      { epochs: 3, batchSize: 64, learningRate: 0.2, reportLoss: true },
    ),
  );
  const l = r!.losses!;
  for (let i = 1; i < l.length; i++) assert.ok(l[i]! < l[i - 1]!, l.join(', '));
});

test('models private training cannot train, and bad hyperparameters, are errors', async () => {
  const tanh = denseArchitecture([3, 4, 1], 'relu', 'sigmoid');
  (tanh.layers[0] as { activation: string }).activation = 'tanh';
  const run = (arch: typeof tanh, epochs = 1) =>
    simulate(1, async (s) =>
      trainPrivately(
        new PlaintextProtocol(s),
        arch,
        { dataOwners: [{ party: 0, rows: 2 }], requester: 0 },
        { x: [1, 2, 3, 4, 5, 6], y: [0, 1] },
        initialWeights(arch),
        { epochs, batchSize: 2, learningRate: 0.1 },
      ),
    );
  try {
    await run(tanh);
    assert.unreachable();
  } catch (err) {
    assert.ok(
      String(err).includes('TrainingSpecError') ||
        (err as { errors?: unknown[] }).errors?.[0] instanceof TrainingSpecError,
      String(err),
    );
  }
  try {
    await run(denseArchitecture([3, 1], 'linear', 'sigmoid'), 0);
    assert.unreachable();
  } catch (err) {
    assert.match(String(err), /epochs/);
  }
});

test.run();
