/**
 * Models on disk, as the CLI's `job run --predict` and `--train` name them: a tfjs `model.json`
 * (tfjs's own format, as `model.save()` and tensorflowjs_converter write it; a directory stands for
 * its `model.json`) or a peermpc architecture (the JSON of a {@link ModelArchitecture}, format
 * `peermpc-model/1`). The architecture alone needs no weight files: a tfjs model is rebuilt from
 * its topology. The weights, which only the model owner holds, are read from the weight files and
 * written as the one-column CSV the model owner publishes as a dataset for `predict`
 * ({@link weightsCsv}).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tf } from '../tensor/index.js';
import { convertModel, type ConvertedModel, type ModelPurpose } from './convert.js';
import { loadTfModelFiles } from './io.js';
import { flatWeights, parseArchitecture } from './job-ops.js';
import type { ModelArchitecture, ModelWeights } from './spec.js';

/** A model file that cannot be read, is not JSON, or is neither a tfjs model nor an architecture. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    /** The file named. */
    readonly path: string,
    /** What is wrong with it. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/** The file a model path names: `path` itself, or `path/model.json` when it is a directory. */
export async function modelJsonPath(path: string): Promise<string> {
  try {
    return (await stat(path)).isDirectory() ? join(path, 'model.json') : path;
  } catch (err) {
    throw new ModelFileError(path, `cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: err,
    });
  }
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ModelFileError(path, `cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(path, `not JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ModelFileError(path, 'not a JSON object');
  return json as Record<string, unknown>;
}

const NEITHER =
  'neither a tfjs model.json (no "modelTopology") nor a peermpc architecture (format "peermpc-model/1")';

/**
 * The architecture of the model at `path` (a tfjs model.json or directory, or a peermpc
 * architecture JSON). A tfjs model is converted for `purpose` from its topology alone (its weight
 * files are not read).
 * @throws ModelFileError (unreadable, not JSON, neither format, not a tfjs-layers topology),
 *   ModelSpecError (an invalid architecture), UnsupportedModelError (a layer or option a private
 *   model cannot run, naming the layer).
 */
export async function readArchitecture(
  tf: Tf,
  path: string,
  purpose: ModelPurpose = 'inference',
): Promise<ModelArchitecture> {
  const file = await modelJsonPath(path);
  const json = await readJson(file);
  if (json.format === 'peermpc-model/1') return parseArchitecture(json);
  if (typeof json.modelTopology !== 'object' || json.modelTopology === null)
    throw new ModelFileError(file, NEITHER);
  const topology = json.modelTopology as object;
  let model: Awaited<ReturnType<Tf['loadLayersModel']>>;
  try {
    model = await tf.loadLayersModel({ load: async () => ({ modelTopology: topology }) });
  } catch (err) {
    throw new ModelFileError(file, `not a tfjs-layers model (${(err as Error).message})`, { cause: err });
  }
  try {
    return convertModel(model, { purpose }).architecture;
  } finally {
    model.dispose();
  }
}

/**
 * The architecture and weights of the tfjs model at `path` (model.json or its directory, with the
 * weight files its manifest names), converted for inference.
 * @throws ModelFileError, UnsupportedModelError (as {@link readArchitecture}).
 */
export async function readModel(tf: Tf, path: string): Promise<ConvertedModel> {
  const file = await modelJsonPath(path);
  const json = await readJson(file);
  if (json.format === 'peermpc-model/1')
    throw new ModelFileError(file, 'a peermpc architecture holds no weights: name the tfjs model.json');
  if (typeof json.modelTopology !== 'object' || json.modelTopology === null)
    throw new ModelFileError(file, NEITHER);
  let model: Awaited<ReturnType<Tf['loadLayersModel']>>;
  try {
    model = await loadTfModelFiles(tf, file);
  } catch (err) {
    throw new ModelFileError(file, `cannot load the model and its weights (${(err as Error).message})`, {
      cause: err,
    });
  }
  try {
    return convertModel(model);
  } finally {
    model.dispose();
  }
}

/** Name of the column of {@link weightsCsv}. */
export const WEIGHTS_COLUMN = 'weight';

/**
 * The weights as a CSV of one column (`weight`) and one row per weight, in the flat order the
 * `predict` job op reads ({@link flatWeights}): what the model owner publishes with
 * `peermpc dataset add`. Each value is written exactly (a float32 weight is a float64 JavaScript prints in full).
 */
export function weightsCsv(weights: ModelWeights): string {
  const lines = [WEIGHTS_COLUMN];
  for (const v of flatWeights(weights)) lines.push(String(v));
  return lines.join('\n') + '\n';
}
