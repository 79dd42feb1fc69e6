/**
 * The model layer: tfjs-layers models converted to private models, private inference and private
 * training on secret-shared data, and the entry points of the `predict` and `train` job ops.
 * Imports src/protocols and src/tensor only (docs/ML.md).
 */
export * from './spec.js';
export {
  convertModel,
  UnsupportedModelError,
  type ConvertOptions,
  type ConvertedModel,
  type ModelPurpose,
} from './convert.js';
export { ModelSpecError, validateModel, layerShapes } from './shapes.js';
export { toTfModel } from './to-tf.js';
export { fileLoadHandler, fileSaveHandler, loadTfModelFiles, saveTfModelFiles } from './io.js';
export {
  ModelFileError,
  modelJsonPath,
  readArchitecture,
  readModel,
  weightsCsv,
  WEIGHTS_COLUMN,
} from './model-file.js';
export { forward, splitWeights, weightCount, type ForwardOptions } from './forward.js';
export { PrivateModel, predictShares, type PredictOptions, type PredictRoles } from './private-model.js';
export { trainShares, type TrainSharesOptions, type TrainSharesResult } from './train.js';
export {
  trainPrivately,
  type OwnerRows,
  type PrivateTrainOptions,
  type PrivateTrainResult,
  type TrainRoles,
} from './private-training.js';
export { trainReference, lossValue, type TrainingRows, type TrainingResult } from './reference.js';
export { TrainingSpecError, trainingLoss, type LossKind, type SgdOptions } from './training-spec.js';
export { denseArchitecture, initialWeights } from './init.js';
export {
  checkTrainJob,
  featureCount,
  flatWeights,
  parseArchitecture,
  predictJob,
  trainJob,
  weightsToTfModel,
  type TrainJobParams,
} from './job-ops.js';
