/**
 * Shape inference through a private model's layers (per example, without the batch dimension),
 * and the checks that an architecture is self-consistent. Shapes are public.
 */
import { convOutput } from '../tensor/index.js';
import {
  ACTIVATIONS,
  weightShapes,
  type LayerSpec,
  type ModelArchitecture,
  type ModelWeights,
} from './spec.js';

/** An architecture or weights that do not fit together. */
export class ModelSpecError extends Error {
  override readonly name = 'ModelSpecError';
}

const fmt = (s: readonly number[]): string => `[${s.join(',')}]`;

/** The output shape of `layer` for one example of shape `input`. @throws ModelSpecError */
export function layerOutputShape(layer: LayerSpec, input: readonly number[]): number[] {
  const bad = (why: string): never => {
    throw new ModelSpecError(`layer '${layer.name}' (${layer.kind}): ${why}`);
  };
  if ('activation' in layer && !ACTIVATIONS.includes(layer.activation))
    bad(`unsupported activation '${String(layer.activation)}'`);
  switch (layer.kind) {
    case 'dense': {
      if (input.length < 1 || input[input.length - 1] !== layer.inputDim)
        bad(`expects a last dimension of ${layer.inputDim}, got input ${fmt(input)}`);
      return [...input.slice(0, -1), layer.units];
    }
    case 'conv2d':
    case 'maxPool2d':
    case 'avgPool2d': {
      if (input.length !== 3) bad(`expects [height, width, channels] input, got ${fmt(input)}`);
      const [h, w, c] = input as [number, number, number];
      const kernelSize = layer.kind === 'conv2d' ? layer.kernelSize : layer.poolSize;
      if (layer.kind === 'conv2d' && c !== layer.inChannels)
        bad(`expects ${layer.inChannels} input channels, got ${c}`);
      let out: { oh: number; ow: number };
      try {
        out = convOutput(h, w, { kernelSize, strides: layer.strides, padding: layer.padding });
      } catch (err) {
        return bad((err as Error).message);
      }
      if (out.oh < 1 || out.ow < 1) bad(`input ${fmt(input)} gives an empty output`);
      return [out.oh, out.ow, layer.kind === 'conv2d' ? layer.filters : c];
    }
    case 'flatten':
      return [input.reduce((a, b) => a * b, 1)];
    case 'activation':
      return [...input];
  }
}

/** Every layer's output shape, in order. @throws ModelSpecError */
export function layerShapes(arch: Pick<ModelArchitecture, 'inputShape' | 'layers'>): number[][] {
  const out: number[][] = [];
  let s: readonly number[] = arch.inputShape;
  for (const l of arch.layers) {
    s = layerOutputShape(l, s);
    out.push([...s]);
  }
  return out;
}

/** Checks an architecture (shapes chain, declared output shape) and, if given, its weights. @throws ModelSpecError */
export function validateModel(arch: ModelArchitecture, weights?: ModelWeights): void {
  if (arch.format !== 'peermpc-model/1')
    throw new ModelSpecError(`unknown model format '${String(arch.format)}'`);
  if (!Array.isArray(arch.inputShape) || arch.inputShape.some((d) => !Number.isInteger(d) || d < 1))
    throw new ModelSpecError(`input shape ${fmt(arch.inputShape ?? [])} is not a list of positive integers`);
  const shapes = layerShapes(arch);
  const last = shapes[shapes.length - 1] ?? arch.inputShape;
  if (fmt(last) !== fmt(arch.outputShape))
    throw new ModelSpecError(
      `declared output shape ${fmt(arch.outputShape)} but the layers give ${fmt(last)}`,
    );
  if (weights === undefined) return;
  const want = weightShapes(arch);
  if (weights.length !== want.length)
    throw new ModelSpecError(`the architecture has ${want.length} weight tensors, got ${weights.length}`);
  want.forEach((s, i) => {
    const w = weights[i]!;
    const n = s.reduce((a, b) => a * b, 1);
    if (fmt(w.shape) !== fmt(s) || w.values.length !== n)
      throw new ModelSpecError(
        `weight ${i} should have shape ${fmt(s)}, got ${fmt(w.shape)} with ${w.values.length} values`,
      );
  });
}
