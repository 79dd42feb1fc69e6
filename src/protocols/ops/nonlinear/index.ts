/**
 * Nonlinear fixed-point ops, generic over any {@link Protocol}: reciprocal and division, exp, sigmoid,
 * tanh, softmax, log, sqrt and rsqrt, pooling and conv2d. Each states its input range, error and
 * rounds in its module comment; docs/ML.md tabulates them.
 */
export { fracBits, type FixedOptions } from './common.js';
export { fitPolynomial, evalPolynomial } from './poly.js';
export { normalize, oneHotWeights, type Normalized } from './normalize.js';
export { rsqrt, sqrt, DEFAULT_MAX_LOG2, type RangeOptions } from './roots.js';
export { reciprocal, reciprocalBounded, divide, type ReciprocalOptions } from './reciprocal.js';
export { divideBounded, divideBoundedRounds, type DivideBoundedOptions } from './divide-bounded.js';
export { rowMax, PAIRWISE_MAX_LIMIT } from './row-max.js';
export { exp, expNonPositive, expNegAbs } from './exp.js';
export { sigmoid, tanh } from './sigmoid.js';
export { log } from './log.js';
export { AUTO_PAIRWISE_ELEMENTS, softmax, logSoftmax, type SoftmaxOptions } from './softmax.js';
export { conv2d, maxPool2d, avgPool2d, type WindowOptions } from './conv.js';
