/**
 * Private-model specs: what a converted tfjs-layers model becomes.
 *
 * A model has two halves with different audiences:
 * - the architecture ({@link ModelArchitecture}): layer kinds, sizes, activations and weight shapes.
 *   It is public to every party of a session (it is part of the job every owner approves) and
 *   JSON-serialisable;
 * - the weights ({@link ModelWeights}): float arrays in the architecture's order. Only the model's
 *   owner holds them; in a session they travel only as secret shares.
 */

/** Activations a private model can run. `linear` is the identity. */
export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

/** The activations, for validation. */
export const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

/** Padding rule of convolution and pooling (TensorFlow's). */
export type Padding = 'valid' | 'same';

/** A fully connected layer: y = activation(x · kernel + bias), kernel [inputDim, units]. */
export interface DenseSpec {
  kind: 'dense';
  /** The source layer's name (for messages). */
  name: string;
  inputDim: number;
  units: number;
  useBias: boolean;
  activation: Activation;
}

/** A 2-D convolution over NHWC input, kernel [kh, kw, inChannels, filters]. */
export interface Conv2dSpec {
  kind: 'conv2d';
  name: string;
  kernelSize: [number, number];
  strides: [number, number];
  padding: Padding;
  inChannels: number;
  filters: number;
  useBias: boolean;
  activation: Activation;
}

/** Max or average pooling over NHWC input (per channel). */
export interface Pool2dSpec {
  kind: 'maxPool2d' | 'avgPool2d';
  name: string;
  poolSize: [number, number];
  strides: [number, number];
  padding: Padding;
}

/** Reshape to [batch, features] (row-major, as tfjs's Flatten on channels-last input). */
export interface FlattenSpec {
  kind: 'flatten';
  name: string;
}

/** An activation on its own (tfjs Activation, ReLU or Softmax layers). */
export interface ActivationSpec {
  kind: 'activation';
  name: string;
  activation: Activation;
}

/** One layer of a private model. */
export type LayerSpec = DenseSpec | Conv2dSpec | Pool2dSpec | FlattenSpec | ActivationSpec;

/** The public half of a private model. */
export interface ModelArchitecture {
  /** Format tag and version of this JSON. */
  format: 'peermpc-model/1';
  /** Shape of one input example (without the batch dimension). */
  inputShape: number[];
  /** Shape of one output example. */
  outputShape: number[];
  layers: LayerSpec[];
}

/** A float tensor of the model's weights. */
export interface WeightTensor {
  shape: number[];
  values: Float32Array;
}

/** The secret half: for each layer with parameters, in layer order, its kernel then its bias (if used). */
export type ModelWeights = WeightTensor[];

/** Weight shapes of a layer, in the order {@link ModelWeights} lists them. */
export function layerWeightShapes(layer: LayerSpec): number[][] {
  switch (layer.kind) {
    case 'dense':
      return layer.useBias ? [[layer.inputDim, layer.units], [layer.units]] : [[layer.inputDim, layer.units]];
    case 'conv2d': {
      const k = [layer.kernelSize[0], layer.kernelSize[1], layer.inChannels, layer.filters];
      return layer.useBias ? [k, [layer.filters]] : [k];
    }
    default:
      return [];
  }
}

/** Every weight shape of a model, in order. */
export function weightShapes(arch: ModelArchitecture): number[][] {
  return arch.layers.flatMap(layerWeightShapes);
}
