/**
 * `predict` and `train` as job ops: type rules (bad params name the problem) and whole programs run
 * by the jobs executor on rep3, the outputs reaching the recipient only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs';
import { runProgram } from '../../src/jobs/executor/run.js';
import { ProgramBuilder } from '../../src/jobs/program/builder.js';
import type { Params } from '../../src/jobs/program/types.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import { Rep3Protocol } from '../../src/protocols/rep3/index.js';
import { simulate } from '../../src/protocols/simulate.js';
import { loadTf } from '../../src/tensor/index.js';
import {
  convertModel,
  denseArchitecture,
  flatWeights,
  initialWeights,
  trainReference,
  weightsToTfModel,
} from '../../src/ml/index.js';
import { registerMlOps } from '../../src/ml/job-catalogue.js';

const tf = await loadTf();
registerMlOps();
registerMlOps(); // idempotent

async function runJob(
  program: ReturnType<ProgramBuilder['build']>,
  tables: Record<string, { owner: number; rows: number[][] }>,
  recipient: number,
) {
  const rows = Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, v.rows.length]));
  const checked = validateProgram(program, { rows });
  const owners = Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, v.owner]));
  const results = await simulate(3, async (s) => {
    const mine = Object.entries(tables).filter(([, v]) => v.owner === s.self);
    return runProgram({
      protocol: new Rep3Protocol(s),
      checked,
      owners,
      values: Object.fromEntries(mine.map(([k, v]) => [k, v.rows.flat()])),
      recipient,
      fractionalBits: 16,
    });
  });
  results.forEach((r, i) => assert.is(r.outputs === undefined, i !== recipient, `party ${i} outputs`));
  return results[recipient]!.outputs!;
}

test("predict: the model owner's weight table and the data owner's table give tfjs's predictions", async () => {
  const m = tf.sequential();
  m.add(
    tf.layers.dense({
      inputShape: [3],
      units: 4,
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
  const w = Array.from(flatWeights(weights), (v) => [v]);
  const data = Array.from({ length: 6 }, (_, i) => [Math.sin(i), Math.cos(i), 0.5, i / 3]); // extra column 'id'
  const b = new ProgramBuilder();
  const d = b.input('data', ['a', 'b', 'c', 'id']);
  const wt = b.input('model', ['w']);
  b.output(
    'pred',
    b.node('predict', [d, wt], {
      architecture: architecture as unknown as Params,
      features: ['a', 'b', 'c'],
    }),
  );
  const [out] = await runJob(b.build(), { data: { owner: 1, rows: data }, model: { owner: 0, rows: w } }, 2);
  assert.equal(out!.shape, [6, 2]);
  const want = (m.predict(tf.tensor2d(data.map((r) => r.slice(0, 3)))) as Tensor).dataSync();
  want.forEach((v, i) => assert.ok(Math.abs(out!.values[i]! - v) < 1e-3));
});

test("train: rows of two owners; the recipient's weights = the plaintext reference and load as a tfjs model", async () => {
  const arch = denseArchitecture([2, 1], 'linear', 'sigmoid');
  const rows = Array.from({ length: 48 }, (_, i) => {
    const x1 = Math.sin(i * 0.9);
    const x2 = Math.cos(i * 1.3);
    return [x1, x2, x1 - x2 > 0 ? 1 : 0];
  });
  const hp = { epochs: 3, batchSize: 8, learningRate: 0.5, seed: 4 };
  const b = new ProgramBuilder();
  const h1 = b.input('h1', ['x1', 'x2', 'y']);
  const h2 = b.input('h2', ['x1', 'x2', 'y']);
  const params = { architecture: arch as unknown as Params, features: ['x1', 'x2'], labels: ['y'], ...hp };
  b.output('weights', b.node('train', [h1, h2], params));
  const [out] = await runJob(
    b.build(),
    { h1: { owner: 0, rows: rows.slice(0, 20) }, h2: { owner: 1, rows: rows.slice(20) } },
    2,
  );
  const ref = await trainReference(
    tf,
    arch,
    initialWeights(arch, 4),
    {
      x: Float32Array.from(rows.flatMap((r) => r.slice(0, 2))),
      y: Float32Array.from(rows.map((r) => r[2]!)),
      rows: rows.length,
    },
    hp,
  );
  const refFlat = flatWeights(ref.weights);
  refFlat.forEach((v, i) => assert.ok(Math.abs(out!.values[i]! - v) < 2e-3, `weight ${i}`));
  const model = weightsToTfModel(tf, arch, out!.values as number[]);
  assert.is((model.predict(tf.tensor2d([[1, -1]])) as Tensor).shape.join(','), '1,1');
});

test('type rules: the architecture, columns, counts and hyperparameters are checked', () => {
  const arch = denseArchitecture([2, 1], 'linear', 'sigmoid') as unknown as Params;
  const bad = (node: (b: ProgramBuilder, t: ReturnType<ProgramBuilder['input']>) => void, rx: RegExp) => {
    const b = new ProgramBuilder();
    const t = b.input('t', ['x1', 'x2', 'y']);
    node(b, t);
    assert.throws(() => validateProgram(b.build(), { rows: { t: 10, w: 5 } }), rx);
  };
  bad(
    (b, t) => b.output('o', b.node('train', [t], { architecture: arch, features: ['x1'], labels: ['y'] })),
    /takes 2 features/,
  );
  bad(
    (b, t) =>
      b.output('o', b.node('train', [t], { architecture: arch, features: ['x1', 'zz'], labels: ['y'] })),
    /column "zz"/,
  );
  bad(
    (b, t) =>
      b.output(
        'o',
        b.node('train', [t], { architecture: arch, features: ['x1', 'x2'], labels: ['y'], epochs: 0 }),
      ),
    /epochs/,
  );
  bad(
    (b, t) =>
      b.output(
        'o',
        b.node('train', [t], { architecture: { format: 'x' }, features: ['x1', 'x2'], labels: ['y'] }),
      ),
    /architecture/,
  );
  bad(
    (b, t) =>
      b.output(
        'o',
        b.node('predict', [t, b.input('w', ['w'])], { architecture: arch, features: ['x1', 'x2'] }),
      ),
    /has 3 weights, the weights table has 5 rows/,
  );
});

test.run();
