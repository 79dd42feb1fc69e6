/**
 * tfjs model files on disk, without tfjs-node: a `model.json` plus its weight files, in the format
 * `model.save()` writes (tfjs-node's `file://` handler, tensorflowjs_converter). Loading reads the
 * weights manifest's paths relative to model.json; saving writes `model.json` and one
 * `weights.bin`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { LayersModel, io } from '@tensorflow/tfjs';
import type { Tf } from '../tensor/index.js';

/** A tfjs IOHandler that loads `model.json` (and the weight files it names) from the file system. */
export function fileLoadHandler(tf: Tf, modelJsonPath: string): io.IOHandler {
  const path = resolve(modelJsonPath);
  return {
    load: async () => {
      const json = JSON.parse(await readFile(path, 'utf8')) as io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const b = await readFile(join(dirname(path), p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** Loads a tfjs-layers model from `model.json` and its weight files. */
export async function loadTfModelFiles(tf: Tf, modelJsonPath: string): Promise<LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(tf, modelJsonPath));
}

/** A tfjs IOHandler that saves into `dir` as `model.json` + `weights.bin`. */
export function fileSaveHandler(tf: Tf, dir: string): io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    await mkdir(dir, { recursive: true });
    const data = artifacts.weightData;
    const bytes =
      data === undefined
        ? new ArrayBuffer(0)
        : Array.isArray(data)
          ? tf.io.concatenateArrayBuffers(data)
          : data;
    await writeFile(join(dir, 'weights.bin'), new Uint8Array(bytes));
    const json: io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: 'peermpc',
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
    };
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        weightDataBytes: bytes.byteLength,
      },
    };
  });
}

/** Saves a tfjs-layers model as `dir/model.json` + `dir/weights.bin`. */
export async function saveTfModelFiles(tf: Tf, model: LayersModel, dir: string): Promise<void> {
  await model.save(fileSaveHandler(tf, dir));
}
