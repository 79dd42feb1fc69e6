/**
 * Private minibatch SGD on shares, generic over any protocol: logistic regression and small MLPs
 * (Dense layers, relu or linear hidden activations; sigmoid + binary cross-entropy, softmax +
 * categorical cross-entropy, or linear + mean squared error at the output).
 *
 * One step on rows [s, t) (B = t - s), all on shares:
 *   forward   z_l = a_(l-1) W_l + b_l (matmulTrunc), a_l = relu(z_l) = z_l * d_l with the 0/1 mask
 *             d_l = 1 - msb(z_l) kept for the backward pass; the output p = sigmoid/softmax(z_L);
 *   backward  delta_L = p - y (times 2/outputs for MSE), then for l = L..1:
 *             gW_l = a_(l-1)^T delta_l, gb_l = sum_rows delta_l, delta_(l-1) = (delta_l W_l^T) * d_(l-1);
 *   update    W_l -= (lr / B) gW_l: every gradient in one flat share, scaled by the public lr / B
 *             with 12 significant bits and one truncation.
 * The same algorithm as the plaintext reference (reference.ts): same batches, same loss, same
 * gradient; only fixed-point rounding differs. The loss (mean over all training rows, with the
 * weights at the end of an epoch) is computed privately when asked and opened to the named parties.
 */
import { msb, oneMinus } from '../protocols/ops/compare.js';
import { expNegAbs, log, logSoftmax, sigmoid, softmax } from '../protocols/ops/nonlinear/index.js';
import type { Protocol, Share } from '../protocols/protocol.js';
import { decodeFixed } from '../tensor/index.js';
import { denseLinear } from './forward.js';
import type { DenseSpec, ModelArchitecture } from './spec.js';
import { batchRanges, checkSgd, trainingLoss, type LossKind, type SgdOptions } from './training-spec.js';

/** Options of {@link trainShares}. */
export interface TrainSharesOptions extends SgdOptions {
  /** Fractional bits (default 16). */
  fractionalBits?: number;
  /** Parties that receive the mean training loss after each epoch (default: nobody). */
  lossTo?: readonly number[];
}

/** Result of {@link trainShares}: the trained weight shares, and the losses on `lossTo` parties. */
export interface TrainSharesResult<S extends Share> {
  weights: S[];
  losses?: number[];
}

interface Layer {
  spec: DenseSpec;
  relu: boolean;
}

function dense(arch: ModelArchitecture): { layers: Layer[]; loss: LossKind } {
  const loss = trainingLoss(arch);
  const layers: Layer[] = [];
  for (const l of arch.layers) {
    if (l.kind === 'dense') layers.push({ spec: l, relu: l.activation === 'relu' });
    else if (l.kind === 'activation' && l.activation === 'relu') layers[layers.length - 1]!.relu = true;
    // a final sigmoid/softmax Activation layer is the loss's business
  }
  return { layers, loss };
}

/** x times the public real c with about 12 significant bits of c, one truncation. */
export async function scaleBy<S extends Share>(p: Protocol<S>, x: S, c: number): Promise<S> {
  if (c === 0) return p.mulPublic(x, 0n);
  const s = Math.max(0, 12 - Math.floor(Math.log2(Math.abs(c))));
  const m = BigInt(Math.round(c * 2 ** s));
  return p.truncate(p.mulPublic(x, BigInt.asUintN(64, m)), s);
}

/** Forward pass keeping what the backward pass needs. */
async function forwardTrain<S extends Share>(p: Protocol<S>, layers: Layer[], ws: S[], x: S, f: number) {
  const acts: S[] = [x];
  const masks: (S | undefined)[] = [];
  let a = x;
  for (let i = 0; i < layers.length; i++) {
    const L = layers[i]!;
    const z = await denseLinear(p, a, ws[2 * i]!, L.spec.useBias ? ws[2 * i + 1] : undefined, f);
    if (L.relu && i < layers.length - 1) {
      const d = oneMinus(p, await msb(p, z));
      a = await p.mul(z, d);
      masks.push(d);
    } else {
      a = z;
      masks.push(undefined);
    }
    acts.push(a);
  }
  return { acts, masks, logits: a };
}

async function outputOf<S extends Share>(p: Protocol<S>, z: S, loss: LossKind, f: number): Promise<S> {
  if (loss === 'binaryCrossentropy') return sigmoid(p, z, { fractionalBits: f });
  if (loss === 'categoricalCrossentropy') return softmax(p, z, { fractionalBits: f, max: 'auto' });
  return z;
}

/** Mean loss of logits z against targets y (shares), as a fixed-point share of shape []. */
async function meanLoss<S extends Share>(p: Protocol<S>, z: S, y: S, loss: LossKind, f: number): Promise<S> {
  const [rows, outs] = z.shape as [number, number];
  let perElement: S;
  if (loss === 'binaryCrossentropy') {
    // softplus(z) - y z, softplus(z) = max(z, 0) + ln(1 + e^-|z|)
    const { value: e, negative } = await expNegAbs(p, z, { fractionalBits: f });
    const l1p = await log(p, p.addPublic(e, 1n << BigInt(f)), { fractionalBits: f, maxLog2: 2 });
    const [pos, yz] = [await p.mul(z, oneMinus(p, negative)), await p.mulTrunc(y, z, f)];
    perElement = p.sub(p.add(pos, l1p), yz);
  } else if (loss === 'categoricalCrossentropy') {
    perElement = p.neg(await p.mulTrunc(y, await logSoftmax(p, z, { fractionalBits: f }), f));
  } else {
    const d = p.sub(z, y);
    perElement = await p.mulTrunc(d, d, f);
  }
  const n = loss === 'categoricalCrossentropy' ? rows : rows * outs;
  return scaleBy(p, p.sum(perElement), 1 / n);
}

/**
 * Trains on the shares X [N, inputs] and Y [N, outputs] from the initial weight shares (kernel,
 * bias per Dense layer, as {@link splitWeights}); returns the trained weight shares.
 * @throws TrainingSpecError for models private training cannot train.
 */
export async function trainShares<S extends Share>(
  p: Protocol<S>,
  arch: ModelArchitecture,
  X: S,
  Y: S,
  initial: readonly S[],
  options: TrainSharesOptions,
): Promise<TrainSharesResult<S>> {
  checkSgd(options);
  const f = options.fractionalBits ?? 16;
  const { layers, loss } = dense(arch);
  if (layers.some((l) => !l.spec.useBias))
    throw new RangeError('private training needs every Dense layer to use a bias');
  const rows = X.shape[0]!;
  if (Y.shape[0] !== rows) throw new RangeError(`X has ${rows} rows, Y has ${Y.shape[0]}`);
  let ws = [...initial];
  const losses: number[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const [s, t] of batchRanges(rows, options.batchSize)) {
      ws = await step(p, layers, loss, ws, p.slice(X, 0, s, t), p.slice(Y, 0, s, t), options.learningRate, f);
    }
    if (options.lossTo !== undefined && options.lossTo.length > 0) {
      const { logits } = await forwardTrain(p, layers, ws, X, f);
      const l = await p.reveal(await meanLoss(p, logits, Y, loss, f), options.lossTo);
      if (l !== undefined) losses.push(decodeFixed(l, f)[0]!);
    }
  }
  return options.lossTo?.includes(p.session.self) ? { weights: ws, losses } : { weights: ws };
}

async function step<S extends Share>(
  p: Protocol<S>,
  layers: Layer[],
  loss: LossKind,
  ws: S[],
  x: S,
  y: S,
  lr: number,
  f: number,
): Promise<S[]> {
  const B = x.shape[0]!;
  const { acts, masks, logits } = await forwardTrain(p, layers, ws, x, f);
  const out = await outputOf(p, logits, loss, f);
  let delta = p.sub(out, y);
  if (loss === 'meanSquaredError') delta = await scaleBy(p, delta, 2 / logits.shape[1]!);
  const grads: S[] = new Array<S>(ws.length);
  for (let i = layers.length - 1; i >= 0; i--) {
    grads[2 * i] = await p.matmulTrunc(p.transpose(acts[i]!), delta, f);
    grads[2 * i + 1] = p.sum(delta, 0);
    if (i > 0) {
      const back = await p.matmulTrunc(delta, p.transpose(ws[2 * i]!), f);
      delta = masks[i - 1] === undefined ? back : await p.mul(back, masks[i - 1]!);
    }
  }
  // one scaling for every gradient: flatten, scale by lr / B, split
  const sizes = grads.map((g) => g.shape.reduce((a, b) => a * b, 1));
  const flat = p.concat(
    grads.map((g, i) => p.reshape(g, [sizes[i]!])),
    0,
  );
  const scaled = await scaleBy(p, flat, lr / B);
  let at = 0;
  return ws.map((w, i) => {
    const g = p.reshape(p.slice(scaled, 0, at, at + sizes[i]!), w.shape);
    at += sizes[i]!;
    return p.sub(w, g);
  });
}
