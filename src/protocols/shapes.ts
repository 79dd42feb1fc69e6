/**
 * Shape inference for share layout ops, so that parties holding no share data (owners, a dealer,
 * the requester) track the same public shapes as compute parties without touching any words. The
 * functions live in the tensor layer, where RingTensor's ops check their operands with them, so
 * both throw the same RangeErrors.
 */
export {
  broadcastShapes,
  concatShape,
  im2colShape,
  matmulShape,
  reshapeShape,
  sliceShape,
  sumShape,
  transposeShape,
} from '../tensor/index.js';
