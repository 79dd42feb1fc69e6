/**
 * Deterministic initial weights: Glorot-uniform kernels and zero biases from a seeded generator,
 * so a private run and its plaintext reference start from the same point on every machine.
 */
import { weightShapes, type ModelArchitecture, type ModelWeights } from './spec.js';

/** Glorot-uniform kernels (limit sqrt(6 / (fanIn + fanOut))) and zero biases, from `seed`. */
export function initialWeights(arch: ModelArchitecture, seed = 1): ModelWeights {
  let s = seed >>> 0 || 1;
  // xorshift32: small, deterministic, good enough for initialisation
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  return weightShapes(arch).map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    if (shape.length > 1) {
      const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
      const fanIn = shape[shape.length - 2]! * receptive;
      const fanOut = shape[shape.length - 1]! * receptive;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) values[i] = (next() * 2 - 1) * limit;
    }
    return { shape, values };
  });
}

/** A Dense-only architecture from layer sizes: hidden layers use `hidden`, the last `output`. */
export function denseArchitecture(
  sizes: readonly number[],
  hidden: 'relu' | 'linear',
  output: 'sigmoid' | 'softmax' | 'linear',
): ModelArchitecture {
  if (sizes.length < 2) throw new RangeError('denseArchitecture needs at least an input and an output size');
  return {
    format: 'peermpc-model/1',
    inputShape: [sizes[0]!],
    outputShape: [sizes[sizes.length - 1]!],
    layers: sizes.slice(1).map((units, i) => ({
      kind: 'dense' as const,
      name: `dense_${i + 1}`,
      inputDim: sizes[i]!,
      units,
      useBias: true,
      activation: i === sizes.length - 2 ? output : hidden,
    })),
  };
}
