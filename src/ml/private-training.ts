/**
 * Private training through the API: rows split across data owners, hyperparameters public, the
 * trained weights (and, when asked, the loss after each epoch) opened to the requester only, who
 * gets them as a tfjs model it can save (`saveTfModelFiles`, or any tfjs IOHandler).
 *
 * Each data owner secret-shares its rows (features and labels together, one input round); the
 * shares are stacked in the owners' order (row counts are public); the initial weights are public
 * (every party computes them, e.g. {@link initialWeights} from a seed); training runs on shares
 * ({@link trainShares}); one opening sends the trained weights to the requester.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import type { Protocol, Share } from '../protocols/protocol.js';
import { decodeFixed, encodeFixed, loadTf, RingTensor } from '../tensor/index.js';
import { splitWeights, weightCount } from './forward.js';
import { validateModel } from './shapes.js';
import { weightShapes, type ModelArchitecture, type ModelWeights } from './spec.js';
import { toTfModel } from './to-tf.js';
import { trainShares } from './train.js';
import type { SgdOptions } from './training-spec.js';

/** Who holds the rows and who receives the model. */
export interface TrainRoles {
  /** Data owners in row order, with their (public) row counts. */
  dataOwners: readonly { party: number; rows: number }[];
  /** Receives the trained weights. */
  requester: number;
}

/** Options of {@link trainPrivately}. */
export interface PrivateTrainOptions extends SgdOptions {
  /** Fractional bits (default 16). */
  fractionalBits?: number;
  /** Open the mean training loss after each epoch to the requester (default false). */
  reportLoss?: boolean;
}

/** What the requester receives. */
export interface PrivateTrainResult {
  /** The trained model, ready to `save`. */
  model: LayersModel;
  /** The trained weights. */
  weights: ModelWeights;
  /** Mean training loss after each epoch (with `reportLoss`). */
  losses?: number[];
}

/** A data owner's rows: x [rows, inputs] and y [rows, outputs], row-major. */
export interface OwnerRows {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** The flat words of `weights` as a public share. */
export function publicWeights<S extends Share>(
  p: Protocol<S>,
  arch: ModelArchitecture,
  weights: ModelWeights,
  f = 16,
): S[] {
  validateModel(arch, weights);
  const flat = new Float64Array(weightCount(arch));
  let at = 0;
  for (const w of weights) {
    flat.set(w.values, at);
    at += w.values.length;
  }
  return splitWeights(p, arch, p.fromPublic(encodeFixed(flat, [flat.length], f), 'A'));
}

/** Stacks every owner's rows into shares X [N, inputs], Y [N, outputs] (one input round per owner). */
export async function inputRows<S extends Share>(
  p: Protocol<S>,
  arch: ModelArchitecture,
  owners: TrainRoles['dataOwners'],
  local: OwnerRows | undefined,
  f = 16,
): Promise<{ X: S; Y: S }> {
  const d = arch.inputShape[0]!;
  const k = arch.outputShape[0]!;
  const parts: S[] = [];
  for (const o of owners) {
    let ring: RingTensor | undefined;
    if (p.session.self === o.party) {
      if (local === undefined) throw new TypeError(`data owner ${o.party} must give its rows`);
      if (local.x.length !== o.rows * d || local.y.length !== o.rows * k)
        throw new RangeError(
          `data owner ${o.party}: expected ${o.rows} rows of ${d} features and ${k} labels`,
        );
      const both = new Float64Array(o.rows * (d + k));
      for (let r = 0; r < o.rows; r++) {
        for (let j = 0; j < d; j++) both[r * (d + k) + j] = local.x[r * d + j]!;
        for (let j = 0; j < k; j++) both[r * (d + k) + d + j] = local.y[r * k + j]!;
      }
      ring = encodeFixed(both, [o.rows, d + k], f);
    }
    parts.push(await p.input(o.party, ring, [o.rows, d + k]));
  }
  const all = parts.length === 1 ? parts[0]! : p.concat(parts, 0);
  return { X: p.slice(all, 1, 0, d), Y: p.slice(all, 1, d, d + k) };
}

/**
 * Trains `arch` privately from the public `initial` weights. SPMD: every party calls it with the
 * same roles, initial weights and options; data owners pass their rows. Resolves to the trained
 * model on the requester, `undefined` elsewhere.
 * @throws TrainingSpecError for models private training cannot train.
 */
export async function trainPrivately<S extends Share>(
  p: Protocol<S>,
  arch: ModelArchitecture,
  roles: TrainRoles,
  local: OwnerRows | undefined,
  initial: ModelWeights,
  options: PrivateTrainOptions,
): Promise<PrivateTrainResult | undefined> {
  const f = options.fractionalBits ?? 16;
  const { X, Y } = await inputRows(p, arch, roles.dataOwners, local, f);
  const { weights, losses } = await trainShares(p, arch, X, Y, publicWeights(p, arch, initial, f), {
    ...options,
    fractionalBits: f,
    lossTo: options.reportLoss ? [roles.requester] : [],
  });
  const flat = p.concat(
    weights.map((w) => p.reshape(w, [w.shape.reduce((a, b) => a * b, 1)])),
    0,
  );
  const opened = await p.reveal(flat, [roles.requester]);
  if (opened === undefined) return undefined;
  const values = decodeFixed(opened, f);
  let at = 0;
  const trained = weightShapes(arch).map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const w = { shape, values: Float32Array.from(values.subarray(at, at + n)) };
    at += n;
    return w;
  });
  const tf = await loadTf();
  const result: PrivateTrainResult = { model: toTfModel(tf, arch, trained), weights: trained };
  if (losses !== undefined) result.losses = losses;
  return result;
}
