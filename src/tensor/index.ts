/**
 * The tensor layer: Z_2^64 ring tensors and their kernels, fixed point, the share PRG, the wire
 * codec, and the tfjs loader. Imports nothing from the layers above it.
 */
export * from './kernel.js';
export * from './registry.js';
export * from './shape.js';
export { RingTensor, type RingOperand } from './ring-tensor.js';
export { convOutput, im2colShape, type Conv2dGeometry } from './layout.js';
export * from './fixed-point.js';
export * from './prg.js';
export { bitwiseWordInto, type BitwiseOp } from './word-ops.js';
export * from './codec.js';
export * from './tf.js';
