/**
 * The forward pass of a private model on shares, generic over any protocol: every party runs it
 * (SPMD) on its shares of the weights and of the input; nothing is revealed here.
 *
 * Layers: Dense = matmulTrunc + bias; Conv2D = im2col + matmulTrunc + bias; pooling, Flatten
 * (a reshape) and activations (relu from the engine; sigmoid, tanh and softmax from
 * src/protocols/ops/nonlinear). Weights travel as one flat share (one input round for the model
 * owner), split here by the architecture's public shapes.
 */
import { relu } from '../protocols/ops/compare.js';
import { avgPool2d, conv2d, maxPool2d, sigmoid, softmax, tanh } from '../protocols/ops/nonlinear/index.js';
import type { Protocol, Share } from '../protocols/protocol.js';
import { biasesReachingRelu, linearOutputBits } from './bounds.js';
import { weightShapes, type Activation, type LayerSpec, type ModelArchitecture } from './spec.js';

/** Options of {@link forward}. */
export interface ForwardOptions {
  /** Fractional bits (default 16). */
  fractionalBits?: number;
  /**
   * 'model' (default) runs the model as converted; 'logits' stops before a final sigmoid or
   * softmax (same argmax and ranking, far fewer rounds).
   */
  output?: 'model' | 'logits';
  /**
   * The fractional bits at which the model owner checked, on its plaintext, every bias that
   * reaches a ReLU ({@link checkBiasRange}; PrivateModel.shareWeights does). Such a ReLU then
   * compares over 65 - f bits (bounds.ts). Must equal `fractionalBits`. Default: unchecked, so
   * only a layer without bias is bounded.
   */
  biasChecked?: number;
}

/** Total number of weight values of an architecture (the length of the flat weight share). */
export function weightCount(arch: ModelArchitecture): number {
  return weightShapes(arch).reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
}

/** Splits a flat weight share [W] into per-tensor shares in the architecture's order. */
export function splitWeights<S extends Share>(p: Protocol<S>, arch: ModelArchitecture, flat: S): S[] {
  const shapes = weightShapes(arch);
  const out: S[] = [];
  let at = 0;
  for (const s of shapes) {
    const n = s.reduce((a, b) => a * b, 1);
    out.push(p.reshape(p.slice(flat, 0, at, at + n), s));
    at += n;
  }
  if (at !== flat.shape[0] || flat.shape.length !== 1)
    throw new RangeError(
      `the weight share has shape [${flat.shape.join(',')}], the architecture needs [${at}]`,
    );
  return out;
}

/**
 * Applies an activation to a share whose values fit `bits` bits (two's complement; 64: no bound,
 * see bounds.ts).
 */
export async function activate<S extends Share>(
  p: Protocol<S>,
  y: S,
  a: Activation,
  f: number,
  bits = 64,
): Promise<S> {
  switch (a) {
    case 'linear':
      return y;
    case 'relu':
      return relu(p, y, bits < 64 ? { bits } : undefined);
    case 'sigmoid':
      return sigmoid(p, y, { fractionalBits: f });
    case 'tanh':
      return tanh(p, y, { fractionalBits: f });
    case 'softmax':
      return softmax(p, y, { fractionalBits: f, max: 'auto' }); // rounds cost more than small comparisons
  }
}

/** Dense layer on x [..., inputDim]: x · W + b (before the activation). */
export async function denseLinear<S extends Share>(
  p: Protocol<S>,
  x: S,
  w: S,
  b: S | undefined,
  f: number,
): Promise<S> {
  const lead = x.shape.slice(0, -1);
  const k = x.shape[x.shape.length - 1]!;
  const x2 = x.shape.length === 2 ? x : p.reshape(x, [lead.reduce((a, c) => a * c, 1), k]);
  let y = await p.matmulTrunc(x2, w, f);
  if (b !== undefined) y = p.add(y, b);
  return x.shape.length === 2 ? y : p.reshape(y, [...lead, w.shape[1]!]);
}

/** A share and the bits its values fit (64: no bound). */
interface Bounded<S extends Share> {
  y: S;
  bits: number;
}

async function layer<S extends Share>(
  p: Protocol<S>,
  l: LayerSpec,
  x: Bounded<S>,
  ws: S[],
  f: number,
  activation: Activation,
  biasChecked: boolean,
): Promise<Bounded<S>> {
  const act = async (y: S, bits: number): Promise<Bounded<S>> => ({
    y: await activate(p, y, activation, f, bits),
    // relu and the identity keep a bound; sigmoid, tanh and softmax are not tracked
    bits: activation === 'relu' || activation === 'linear' ? bits : 64,
  });
  switch (l.kind) {
    case 'dense': {
      const y = await denseLinear(p, x.y, ws[0]!, l.useBias ? ws[1] : undefined, f);
      return act(y, linearOutputBits(f, l.useBias, biasChecked));
    }
    case 'conv2d': {
      const y = await conv2d(p, x.y, ws[0]!, l.useBias ? ws[1] : undefined, {
        fractionalBits: f,
        strides: l.strides,
        padding: l.padding,
      });
      return act(y, linearOutputBits(f, l.useBias, biasChecked));
    }
    case 'maxPool2d': {
      const opts = { fractionalBits: f, strides: l.strides, padding: l.padding };
      return { y: await maxPool2d(p, x.y, l.poolSize, opts), bits: x.bits }; // one of its inputs
    }
    case 'avgPool2d': {
      const opts = { fractionalBits: f, strides: l.strides, padding: l.padding };
      return { y: await avgPool2d(p, x.y, l.poolSize, opts), bits: 64 };
    }
    case 'flatten':
      return {
        y: p.reshape(x.y, [x.y.shape[0]!, x.y.shape.slice(1).reduce((a, b) => a * b, 1)]),
        bits: x.bits,
      };
    case 'activation':
      return act(x.y, x.bits);
  }
}

/**
 * Runs `arch` on the input share x [batch, ...inputShape] with the weight shares (per tensor, see
 * {@link splitWeights}); returns the output share [batch, ...outputShape].
 */
export async function forward<S extends Share>(
  p: Protocol<S>,
  arch: ModelArchitecture,
  weights: readonly S[],
  x: S,
  options: ForwardOptions = {},
): Promise<S> {
  const f = options.fractionalBits ?? 16;
  if (options.biasChecked !== undefined && options.biasChecked !== f)
    throw new RangeError(
      `the biases were checked at ${options.biasChecked} fractional bits; this pass uses ${f}`,
    );
  const checked = options.biasChecked === undefined ? new Set<number>() : biasesReachingRelu(arch);
  let at = 0;
  let y: Bounded<S> = { y: x, bits: 64 }; // encoded inputs use all 64 bits
  for (let i = 0; i < arch.layers.length; i++) {
    const l = arch.layers[i]!;
    const n = l.kind === 'dense' || l.kind === 'conv2d' ? (l.useBias ? 2 : 1) : 0;
    const last = i === arch.layers.length - 1;
    let act: Activation = 'activation' in l ? l.activation : 'linear';
    if (last && options.output === 'logits' && (act === 'sigmoid' || act === 'softmax')) act = 'linear';
    y = await layer(p, l, y, weights.slice(at, at + n), f, act, checked.has(i));
    at += n;
  }
  return y.y;
}
