/**
 * PrivateModel: a converted tfjs model run on secret-shared data (private inference).
 *
 * Privacy split (docs/ML.md): every party of the session knows the architecture (it is part of the
 * job); the model owner secret-shares the weights, the data owner secret-shares the input rows; the
 * compute parties run the forward pass on shares; the output is opened to the requester only. The
 * data owner never receives weights or predictions (unless it is the requester), the model owner
 * never receives the inputs: each only ever receives shares, which are uniformly random on their
 * own. The number of input rows and the model's shapes are public.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import type { Protocol, Share } from '../protocols/protocol.js';
import { decodeFixed, encodeFixed, loadTf, type TensorLike } from '../tensor/index.js';
import { checkBiasRange } from './bounds.js';
import { convertModel } from './convert.js';
import { forward, splitWeights, weightCount, type ForwardOptions } from './forward.js';
import { validateModel } from './shapes.js';
import type { ModelArchitecture, ModelWeights } from './spec.js';

/** Who plays which part in a private prediction (session party indices). */
export interface PredictRoles {
  /** Shares the weights. */
  modelOwner: number;
  /** Shares the input rows. */
  dataOwner: number;
  /** Receives the predictions. */
  requester: number;
}

/** Options of {@link PrivateModel.predict}. */
export interface PredictOptions extends ForwardOptions {
  /** Number of input rows (public; every party must pass it). */
  rows: number;
}

/** The predictions, on the requester. */
export type TfTensor = ReturnType<Awaited<ReturnType<typeof loadTf>>['tensor']>;

/** A private model: the public architecture, plus the weights on the model owner's side. */
export class PrivateModel {
  constructor(
    /** Layers and shapes (public). */
    readonly architecture: ModelArchitecture,
    /** The weights: only the model owner has them. */
    readonly weights?: ModelWeights,
  ) {
    validateModel(architecture, weights);
  }

  /** Converts a tfjs-layers model (on the model owner). @throws UnsupportedModelError */
  static fromTf(model: LayersModel): PrivateModel {
    const { architecture, weights } = convertModel(model);
    return new PrivateModel(architecture, weights);
  }

  /** The model as every other party knows it: the architecture only. */
  static fromArchitecture(architecture: ModelArchitecture): PrivateModel {
    return new PrivateModel(architecture);
  }

  /** Total number of weight values. */
  get weightCount(): number {
    return weightCount(this.architecture);
  }

  /**
   * The model owner secret-shares its weights as one flat share [weightCount] (one input round),
   * after checking every bias that reaches a ReLU against biasLimit(f) (bounds.ts: what lets the
   * forward pass compare over fewer bits). @throws RangeError on the owner for such a bias out of
   * range.
   */
  async shareWeights<S extends Share>(p: Protocol<S>, modelOwner: number, fractionalBits = 16): Promise<S> {
    let ring;
    if (p.session.self === modelOwner) {
      if (this.weights === undefined) throw new TypeError('the model owner must hold the weights');
      checkBiasRange(this.architecture, this.weights, fractionalBits);
      const flat = new Float64Array(this.weightCount);
      let at = 0;
      for (const w of this.weights) {
        flat.set(w.values, at);
        at += w.values.length;
      }
      ring = encodeFixed(flat, [flat.length], fractionalBits);
    }
    return p.input(modelOwner, ring, [this.weightCount]);
  }

  /**
   * Private inference. SPMD: every party of the session calls it with the same roles and options;
   * the data owner passes `input` ([rows, ...inputShape] values), everyone else `undefined`; the
   * model owner's instance holds the weights. Resolves to the predictions (a tfjs tensor
   * [rows, ...outputShape]) on the requester, `undefined` elsewhere.
   * @example
   * const y = await model.predict(protocol, { modelOwner: 3, dataOwner: 4, requester: 5 }, rows, { rows: 100 });
   */
  async predict<S extends Share>(
    p: Protocol<S>,
    roles: PredictRoles,
    input: TensorLike | ArrayLike<number> | undefined,
    options: PredictOptions,
  ): Promise<TfTensor | undefined> {
    const f = options.fractionalBits ?? 16;
    const arch = this.architecture;
    const shape = [options.rows, ...arch.inputShape];
    const w = await this.shareWeights(p, roles.modelOwner, f);
    let ring;
    if (p.session.self === roles.dataOwner) {
      if (input === undefined) throw new TypeError('the data owner must give the input');
      ring = encodeFixed(input as ArrayLike<number>, shape, f).reshape(shape);
    }
    const x = await p.input(roles.dataOwner, ring, shape);
    // shareWeights checked the biases that reach a ReLU, on the owner, at f
    const y = await predictShares(p, arch, w, x, { ...options, biasChecked: f });
    const out = await p.reveal(y, [roles.requester]);
    if (out === undefined) return undefined;
    const tf = await loadTf();
    return tf.tensor(Float32Array.from(decodeFixed(out, f)), y.shape as number[]);
  }
}

/**
 * The forward pass on shares (the `predict` job op's core): flat weight share [W] and input share
 * [rows, ...inputShape] -> output share [rows, ...outputShape]. Nothing is revealed.
 */
export function predictShares<S extends Share>(
  p: Protocol<S>,
  arch: ModelArchitecture,
  flatWeights: S,
  x: S,
  options: ForwardOptions = {},
): Promise<S> {
  const want = arch.inputShape.join(',');
  if (x.shape.slice(1).join(',') !== want)
    throw new RangeError(`the input has shape [${x.shape.join(',')}], the model expects [rows,${want}]`);
  return forward(p, arch, splitWeights(p, arch, flatWeights), x, options);
}
