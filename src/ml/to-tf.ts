/**
 * Private model -> tfjs-layers model: how trained weights reach the requester (as a model it can
 * `save`), and the plaintext reference the tests compare private results with.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import type { Tf } from '../tensor/index.js';
import { validateModel } from './shapes.js';
import type { LayerSpec, ModelArchitecture, ModelWeights } from './spec.js';

/**
 * Builds a tfjs Sequential model with the architecture, and the weights when given (otherwise
 * tfjs's initialisers). Layer names are kept, so a converted model converts back to itself.
 * @throws ModelSpecError when weights do not fit the architecture.
 */
export function toTfModel(tf: Tf, arch: ModelArchitecture, weights?: ModelWeights): LayersModel {
  validateModel(arch, weights);
  const model = tf.sequential();
  arch.layers.forEach((l, i) => {
    const first = i === 0 ? { inputShape: arch.inputShape } : {};
    model.add(tfLayer(tf, l, first));
  });
  if (arch.layers.length === 0)
    model.add(tf.layers.activation({ activation: 'linear', inputShape: arch.inputShape }));
  if (weights !== undefined) {
    const ts = weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
    model.setWeights(ts);
    tf.dispose(ts);
  }
  return model;
}

function tfLayer(tf: Tf, l: LayerSpec, first: { inputShape?: number[] }) {
  const name = l.name;
  switch (l.kind) {
    case 'dense':
      return tf.layers.dense({
        ...first,
        name,
        units: l.units,
        useBias: l.useBias,
        activation: l.activation,
      });
    case 'conv2d':
      return tf.layers.conv2d({
        ...first,
        name,
        filters: l.filters,
        kernelSize: l.kernelSize,
        strides: l.strides,
        padding: l.padding,
        useBias: l.useBias,
        activation: l.activation,
      });
    case 'maxPool2d':
      return tf.layers.maxPooling2d({
        ...first,
        name,
        poolSize: l.poolSize,
        strides: l.strides,
        padding: l.padding,
      });
    case 'avgPool2d':
      return tf.layers.averagePooling2d({
        ...first,
        name,
        poolSize: l.poolSize,
        strides: l.strides,
        padding: l.padding,
      });
    case 'flatten':
      return tf.layers.flatten({ ...first, name });
    case 'activation':
      return tf.layers.activation({ ...first, name, activation: l.activation });
  }
}
