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

/** Applies an activation to a share. */
export async function activate<S extends Share>(p: Protocol<S>, y: S, a: Activation, f: number): Promise<S> {
  switch (a) {
    case 'linear':
      return y;
    case 'relu':
      return relu(p, y);
    case 'sigmoid':
      return sigmoid(p, y, { fractionalBits: f });
    case 'tanh':
      return tanh(p, y, { fractionalBits: f });
    case 'softmax':
      return softmax(p, y, { fractionalBits: f });
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

async function layer<S extends Share>(
  p: Protocol<S>,
  l: LayerSpec,
  x: S,
  ws: S[],
  f: number,
  activation: Activation,
): Promise<S> {
  switch (l.kind) {
    case 'dense':
      return activate(p, await denseLinear(p, x, ws[0]!, l.useBias ? ws[1] : undefined, f), activation, f);
    case 'conv2d': {
      const y = await conv2d(p, x, ws[0]!, l.useBias ? ws[1] : undefined, {
        fractionalBits: f,
        strides: l.strides,
        padding: l.padding,
      });
      return activate(p, y, activation, f);
    }
    case 'maxPool2d':
      return maxPool2d(p, x, l.poolSize, { fractionalBits: f, strides: l.strides, padding: l.padding });
    case 'avgPool2d':
      return avgPool2d(p, x, l.poolSize, { fractionalBits: f, strides: l.strides, padding: l.padding });
    case 'flatten':
      return p.reshape(x, [x.shape[0]!, x.shape.slice(1).reduce((a, b) => a * b, 1)]);
    case 'activation':
      return activate(p, x, activation, f);
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
  let at = 0;
  let y = x;
  for (let i = 0; i < arch.layers.length; i++) {
    const l = arch.layers[i]!;
    const n = l.kind === 'dense' || l.kind === 'conv2d' ? (l.useBias ? 2 : 1) : 0;
    const last = i === arch.layers.length - 1;
    let act: Activation = 'activation' in l ? l.activation : 'linear';
    if (last && options.output === 'logits' && (act === 'sigmoid' || act === 'softmax')) act = 'linear';
    y = await layer(p, l, y, weights.slice(at, at + n), f, act);
    at += n;
  }
  return y;
}
