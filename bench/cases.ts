/**
 * Every benchmark case that runs on MPC parties, in one place: the `mpc` ops, the `ml` cases and
 * the `net` suite's `rounds`. Each transport (memory, worker threads, one process per party over
 * libp2p) runs the very same `setup` and `run` on each party (bench/party-run.ts), so a case
 * measured over the wire is the code measured in memory.
 *
 * A case is named by {@link CaseSpec} (suite, name, n), which is plain JSON: the coordinator sends
 * it to party processes, which rebuild the case with {@link benchCase}. `n` sizes the case (values,
 * matrix side, batch rows or rounds), so tests can run a small instance of any case.
 */
import { denseArchitecture, initialWeights } from '../src/ml/init.js';
import { flatWeights } from '../src/ml/job-ops.js';
import { checkBiasRange } from '../src/ml/bounds.js';
import { predictShares } from '../src/ml/private-model.js';
import { publicWeights } from '../src/ml/private-training.js';
import { trainShares, type TrainSharesResult } from '../src/ml/train.js';
import { lt, relu } from '../src/protocols/ops/compare.js';
import { inputFixed } from '../src/protocols/ops/fixed.js';
import type { Protocol, Share } from '../src/protocols/protocol.js';
import type { Session } from '../src/protocols/session.js';
import type { RingTensor } from '../src/tensor/index.js';
import { clock, randomReals } from './harness.js';

/** Fractional bits of every fixed-point input. */
export const F = 16;

/** Which suite a case belongs to. */
export type CaseSuite = 'mpc' | 'ml' | 'net';

/** The JSON name of a case: enough for a party process to rebuild it. */
export interface CaseSpec {
  suite: CaseSuite;
  /** mpc: mul, matmul, lt, relu; ml: mlp inference, mlp inference logits, mlp train step, logreg epoch, small mlp epoch; net: rounds, throughput. */
  name: string;
  /** Size: values (mul, lt, relu), matrix side (matmul), batch rows (ml), rows (logreg), rounds (rounds), MiB (throughput). */
  n: number;
}

/** What a case's code sees on one party. */
export interface CaseContext {
  /** The party's session. */
  s: Session;
  /** The protocol on that session (throws for a case run without one, such as `rounds`). */
  readonly p: Protocol<Share>;
}

/** One benchmark case, run by every party. */
export interface BenchCase extends CaseSpec {
  /** Units per op for ops_per_s (elements, multiply-adds, rows, rounds). */
  ops: number;
  /** Untimed set-up on every party (shares the inputs). */
  setup(ctx: CaseContext): Promise<Share[]>;
  /** The timed op. */
  run(ctx: CaseContext, xs: Share[]): Promise<unknown>;
  /**
   * The op's result opened (tests): ring words on the parties that receive them, undefined
   * elsewhere. Every party calls it (it may communicate).
   */
  open(ctx: CaseContext, result: unknown): Promise<RingTensor | undefined>;
}

/** What the `rounds` case's run returns: the time each round ended on this party ({@link clock}). */
export interface Laps {
  laps: number[];
}

/** Whether `v` is the result of a `rounds` run. */
export function isLaps(v: unknown): v is Laps {
  return typeof v === 'object' && v !== null && Array.isArray((v as Laps).laps);
}

/** "mul 1e6", "matmul 256", "mlp train step 128": a case's label in filters and progress lines. */
export function caseLabel(c: CaseSpec): string {
  const n = c.n >= 1e5 && Number.isInteger(Math.log10(c.n)) ? `1e${Math.log10(c.n)}` : String(c.n);
  return `${c.name} ${n}`;
}

const all = (p: Protocol<Share>): number[] => [...Array(p.session.parties).keys()];
const openShare = async (ctx: CaseContext, r: unknown): Promise<RingTensor | undefined> =>
  ctx.p.reveal(r as Share, all(ctx.p));

// ---- mpc: one op on shared fixed-point inputs ----

/** Party i % parties inputs operand i (reals in [-4, 4), seed 17 + i). */
async function shareOperands(p: Protocol<Share>, shapes: number[][]): Promise<Share[]> {
  const parties = p.session.parties;
  const xs: Share[] = [];
  for (const [i, shape] of shapes.entries()) {
    const size = shape.reduce((a, b) => a * b, 1);
    const owner = i % parties;
    const mine = p.session.self === owner ? randomReals(size, 17 + i, 4) : undefined;
    xs.push(await inputFixed(p, owner, mine, shape, F));
  }
  return xs;
}

/**
 * The bound lt and relu pass (ops/bounds.ts): the operands are reals in [-4, 4), encodings of
 * 19 bits, so 32 holds with room; it is MP-SPDZ's default sfix comparison (k = 31) plus the
 * difference's bit, the setting its figures in docs/PROTOCOLS.md were taken with.
 */
export const COMPARE_BITS = 32;

function mpcCase(name: string, n: number): BenchCase {
  const op = (
    shapes: number[][],
    ops: number,
    run: (p: Protocol<Share>, xs: Share[]) => Promise<Share>,
  ): BenchCase => ({
    suite: 'mpc',
    name,
    n,
    ops,
    setup: ({ p }) => shareOperands(p, shapes),
    run: ({ p }, xs) => run(p, xs),
    open: openShare,
  });
  switch (name) {
    case 'mul':
      return op([[n], [n]], n, (p, [a, b]) => p.mulTrunc(a!, b!, F));
    case 'matmul':
      return op(
        [
          [n, n],
          [n, n],
        ],
        n * n * n,
        (p, [a, b]) => p.matmulTrunc(a!, b!, F),
      );
    case 'lt':
      return op([[n], [n]], n, (p, [a, b]) => lt(p, a!, b!, { bits: COMPARE_BITS }));
    case 'relu':
      return op([[n]], n, (p, [a]) => relu(p, a!, { bits: COMPARE_BITS }));
    // without a bound: what a program that cannot promise one (ML layers, job programs) runs
    case 'lt64':
      return op([[n], [n]], n, (p, [a, b]) => lt(p, a!, b!));
    case 'relu64':
      return op([[n]], n, (p, [a]) => relu(p, a!));
    default:
      throw new RangeError(`no mpc benchmark case "${name}"`);
  }
}

/** The mpc suite's cases, in row order (the list). */
export const MPC_CASES: readonly CaseSpec[] = [
  ...[1e5, 1e6].map((n) => ({ suite: 'mpc' as const, name: 'mul', n })),
  ...[256, 1000].map((n) => ({ suite: 'mpc' as const, name: 'matmul', n })),
  ...[1e5, 1e6].map((n) => ({ suite: 'mpc' as const, name: 'lt', n })),
  ...[1e5, 1e6].map((n) => ({ suite: 'mpc' as const, name: 'relu', n })),
  { suite: 'mpc' as const, name: 'lt64', n: 1e5 },
  { suite: 'mpc' as const, name: 'relu64', n: 1e5 },
];

// ---- ml: private inference and training of an MLP 784-128-128-10, logistic regression ----

const MLP = denseArchitecture([784, 128, 128, 10], 'relu', 'softmax');
const LOGREG = denseArchitecture([20, 1], 'linear', 'sigmoid');
const SMALL_MLP = denseArchitecture([13, 16, 3], 'relu', 'softmax');
let mlpFlat: Float64Array | undefined;
/** The MLP's weights; their biases are checked as PrivateModel.shareWeights checks them (src/ml/bounds.ts). */
const mlpWeights = (): Float64Array => {
  if (mlpFlat === undefined) {
    const w = initialWeights(MLP, 1);
    checkBiasRange(MLP, w, F);
    mlpFlat = flatWeights(w);
  }
  return mlpFlat;
};

function oneHot(rows: number, k: number, seed: number): Float64Array {
  const y = new Float64Array(rows * k);
  const r = randomReals(rows, seed);
  for (let i = 0; i < rows; i++) y[i * k + (Math.floor(((r[i]! + 1) / 2) * k) % k)] = 1;
  return y;
}

/** Opens trained weights: every tensor flattened and concatenated, to every party. */
async function openWeights(ctx: CaseContext, r: unknown): Promise<RingTensor | undefined> {
  const { p } = ctx;
  const ws = (r as TrainSharesResult<Share>).weights.map((w) =>
    p.reshape(w, [w.shape.reduce((a, b) => a * b, 1)]),
  );
  return p.reveal(p.concat(ws, 0), all(p));
}

/**
 * MLP inference on a batch of `rows`: the weights are shared by the model owner (party 0), the
 * inputs by the data owner (party 1), the predictions opened to party 2. Timed: both inputs, the
 * forward pass and the opening. `logits` stops before the softmax. The biases are checked (as
 * PrivateModel.predict does), so the ReLUs compare over 49 bits.
 */
function inferenceCase(output: 'model' | 'logits', rows: number): BenchCase {
  return {
    suite: 'ml',
    name: output === 'model' ? 'mlp inference' : 'mlp inference logits',
    n: rows,
    ops: rows,
    setup: async () => [],
    run: async ({ p }) => {
      const self = p.session.self;
      const flat = mlpWeights();
      const w = await inputFixed(p, 0, self === 0 ? flat : undefined, [flat.length], F);
      const x = await inputFixed(p, 1, self === 1 ? randomReals(rows * 784, 3) : undefined, [rows, 784], F);
      const y = await predictShares(p, MLP, w, x, { output, biasChecked: F });
      return p.reveal(y, [2]);
    },
    open: async (_ctx, r) => r as RingTensor | undefined,
  };
}

/**
 * One epoch of SGD on `arch` over n shared rows: features from party 0, one-hot labels from party 1
 * (seeds: features, labels, initial weights), the weights public at the start.
 */
function sgdCase(
  name: string,
  n: number,
  arch: typeof MLP,
  o: { seeds: [number, number, number]; batchSize: number; learningRate: number },
): BenchCase {
  const inputs = arch.inputShape[0]!;
  const classes = arch.outputShape[0]!;
  const [xSeed, ySeed, wSeed] = o.seeds;
  return {
    suite: 'ml',
    name,
    n,
    ops: n,
    setup: async ({ p }) => [
      await inputFixed(
        p,
        0,
        p.session.self === 0 ? randomReals(n * inputs, xSeed) : undefined,
        [n, inputs],
        F,
      ),
      await inputFixed(p, 1, p.session.self === 1 ? oneHot(n, classes, ySeed) : undefined, [n, classes], F),
      ...publicWeights(p, arch, initialWeights(arch, wSeed)),
    ],
    run: ({ p }, [x, y, ...w]) =>
      trainShares(p, arch, x!, y!, w, { epochs: 1, batchSize: o.batchSize, learningRate: o.learningRate }),
    open: openWeights,
  };
}

function mlCase(name: string, n: number): BenchCase {
  switch (name) {
    case 'mlp inference':
      return inferenceCase('model', n);
    case 'mlp inference logits':
      return inferenceCase('logits', n);
    case 'mlp train step':
      // one SGD step (forward, softmax cross-entropy gradient, backward, update) on n shared rows
      return sgdCase(name, n, MLP, { seeds: [5, 6, 1], batchSize: n, learningRate: 0.05 });
    case 'small mlp epoch':
      // one epoch of an MLP 13-16-3 on n shared rows in batches of 24: small tensors, many rounds
      // (the jobs bench's train row runs 18 such epochs between daemons)
      return sgdCase(name, n, SMALL_MLP, { seeds: [8, 9, 7], batchSize: 24, learningRate: 0.1 });
    case 'logreg epoch':
      // one epoch of logistic regression on n x 20 shared rows (split across two owners), batches of 128
      return {
        suite: 'ml',
        name,
        n,
        ops: n,
        setup: async ({ p }) => {
          const self = p.session.self;
          const half = n >> 1;
          const x = randomReals(n * 20, 7);
          const y = new Float64Array(n);
          for (let i = 0; i < y.length; i++) y[i] = x[i * 20]! + 0.5 * x[i * 20 + 1]! > 0 ? 1 : 0;
          const a = await inputFixed(p, 0, self === 0 ? x.subarray(0, half * 20) : undefined, [half, 20], F);
          const b = await inputFixed(p, 1, self === 1 ? x.subarray(half * 20) : undefined, [n - half, 20], F);
          const ys = await inputFixed(p, 1, self === 1 ? y : undefined, [n, 1], F);
          return [p.concat([a, b], 0), ys];
        },
        run: ({ p }, [x, y]) =>
          trainShares(p, LOGREG, x!, y!, publicWeights(p, LOGREG, initialWeights(LOGREG, 1)), {
            epochs: 1,
            batchSize: 128,
            learningRate: 0.5,
          }),
        open: openWeights,
      };
    default:
      throw new RangeError(`no ml benchmark case "${name}"`);
  }
}

/** The ml suite's cases, in row order. */
export const ML_CASES: readonly CaseSpec[] = [
  { suite: 'ml', name: 'mlp inference', n: 100 },
  { suite: 'ml', name: 'mlp inference logits', n: 100 },
  { suite: 'ml', name: 'mlp train step', n: 128 },
  { suite: 'ml', name: 'logreg epoch', n: 10_000 },
  { suite: 'ml', name: 'small mlp epoch', n: 360 },
];

// ---- net: rounds ----

/** Bytes each party sends each other party per round of the `rounds` case. */
export const ROUND_BYTES = 8;

/**
 * `rounds`: n rounds in which every party sends {@link ROUND_BYTES} bytes to each other party and
 * waits for theirs; the run returns when each round ended here ({@link Laps}).
 */
function roundsCase(n: number): BenchCase {
  return {
    suite: 'net',
    name: 'rounds',
    n,
    ops: n,
    setup: async () => [],
    run: async ({ s }) => {
      const others = [...Array(s.parties).keys()].filter((j) => j !== s.self);
      const laps: number[] = [];
      for (let k = 0; k < n; k++) {
        const step = s.nextStep();
        const msg = new Uint8Array(ROUND_BYTES);
        new DataView(msg.buffer).setUint32(0, k);
        const got = await Promise.all([
          ...others.map((j) => s.send(j, step, msg).then(() => undefined)),
          ...others.map((j) => s.recv(j, step)),
        ]);
        s.countRound();
        for (const m of got) {
          if (
            m !== undefined &&
            (m.byteLength !== ROUND_BYTES || new DataView(m.buffer, m.byteOffset).getUint32(0) !== k)
          )
            throw new Error(`rounds: party ${s.self} got a wrong message in round ${k}`);
        }
        laps.push(clock());
      }
      return { laps } satisfies Laps;
    },
    open: async () => undefined,
  };
}

// ---- net: throughput ----

/** Bytes of one message of the `throughput` case: a share tensor of 1M words. */
export const THROUGHPUT_MESSAGE_BYTES = 8 << 20;

/**
 * `throughput`: party 0 sends n MiB to party 1 over one channel, in messages of
 * {@link THROUGHPUT_MESSAGE_BYTES} (the last one smaller), one step each, all in flight at once;
 * party 1 checks the length and the first and last byte of each, then acknowledges with one byte
 * (so that the sender's run, and its CPU, ends when everything arrived). ops = bytes, so ops_per_s
 * is bytes per second. Other parties idle.
 */
function throughputCase(n: number): BenchCase {
  const total = n * (1 << 20);
  const sizes: number[] = [];
  for (let left = total; left > 0; left -= THROUGHPUT_MESSAGE_BYTES)
    sizes.push(Math.min(left, THROUGHPUT_MESSAGE_BYTES));
  return {
    suite: 'net',
    name: 'throughput',
    n,
    ops: total,
    setup: async () => [],
    run: async ({ s }) => {
      const payload = new Uint8Array(THROUGHPUT_MESSAGE_BYTES).fill(0xa5); // sent by reference in memory
      const pending: Promise<unknown>[] = [];
      for (const [k, size] of sizes.entries()) {
        const step = s.nextStep();
        if (s.self === 0) {
          pending.push(s.send(1, step, payload.subarray(0, size)));
        } else if (s.self === 1) {
          pending.push(
            s.recv(0, step).then((m) => {
              if (m.byteLength !== size || m[0] !== 0xa5 || m[size - 1] !== 0xa5)
                throw new Error(`throughput: message ${k} arrived wrong`);
            }),
          );
        }
      }
      await Promise.all(pending);
      // the receiver acknowledges: a send resolves once the stream has taken it, and the sender's
      // encryption of what its muxer queued would otherwise fall outside its timed run (and CPU)
      const ack = s.nextStep();
      if (s.self === 1) await s.send(0, ack, new Uint8Array(1));
      else if (s.self === 0) await s.recv(1, ack);
      s.countRound();
      return undefined;
    },
    open: async () => undefined,
  };
}

/**
 * The case named by `spec`.
 * @throws RangeError for an unknown suite or name.
 */
export function benchCase(spec: CaseSpec): BenchCase {
  if (!(Number.isInteger(spec.n) && spec.n > 0)) throw new RangeError(`case size must be a positive integer`);
  if (spec.suite === 'mpc') return mpcCase(spec.name, spec.n);
  if (spec.suite === 'ml') return mlCase(spec.name, spec.n);
  if (spec.suite === 'net' && spec.name === 'rounds') return roundsCase(spec.n);
  if (spec.suite === 'net' && spec.name === 'throughput') return throughputCase(spec.n);
  throw new RangeError(`no ${spec.suite} benchmark case "${spec.name}"`);
}
