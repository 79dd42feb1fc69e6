/**
 * tfjs-layers model -> private model ({@link ModelArchitecture} + {@link ModelWeights}).
 *
 * Rules (docs/ML.md, "Model conversion"):
 * - the model is a single chain of layers, one input and one output (Sequential, or a functional
 *   model that is a chain); a layer used twice or a branch is an error;
 * - Dense, Conv2D (channels last, no dilation, 'valid' or 'same' padding), MaxPooling2D and
 *   AveragePooling2D (channels last), Flatten, Activation / ReLU (no max value) / Softmax (last
 *   axis) convert one to one; activations relu, sigmoid, tanh, softmax, linear;
 * - Dropout is the identity at inference and is dropped; for training it is an error;
 * - BatchNormalization (last axis) is folded into the Dense or Conv2D right before it, which must
 *   have a linear activation: W' = W * s, b' = (b - mean) * s + beta with s = gamma / sqrt(var + eps);
 *   for training it is an error (batch statistics are not a fold);
 * - for training, regularisers, constraints and frozen layers are errors (they change the
 *   training), and so is any layer other than Dense and activations;
 * - anything else is a {@link UnsupportedModelError} naming the layer and what is unsupported:
 *   never a silently different model.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { layerOutputShape, validateModel } from './shapes.js';
import {
  ACTIVATIONS,
  type Activation,
  type LayerSpec,
  type ModelArchitecture,
  type ModelWeights,
  type Padding,
  type WeightTensor,
} from './spec.js';

/** What the converted model is for: training also rejects what only matters while training. */
export type ModelPurpose = 'inference' | 'training';

/** Options of {@link convertModel}. */
export interface ConvertOptions {
  /** Default 'inference'. */
  purpose?: ModelPurpose;
}

/** A model, layer or option that a private model cannot run. */
export class UnsupportedModelError extends Error {
  override readonly name = 'UnsupportedModelError';
  constructor(
    /** The offending layer's name ('' for model-level problems). */
    readonly layer: string,
    /** The layer's tfjs class name. */
    readonly className: string,
    /** What is unsupported. */
    readonly reason: string,
  ) {
    super(layer === '' ? `model: ${reason}` : `layer '${layer}' (${className}): ${reason}`);
  }
}

/** A converted model: the public architecture and the owner's weights. */
export interface ConvertedModel {
  architecture: ModelArchitecture;
  weights: ModelWeights;
}

type Config = Record<string, unknown>;
type TfLayer = LayersModel['layers'][number];

const SUPPORTED =
  'Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout, BatchNormalization, Activation, ReLU, Softmax';

/**
 * Converts a tfjs-layers model into a private model.
 * @throws UnsupportedModelError naming the layer and the unsupported option.
 * @example
 * const { architecture, weights } = convertModel(tfModel);
 */
export function convertModel(model: LayersModel, options: ConvertOptions = {}): ConvertedModel {
  const purpose = options.purpose ?? 'inference';
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new UnsupportedModelError(
      '',
      '',
      `${model.inputs.length} inputs and ${model.outputs.length} outputs; only one of each is supported`,
    );
  const inShape = model.inputs[0]!.shape.slice(1);
  if (inShape.some((d) => d === null || d < 1))
    throw new UnsupportedModelError(
      '',
      '',
      'the input shape must be fully known (except the batch dimension)',
    );
  const c = new Converter(purpose, inShape as number[]);
  let prev: TfLayer | undefined;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') {
      prev = layer;
      continue;
    }
    checkChain(layer, prev);
    c.add(layer);
    prev = layer;
  }
  return c.finish();
}

function checkChain(layer: TfLayer, prev: TfLayer | undefined): void {
  const nodes = layer.inboundNodes;
  if (nodes.length !== 1)
    throw new UnsupportedModelError(
      layer.name,
      layer.getClassName(),
      `used ${nodes.length} times; only a chain of layers is supported`,
    );
  const inbound = nodes[0]!.inboundLayers;
  if (prev !== undefined && (inbound.length !== 1 || inbound[0] !== prev))
    throw new UnsupportedModelError(
      layer.name,
      layer.getClassName(),
      'its input is not the previous layer; only a chain of layers is supported',
    );
}

class Converter {
  private readonly layers: LayerSpec[] = [];
  private readonly weights: WeightTensor[][] = [];
  private shape: number[];
  /** Index (in `layers`) of the last Dense/Conv2D, if nothing but skipped layers followed it. */
  private foldTarget = -1;

  constructor(
    private readonly purpose: ModelPurpose,
    private readonly inputShape: number[],
  ) {
    this.shape = [...inputShape];
  }

  add(layer: TfLayer): void {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Config;
    const fail = (why: string): never => {
      throw new UnsupportedModelError(layer.name, cls, why);
    };
    if (this.purpose === 'training') checkTrainable(layer, cfg, fail);
    switch (cls) {
      case 'Dense':
        return this.push(this.dense(layer, cfg, fail), denseWeights(layer, cfg), true);
      case 'Conv2D':
        return this.push(this.conv2d(layer, cfg, fail), convWeights(layer, cfg), true);
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        if (this.purpose === 'training') fail('pooling is not supported in private training');
        return this.push(pool(layer.name, cls, cfg, fail), [], false);
      case 'Flatten':
        if (cfg.dataFormat === 'channelsFirst') fail("dataFormat 'channelsFirst' is not supported");
        return this.push({ kind: 'flatten', name: layer.name }, [], false);
      case 'Activation':
        return this.push(
          { kind: 'activation', name: layer.name, activation: activation(cfg.activation, fail) },
          [],
          false,
        );
      case 'ReLU':
        if (cfg.maxValue !== null && cfg.maxValue !== undefined)
          fail('a ReLU with maxValue is not supported');
        return this.push({ kind: 'activation', name: layer.name, activation: 'relu' }, [], false);
      case 'Softmax':
        if (cfg.axis !== undefined && cfg.axis !== -1 && cfg.axis !== this.shape.length)
          fail(`softmax over axis ${String(cfg.axis)}; only the last axis is supported`);
        return this.push({ kind: 'activation', name: layer.name, activation: 'softmax' }, [], false);
      case 'Dropout':
        if (this.purpose === 'training') fail('dropout is not supported in private training');
        return; // the identity at inference; a fold target stays valid across it
      case 'BatchNormalization':
        if (this.purpose === 'training')
          fail('batch normalisation uses batch statistics in training; it can only be folded for inference');
        return this.foldBatchNorm(layer, cfg, fail);
      default:
        return fail(`layer type not supported (supported: ${SUPPORTED})`);
    }
  }

  finish(): ConvertedModel {
    const architecture: ModelArchitecture = {
      format: 'peermpc-model/1',
      inputShape: this.inputShape,
      outputShape: this.shape,
      layers: this.layers,
    };
    const weights = this.weights.flat();
    validateModel(architecture, weights);
    return { architecture, weights };
  }

  private push(spec: LayerSpec, weights: WeightTensor[], foldable: boolean): void {
    this.shape = layerOutputShape(spec, this.shape);
    this.layers.push(spec);
    this.weights.push(weights);
    this.foldTarget =
      foldable && 'activation' in spec && spec.activation === 'linear' ? this.layers.length - 1 : -1;
  }

  private dense(layer: TfLayer, cfg: Config, fail: (w: string) => never): LayerSpec {
    const inputDim = this.shape[this.shape.length - 1];
    if (inputDim === undefined) fail('needs an input of rank >= 1');
    return {
      kind: 'dense',
      name: layer.name,
      inputDim: inputDim!,
      units: cfg.units as number,
      useBias: cfg.useBias !== false,
      activation: activation(cfg.activation, fail),
    };
  }

  private conv2d(layer: TfLayer, cfg: Config, fail: (w: string) => never): LayerSpec {
    if (cfg.dataFormat === 'channelsFirst') fail("dataFormat 'channelsFirst' is not supported");
    const dil = pair(cfg.dilationRate ?? 1);
    if (dil[0] !== 1 || dil[1] !== 1) fail(`dilationRate [${dil.join(',')}] is not supported (only 1)`);
    if (this.shape.length !== 3) fail(`needs [height, width, channels] input, got [${this.shape.join(',')}]`);
    return {
      kind: 'conv2d',
      name: layer.name,
      kernelSize: pair(cfg.kernelSize),
      strides: pair(cfg.strides ?? 1),
      padding: padding(cfg.padding, fail),
      inChannels: this.shape[2]!,
      filters: cfg.filters as number,
      useBias: cfg.useBias !== false,
      activation: activation(cfg.activation, fail),
    };
  }

  private foldBatchNorm(layer: TfLayer, cfg: Config, fail: (w: string) => never): void {
    const axis = cfg.axis as number | number[];
    if (!(
      axis === -1 ||
      axis === this.shape.length ||
      (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === this.shape.length))
    ))
      fail(`normalisation over axis ${JSON.stringify(axis)}; only the last axis can be folded`);
    if (this.foldTarget < 0) {
      const prev = this.layers[this.layers.length - 1];
      fail(
        prev === undefined
          ? 'nothing to fold it into: it must follow a Dense or Conv2D layer'
          : `cannot fold into '${prev.name}' (${prev.kind}${'activation' in prev ? `, activation ${prev.activation}` : ''}): it must directly follow a Dense or Conv2D layer with a linear activation`,
      );
    }
    const byName = new Map(layer.weights.map((w, i) => [w.name.split('/').pop()!.replace(/_\d+$/, ''), i]));
    const vals = layer.getWeights().map((t) => t.dataSync() as Float32Array);
    const get = (n: string): Float32Array | undefined => {
      const i = byName.get(n);
      return i === undefined ? undefined : vals[i];
    };
    const mean = get('moving_mean');
    const variance = get('moving_variance');
    if (mean === undefined || variance === undefined) return fail('moving mean or variance not found');
    const gamma = get('gamma');
    const beta = get('beta');
    const eps = (cfg.epsilon as number | undefined) ?? 1e-3;
    const target = this.layers[this.foldTarget] as LayerSpec & { useBias: boolean };
    const w = this.weights[this.foldTarget]!;
    const kernel = w[0]!;
    const units = kernel.shape[kernel.shape.length - 1]!;
    if (mean.length !== units) fail(`has ${mean.length} channels, the layer before has ${units}`);
    const bias = w[1]?.values ?? new Float32Array(units);
    const newKernel = new Float32Array(kernel.values.length);
    const newBias = new Float32Array(units);
    for (let j = 0; j < units; j++) {
      const s = (gamma?.[j] ?? 1) / Math.sqrt(variance[j]! + eps);
      newBias[j] = (bias[j]! - mean[j]!) * s + (beta?.[j] ?? 0);
      for (let i = j; i < newKernel.length; i += units) newKernel[i] = kernel.values[i]! * s;
    }
    target.useBias = true;
    this.weights[this.foldTarget] = [
      { shape: kernel.shape, values: newKernel },
      { shape: [units], values: newBias },
    ];
    // A second BatchNormalization may fold too (the target stays linear).
  }
}

function checkTrainable(layer: TfLayer, cfg: Config, fail: (w: string) => never): void {
  for (const k of ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer'])
    if (cfg[k] !== null && cfg[k] !== undefined)
      fail(`${k} is not supported in private training (it changes the loss)`);
  for (const k of ['kernelConstraint', 'biasConstraint'])
    if (cfg[k] !== null && cfg[k] !== undefined) fail(`${k} is not supported in private training`);
  if (!layer.trainable) fail('frozen (trainable: false) layers are not supported in private training');
  const cls = layer.getClassName();
  if (
    ![
      'Dense',
      'Activation',
      'ReLU',
      'Softmax',
      'Dropout',
      'BatchNormalization',
      'MaxPooling2D',
      'AveragePooling2D',
    ].includes(cls)
  )
    fail('private training supports Dense layers and activations only');
}

function denseWeights(layer: TfLayer, cfg: Config): WeightTensor[] {
  return layerWeights(layer).slice(0, cfg.useBias === false ? 1 : 2);
}

function convWeights(layer: TfLayer, cfg: Config): WeightTensor[] {
  return layerWeights(layer).slice(0, cfg.useBias === false ? 1 : 2);
}

function layerWeights(layer: TfLayer): WeightTensor[] {
  return layer
    .getWeights()
    .map((t) => ({ shape: [...t.shape], values: Float32Array.from(t.dataSync() as Float32Array) }));
}

function pool(name: string, cls: string, cfg: Config, fail: (w: string) => never): LayerSpec {
  if (cfg.dataFormat === 'channelsFirst') fail("dataFormat 'channelsFirst' is not supported");
  const poolSize = pair(cfg.poolSize ?? 2);
  return {
    kind: cls === 'MaxPooling2D' ? 'maxPool2d' : 'avgPool2d',
    name,
    poolSize,
    strides: pair(cfg.strides ?? poolSize),
    padding: padding(cfg.padding, fail),
  };
}

function activation(a: unknown, fail: (w: string) => never): Activation {
  const name = a === undefined || a === null ? 'linear' : String(a);
  if (!(ACTIVATIONS as readonly string[]).includes(name))
    fail(`activation '${name}' is not supported (supported: ${ACTIVATIONS.join(', ')})`);
  return name as Activation;
}

function padding(p: unknown, fail: (w: string) => never): Padding {
  const v = p ?? 'valid';
  if (v !== 'valid' && v !== 'same')
    fail(`padding '${String(v)}' is not supported (only 'valid' and 'same')`);
  return v as Padding;
}

function pair(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0]!, a[1] ?? a[0]!];
}
