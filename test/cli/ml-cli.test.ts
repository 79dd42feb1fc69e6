/**
 * `peermpc job run --predict` and `--train` through the real binary, against real daemons on
 * 127.0.0.1 (issue 13): clinics a and b own rows, c only computes, the scientist owns the model
 * and is the requester. Predict releases tfjs's predictions (within a fixed-point bound); train
 * saves a tfjs model directory that loads with tfjs and predicts as the released weights do; usage
 * errors are one line with exit 2, before any job; a program file's binding error says which input
 * got which dataset.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../src/polyfills.js';
import { ProgramBuilder } from '../../src/jobs/program/builder.js';
import type { Params } from '../../src/jobs/program/types.js';
import type { JobOutputValue, JobRecord } from '../../src/jobs/store.js';
import { registerMlOps } from '../../src/ml/job-catalogue.js';
import {
  convertModel,
  denseArchitecture,
  flatWeights,
  initialWeights,
  loadTfModelFiles,
  saveTfModelFiles,
  trainReference,
  weightsToTfModel,
} from '../../src/ml/index.js';
import { loadTf } from '../../src/tensor/index.js';
import { cleanupAll, startNetwork, type DemoDaemon, type DemoNetwork } from '../../scripts/demo-network.js';
import { runCli, type CliResult } from '../cli-helpers.js';
import { within } from '../jobs/helpers/daemons.js';

const tf = await loadTf();
registerMlOps(); // the program file below is built (and validated) here
const GUARD_MS = 120_000; // only so that a broken test fails instead of hanging
const COLUMNS = ['f1', 'f2', 'f3', 'y'];
/** Fixed-point bound of the predictions (f = 16, ulp 1.5e-5): inputs and weights rounded to half an ulp, one truncation per layer and the sigmoid's 4 ulp (docs/ML.md) stay below 1e-4 here. */
const PREDICT_BOUND = 1e-3;
/** Trained weights vs the plaintext SGD reference (test/ml/job-catalogue.test.ts's bound). */
const TRAIN_BOUND = 2e-3;

/** Deterministic rows: three features in [-2, 2] and a 0/1 label that depends on them. */
function rows(n: number, k: number): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const f = [Math.sin(i * 1.7 + k), Math.cos(i * 0.9 + 2 * k), Math.sin(i * 0.4 - k) * 2].map(
      (v) => Math.round(v * 1000) / 1000,
    );
    return [...f, f[0]! - 0.5 * f[1]! + 0.3 * f[2]! > 0 ? 1 : 0];
  });
}
const csv = (t: number[][]): string => [COLUMNS.join(','), ...t.map((r) => r.join(','))].join('\n') + '\n';
const A_ROWS = rows(12, 1);
const B_ROWS = rows(10, 2);

let net: DemoNetwork;
let root: string;
let a: DemoDaemon, b: DemoDaemon, sci: DemoDaemon;
let trio: string;

/** Models on disk: an MLP 3-4-1 (relu, sigmoid), a logistic 3-1, an elu (unsupported), a tanh-hidden architecture. */
async function saveModels(): Promise<void> {
  const dense = (units: number, activation: 'relu' | 'sigmoid' | 'elu', seed: number, first = false) =>
    tf.layers.dense({
      ...(first ? { inputShape: [3] } : {}),
      units,
      activation,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      biasInitializer: tf.initializers.constant({ value: 0.1 }),
    });
  const models = {
    mlp: [dense(4, 'relu', 1, true), dense(1, 'sigmoid', 2)],
    logistic: [dense(1, 'sigmoid', 3, true)],
    elu: [dense(2, 'elu', 4, true)],
  };
  for (const [name, layers] of Object.entries(models))
    await saveTfModelFiles(tf, tf.sequential({ layers }), join(root, name));
  const tanh = denseArchitecture([3, 2, 1], 'relu', 'sigmoid');
  writeFileSync(join(root, 'tanh-arch.json'), JSON.stringify(tanh).replace('"relu"', '"tanh"'));
}

test.before(async () => {
  root = mkdtempSync(join(tmpdir(), 'peermpc-ml-cli-'));
  await saveModels();
  const jobs = { stepMs: 5_000, connectMs: 5_000, proposeMs: 5_000, sweepMs: 200 };
  net = await within(GUARD_MS, 'starting the network', () => startNetwork(['a', 'b', 'c', 'sci'], { jobs }));
  [a, b, sci] = [net.get('a'), net.get('b'), net.get('sci')];
  trio = ['a', 'b', 'c'].map((n) => net.get(n).peerId).join(',');
  for (const [d, t] of [[a, A_ROWS] as const, [b, B_ROWS] as const]) {
    const name = `clinic-${d.name}`;
    writeFileSync(join(root, `${name}.csv`), csv(t));
    await d.client.addDataset({ csvPath: join(root, `${name}.csv`), name });
    await setPolicy(d, name, ['predict', 'train']);
  }
});

/** Approved by policy, rows 1 (predict and train release row-level values), computed by a, b, c. */
function setPolicy(d: DemoDaemon, dataset: string, outputs: string[]): Promise<unknown> {
  const policy = { approval: 'auto', minRows: 1, outputs, computeParties: trio.split(',') };
  return d.client.request('PUT', `/policies/${dataset}`, policy);
}

test.after(async () => {
  await net?.stop();
  await cleanupAll();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** `job run` and the words of `line` (paths here have no spaces). */
const args = (line: string): string[] => ['job', 'run', ...line.trim().split(/\s+/)];

/** `peermpc <args> -d <the scientist's data dir>`. */
const cli = (argv: string[]): Promise<CliResult> =>
  runCli([...argv, '-d', sci.dataDir], { timeoutMs: 60_000 });

/** Runs `tasks`, at most `n` at a time (each is a process of its own); results in order. */
async function pool<T>(tasks: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < tasks.length; i = next++) out[i] = await tasks[i]!();
  };
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}

/** The stderr lines of a usage error: exactly one, nothing on stdout, exit 2. */
function usageLine(r: CliResult, what: string): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.is(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.is(lines.length, 1, `${what}: ${r.stderr}`);
  assert.is(r.stdout, '', what);
  assert.match(lines[0]!, /^error: .* \(see: peermpc job run --help\)$/, what);
  return lines[0]!;
}

test('predict: --export-weights, the weights published, then the released predictions = tfjs within 1e-3', () =>
  within(GUARD_MS, 'predict', async () => {
    const csvPath = join(root, 'weights.csv');
    const exported = await cli(args(`--predict ${root}/mlp --export-weights ${csvPath}`));
    assert.is(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, 'wrote the 21 weights');
    const model = await loadTfModelFiles(tf, join(root, 'mlp', 'model.json'));
    const want = Array.from(flatWeights(convertModel(model).weights));
    const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
    assert.is(lines[0], 'weight');
    assert.equal(lines.slice(1).map(Number), want);
    await sci.client.addDataset({ csvPath, name: 'mlp-weights' });
    await setPolicy(sci, 'mlp-weights', ['predict']);

    const r = await cli(
      args(
        `--predict ${root}/mlp/model.json --dataset ${a.peerId}/clinic-a --features f1,f2,f3 --weights ${sci.peerId}/mlp-weights --compute ${trio} --json`,
      ),
    );
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { state: string; result: JobOutputValue[] };
    assert.is(out.state, 'done');
    const [pred] = out.result;
    assert.is(pred!.name, 'predictions');
    assert.equal(pred!.shape, [A_ROWS.length, 1]);
    const ref = (model.predict(tf.tensor2d(A_ROWS.map((row) => row.slice(0, 3)))) as Tensor).dataSync();
    ref.forEach((v, i) =>
      assert.ok(Math.abs(pred!.values[i]! - v) <= PREDICT_BOUND, `row ${i}: ${pred!.values[i]} vs tfjs ${v}`),
    );
  }));

test('train --out: a tfjs model directory that loads with tfjs and predicts as the released weights', () =>
  within(GUARD_MS, 'train', async () => {
    const out = join(root, 'trained');
    const hp = { epochs: 2, batchSize: 4, learningRate: 0.5, seed: 3 };
    const r = await cli(
      args(
        `--train ${root}/logistic --labels y --features f1,f2,f3 --dataset ${a.peerId}/clinic-a --dataset ${b.peerId}/clinic-b --epochs 2 --batch-size 4 --learning-rate 0.5 --seed 3 --out ${out} --compute ${trio}`,
      ),
    );
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, `trained model (4 weights) saved to ${out}: model.json and weights.bin`);
    const id = /job ([0-9a-f]{32})/.exec(r.stderr)![1]!;
    const record = await sci.client.request<JobRecord>('GET', `/jobs/${id}`);
    const released = record.result!.find((o) => o.name === 'weights')!.values as number[];

    // the private SGD is the plaintext one (the hyperparameters reached the job)
    const arch = denseArchitecture([3, 1], 'linear', 'sigmoid');
    const all = [...A_ROWS, ...B_ROWS];
    const ref = await trainReference(
      tf,
      arch,
      initialWeights(arch, hp.seed),
      {
        x: Float32Array.from(all.flatMap((row) => row.slice(0, 3))),
        y: Float32Array.from(all.map((row) => row[3]!)),
        rows: all.length,
      },
      hp,
    );
    flatWeights(ref.weights).forEach((v, i) =>
      assert.ok(Math.abs(released[i]! - v) <= TRAIN_BOUND, `weight ${i}: ${released[i]} vs ${v}`),
    );

    // the saved directory is tfjs's format and holds exactly the released weights
    const saved = await loadTfModelFiles(tf, join(out, 'model.json'));
    const expected = weightsToTfModel(tf, arch, released);
    const x = tf.tensor2d(all.map((row) => row.slice(0, 3)));
    const got = (saved.predict(x) as Tensor).dataSync();
    const want = (expected.predict(x) as Tensor).dataSync();
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-6, `prediction ${i}: ${v} vs ${want[i]}`));
    const savedFlat = saved.getWeights().flatMap((w) => Array.from(w.dataSync()));
    savedFlat.forEach((v, i) => assert.ok(Math.abs(v - released[i]!) <= 1e-6 * Math.max(1, Math.abs(v))));

    // --out is now not empty: refused without --force, before any job; --force passes that check
    const again = await cli(
      args(`--train ${root}/logistic --labels y --dataset ${a.peerId}/clinic-a --out ${out}`),
    );
    assert.match(
      usageLine(again, 'non-empty --out'),
      `--out "${out}" exists and is not empty (--force writes`,
    );
    const forced = await cli(
      args(`--train ${root}/logistic --labels y --dataset ${a.peerId}/nope --out ${out} --force`),
    );
    assert.is(forced.code, 1, forced.stderr);
    assert.not.match(forced.stderr, '--out');
  }));

test('usage errors: one line naming the option and the problem, exit 2, no job', () =>
  within(GUARD_MS, 'usage errors', async () => {
    const before = (await sci.client.request<{ jobs: unknown[] }>('GET', '/jobs')).jobs.length;
    const [A, B, S] = [a.peerId, b.peerId, sci.peerId];
    const predict = `--predict ${root}/mlp --dataset ${A}/clinic-a --weights ${S}/mlp-weights`;
    const prog = join(root, 'predict.json'); // inputs: model (weight), data (f1, f2, f3)
    const arch = denseArchitecture([3, 1], 'linear', 'sigmoid') as unknown as Params;
    const pb = new ProgramBuilder();
    const [model, data] = [pb.input('model', ['weight']), pb.input('data', ['f1', 'f2', 'f3'])];
    writeFileSync(
      prog,
      JSON.stringify(pb.output('p', pb.node('predict', [data, model], { architecture: arch })).build()),
    );
    const has = `(it has f1, f2, f3, y)`;
    const takes = 'the model takes 3 feature(s) (input shape [3]) but';
    const cases: Array<[string, string, string | RegExp]> = [
      [
        '--out without --train',
        `--out ${root}/x --dataset ${A}/clinic-a --stats mean`,
        'error: --out needs --train',
      ],
      ['--predict with --stats', `${predict} --stats mean`, '--predict cannot go with --stats'],
      ['--predict and --train', `--predict ${root}/mlp --train ${root}/mlp`, 'cannot go together'],
      [
        'unreadable model',
        predict.replace('/mlp', '/nope.json'),
        `"${root}/nope.json": cannot read it (ENOENT)`,
      ],
      [
        'unsupported model',
        predict.replace('/mlp', '/elu'),
        /: unsupported model: layer '.+' \(Dense\): activation 'elu' is not/,
      ],
      [
        'untrainable',
        `--train ${root}/tanh-arch.json --labels y`,
        /tanh-arch.json": cannot be trained privately: .*tanh/,
      ],
      [
        '--train without --labels',
        `--train ${root}/mlp --dataset ${A}/clinic-a`,
        '--train needs --labels <columns>',
      ],
      [
        '--predict without --weights',
        `--predict ${root}/mlp --dataset ${A}/clinic-a`,
        '--predict needs --weights',
      ],
      ['--labels with --predict', `${predict} --labels y`, '--labels needs --train, not --predict'],
      [
        'unknown label column',
        `--train ${root}/logistic --labels z --dataset ${A}/clinic-a`,
        `label column "z" is not in ${A}/clinic-a ${has}`,
      ],
      [
        'features (all columns) do not fit',
        predict,
        `${takes} ${A}/clinic-a has 4 column(s): f1, f2, f3, y; pick them with --features`,
      ],
      [
        'features named do not fit',
        `${predict} --features f1,f2`,
        `${takes} --features names 2 column(s): f1, f2`,
      ],
      [
        'weights of another shape',
        `--predict ${root}/mlp --dataset ${A}/clinic-a --features f1,f2,f3 --weights ${B}/clinic-b`,
        `--weights ${B}/clinic-b has 4 columns (f1, f2, f3, y); the weights are one column`,
      ],
      [
        'fewer datasets than inputs',
        `${prog} --dataset ${A}/clinic-a`,
        `the program has 2 input(s) but 1 dataset(s) were named; inputs bind to --dataset in order: model <- ${A}/clinic-a, data <- (none)`,
      ],
      [
        'datasets in the wrong order',
        `${prog} --dataset ${A}/clinic-a --dataset ${S}/mlp-weights`,
        `program input model (the 1st) got the 1st dataset, ${A}/clinic-a, which has no column "weight" ${has}; inputs bind to --dataset in order: model <- ${A}/clinic-a, data <- ${S}/mlp-weights`,
      ],
    ];
    const results = await pool(
      cases.map((c) => () => cli(args(c[1]))),
      4,
    );
    cases.forEach(([what, , expected], i) => assert.match(usageLine(results[i]!, what), expected, what));
    const after = (await sci.client.request<{ jobs: unknown[] }>('GET', '/jobs')).jobs.length;
    assert.is(after, before, 'a usage error submitted a job');
    const help = await runCli(['job', 'run', '--help']);
    assert.match(help.stdout, 'inputs bind to the --dataset flags in order');
    assert.match(help.stdout, '--predict <model>');
  }));

test.run();
