/**
 * Value bounds through a private model's layers, so that its ReLUs compare over the bits a value
 * can use instead of all 64 (rep3's bounded circuit at 49 bits: 42.4 instead of 55.6 bytes per
 * element on role 0, 20.4 instead of 39.6 on roles 1 and 2; docs/PROTOCOLS.md, "The bound").
 *
 * Why a bound holds (src/protocols/ops/bounds.ts): a fixed-point product (matmulTrunc by f, the
 * core of Dense and Conv2D) is exact only for |z| < 2^62 before truncation, so its result lies in
 * [-2^(62-f), 2^(62-f)]: {@link productBits}(f) = 64 - f bits. A bias is an arbitrary encoded
 * value (up to 2^(63-f) in magnitude) unless the model owner keeps it within the same range, which
 * {@link checkBiasRange} checks on the owner's plaintext before the weights are shared: |b| <
 * {@link biasLimit}(f) = 2^(62-2f) (2^30, about 1.07e9, for f = 16). A product plus such a bias
 * fits one bit more than a product: 65 - f bits (49 for f = 16).
 *
 * Which biases: only those of a Dense or Conv2D layer whose output reaches a ReLU through bound-
 * keeping layers ({@link biasesReachingRelu}, public from the architecture); any other bias may be
 * anything. A checked bias beyond the limit is refused on the owner with a RangeError naming the
 * layer and the value.
 *
 * Who can break it, and what follows: the model owner, by sharing weights it did not check (the
 * others see only shares), and the data owner, whose inputs can push a product past 2^62 before
 * truncation. Out of range, a product is already wrong on the 64-bit path (its truncation error
 * depends on the shares' randomness; docs/PROTOCOLS.md, "Range"), and the bounded ReLU then gives
 * max(v, 0) for v the value's low 65 - f bits read as two's complement: a function of that same
 * wrong value. The prediction is wrong as any fixed-point op outside its range is; it opens to the
 * requester only, as every prediction does, and reveals no share.
 */
import { productBits } from '../protocols/ops/bounds.js';
import { layerWeightShapes, type LayerSpec, type ModelArchitecture, type ModelWeights } from './spec.js';

/** The largest magnitude (exclusive) of a bias the bounded path accepts: 2^(62-2f), a product's range. */
export function biasLimit(f: number): number {
  return 2 ** (62 - 2 * f);
}

/**
 * Bits of a Dense or Conv2D layer's output (before its activation): 64 when nothing bounds it
 * (also for f < 1, where a product has no bound of its own), 64 - f without a bias, 65 - f with a
 * checked bias.
 */
export function linearOutputBits(f: number, useBias: boolean, biasChecked: boolean): number {
  if (!Number.isInteger(f) || f < 1 || f > 62) return 64;
  if (!useBias) return productBits(f);
  return biasChecked ? Math.min(64, productBits(f) + 1) : 64;
}

/** Layers that pass a bound on through to the next (forward.ts tracks it through these). */
function keepsBound(layer: LayerSpec): boolean {
  if (layer.kind === 'maxPool2d' || layer.kind === 'flatten') return true;
  return layer.kind === 'activation' && layer.activation === 'linear';
}

/**
 * The Dense and Conv2D layers with a bias whose output reaches a ReLU, through its own activation
 * or through layers that keep a bound (maxPool2d, flatten, linear activations): the only biases a
 * bounded comparison depends on, so the only ones {@link checkBiasRange} checks. Computed from the
 * public architecture alone, so every party agrees on it.
 */
export function biasesReachingRelu(arch: ModelArchitecture): ReadonlySet<number> {
  const out = new Set<number>();
  arch.layers.forEach((layer, i) => {
    if ((layer.kind !== 'dense' && layer.kind !== 'conv2d') || !layer.useBias) return;
    if (layer.activation === 'relu') return void out.add(i);
    if (layer.activation !== 'linear') return;
    for (const next of arch.layers.slice(i + 1)) {
      if (next.kind === 'activation' && next.activation === 'relu') return void out.add(i);
      if (!keepsBound(next)) return;
    }
  });
  return out;
}

/**
 * Checks the biases of {@link biasesReachingRelu}(arch) in `weights` (in `arch`'s order) against
 * {@link biasLimit}(f). Other biases reach no ReLU through a tracked bound, and may be anything.
 * @throws RangeError naming the layer, the bias index and the limit.
 */
export function checkBiasRange(arch: ModelArchitecture, weights: ModelWeights, f: number): void {
  const limit = biasLimit(f);
  const checked = biasesReachingRelu(arch);
  let at = 0;
  arch.layers.forEach((layer, i) => {
    const shapes = layerWeightShapes(layer);
    if (checked.has(i)) {
      const values = weights[at + 1]?.values;
      if (values === undefined) throw new RangeError(`layer ${i} (${layer.kind}) has no bias tensor`);
      for (let j = 0; j < values.length; j++) {
        const v = values[j]!;
        if (!(Math.abs(v) < limit))
          throw new RangeError(
            `layer ${i} (${layer.kind}): bias ${j} is ${v.toPrecision(3)}; a bias before a ReLU must be below 2^${
              62 - 2 * f
            } (${limit.toPrecision(3)}) in magnitude with ${f} fractional bits (docs/ML.md, "Bounds")`,
          );
      }
    }
    at += shapes.length;
  });
}
