/**
 * `npm run bench -- ml`: private ML, all parties in this process over in-memory channels.
 *
 * Cases:
 * - `mlp inference` (n = 100): MLP 784-128-128-10 (relu, softmax) on a batch of 100; the weights
 *   are shared by one party (the model owner, party 0), the inputs by another (the data owner,
 *   party 1), the predictions opened to a third (party 2). Timed: both inputs, the forward pass and
 *   the opening. `mlp inference logits` stops before the softmax (same classes).
 * - `mlp train step` (n = 128): one SGD step (forward, softmax cross-entropy gradient, backward,
 *   update) of the same MLP on a batch of 128 shared rows.
 * - `logreg epoch` (n = 10000): one epoch of logistic regression on 10,000 x 20 shared rows, batches
 *   of 128.
 * Transports: `memory` (every party in this thread, simulate's in-memory channels: the parties'
 * CPU adds up on one core) and `threads` (one worker thread per party over MessagePorts, so the
 * parties use both cores as separate processes would).
 * Rows: {suite, case, n, protocol, parties, transport, median_ms, ops_per_s, bytes_per_party,
 * rounds, cpu_ms, kernel}, ops being rows (predictions or training rows) per second; cpu_ms (memory
 * transport) is the process CPU time of one run, all parties together: a figure a busy machine
 * distorts less than wall time. Peers (issue 6): MP-SPDZ replicated ring
 * 62 ms for the inference, CrypTen 132 ms, TF Encrypted 167 ms per training batch of 128;
 * targets on this 2-core machine: rep3 inference < 60 ms, training step < 150 ms.
 */
import { predictShares } from '../src/ml/private-model.js';
import { denseArchitecture, initialWeights } from '../src/ml/init.js';
import { flatWeights } from '../src/ml/job-ops.js';
import { publicWeights } from '../src/ml/private-training.js';
import { trainShares } from '../src/ml/train.js';
import { inputFixed } from '../src/protocols/ops/fixed.js';
import type { Protocol, Share } from '../src/protocols/protocol.js';
import { protocolFactory, protocolNames } from '../src/protocols/registry.js';
import { simulate } from '../src/protocols/simulate.js';
import { kernel } from '../src/tensor/index.js';
import {
  Barrier,
  median,
  progress,
  randomReals,
  timeParties,
  type Row,
  type SuiteOptions,
} from './harness.js';
import { runThreaded } from './ml-threads.js';

const F = 16;
const MLP = denseArchitecture([784, 128, 128, 10], 'relu', 'softmax');
const LOGREG = denseArchitecture([20, 1], 'linear', 'sigmoid');

/** One benchmark case: an untimed set-up and the timed part, run by every party. */
export interface Case {
  name: string;
  n: number;
  /** Untimed set-up on every party (shares the training data). */
  setup: (p: Protocol<Share>) => Promise<Share[]>;
  /** The timed part. */
  run: (p: Protocol<Share>, xs: Share[]) => Promise<unknown>;
}

function oneHot(rows: number, k: number, seed: number): Float64Array {
  const y = new Float64Array(rows * k);
  const r = randomReals(rows, seed);
  for (let i = 0; i < rows; i++) y[i * k + (Math.floor(((r[i]! + 1) / 2) * k) % k)] = 1;
  return y;
}

const mlpWeights = flatWeights(initialWeights(MLP, 1));
const mlpInput = randomReals(100 * 784, 3);

function inferenceCase(output: 'model' | 'logits'): Case {
  return {
    name: output === 'model' ? 'mlp inference' : 'mlp inference logits',
    n: 100,
    setup: async () => [],
    run: async (p) => {
      const self = p.session.self;
      const w = await inputFixed(p, 0, self === 0 ? mlpWeights : undefined, [mlpWeights.length], F);
      const x = await inputFixed(p, 1, self === 1 ? mlpInput : undefined, [100, 784], F);
      const y = await predictShares(p, MLP, w, x, { output });
      return p.reveal(y, [2]);
    },
  };
}

const CASES: Case[] = [
  inferenceCase('model'),
  inferenceCase('logits'),
  {
    name: 'mlp train step',
    n: 128,
    setup: async (p) => [
      await inputFixed(p, 0, p.session.self === 0 ? randomReals(128 * 784, 5) : undefined, [128, 784], F),
      await inputFixed(p, 1, p.session.self === 1 ? oneHot(128, 10, 6) : undefined, [128, 10], F),
      ...publicWeights(p, MLP, initialWeights(MLP, 1)),
    ],
    run: (p, [x, y, ...w]) =>
      trainShares(p, MLP, x!, y!, w, {
        epochs: 1,
        batchSize: 128,
        learningRate: 0.05,
      }),
  },
  {
    name: 'logreg epoch',
    n: 10_000,
    setup: async (p) => {
      const self = p.session.self;
      const x = randomReals(10_000 * 20, 7);
      const y = new Float64Array(10_000);
      for (let i = 0; i < y.length; i++) y[i] = x[i * 20]! + 0.5 * x[i * 20 + 1]! > 0 ? 1 : 0;
      // rows split across two owners
      const a = await inputFixed(p, 0, self === 0 ? x.subarray(0, 5000 * 20) : undefined, [5000, 20], F);
      const b = await inputFixed(p, 1, self === 1 ? x.subarray(5000 * 20) : undefined, [5000, 20], F);
      const ys = await inputFixed(p, 1, self === 1 ? y : undefined, [10_000, 1], F);
      return [p.concat([a, b], 0), ys];
    },
    run: (p, [x, y]) =>
      trainShares(p, LOGREG, x!, y!, publicWeights(p, LOGREG, initialWeights(LOGREG, 1)), {
        epochs: 1,
        batchSize: 128,
        learningRate: 0.5,
      }),
  },
];

/** The case named `name`. @throws RangeError for an unknown name. */
export function mlCase(name: string): Case {
  const c = CASES.find((k) => k.name === name);
  if (c === undefined) throw new RangeError(`no ml benchmark case "${name}"`);
  return c;
}

/** Where the parties run: all in this thread over in-memory channels, or one worker thread each. */
export type MlTransport = 'memory' | 'threads';

async function runInMemory(name: string, c: Case, runs: number) {
  const factory = protocolFactory(name);
  const parties = factory.defaultParties;
  const start = new Barrier(parties);
  const end = new Barrier(parties);
  const results = await simulate(
    parties,
    async (s) => {
      const p = factory.create(s);
      const xs = await c.setup(p);
      return timeParties(s, runs, start, end, () => c.run(p, xs));
    },
    { timeouts: { stepMs: 600_000, sessionMs: 3_600_000 } },
  );
  return {
    times: results[0]!.times,
    cpuMs: median(results[0]!.cpu),
    bytes: Math.round(results.reduce((a, r) => a + r.bytes, 0) / parties),
    rounds: results[0]!.rounds,
  };
}

/**
 * Runs the ml suite; returns its rows. Filters (`only`): protocol names, case names (substrings),
 * and `memory` / `threads` for the transport (default both).
 */
export async function benchMl(opts: SuiteOptions): Promise<Row[]> {
  const only = opts.only ?? [];
  const transports: MlTransport[] = ['memory', 'threads'];
  const protoFilter = only.filter((o) => protocolNames().includes(o));
  const transportFilter = only.filter((o): o is MlTransport => (transports as string[]).includes(o));
  const caseFilter = only.filter(
    (o) => !protocolNames().includes(o) && !(transports as string[]).includes(o),
  );
  const names = protoFilter.length > 0 ? protoFilter : protocolNames().filter((n) => n !== 'plaintext');
  const rows: Row[] = [];
  for (const name of names) {
    const parties = protocolFactory(name).defaultParties;
    for (const transport of transportFilter.length > 0 ? transportFilter : transports) {
      for (const c of CASES.filter(
        (k) => caseFilter.length === 0 || caseFilter.some((o) => k.name.includes(o)),
      )) {
        const runs = c.name === 'logreg epoch' ? Math.min(opts.runs, 3) : opts.runs;
        progress(`ml ${name} ${transport} ${c.name} (${runs} runs, kernel ${kernel().name})`);
        const r: { times: number[]; bytes: number; rounds: number; cpuMs?: number } =
          transport === 'memory'
            ? await runInMemory(name, c, runs)
            : await runThreaded(name, parties, c.name, runs);
        const ms = median(r.times);
        rows.push({
          suite: 'ml',
          case: c.name,
          n: c.n,
          protocol: name,
          parties,
          transport,
          median_ms: ms,
          ops_per_s: c.n / (ms / 1000),
          bytes_per_party: r.bytes,
          rounds: r.rounds,
          cpu_ms: r.cpuMs ?? null,
          kernel: kernel().name,
        });
      }
    }
  }
  return rows;
}
