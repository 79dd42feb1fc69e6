/**
 * The MPC engine's tensor ops, exposed to programs: elementwise arithmetic (numpy broadcasting),
 * scaling by a public factor, matrix product, transpose, public constants and the nonlinear
 * functions. A table used as an argument is its `rows x columns` matrix.
 * What each result discloses about the rows of each input is the disclosure analysis's business
 * (src/jobs/disclosure/rules.ts).
 */
import { defineOp, type OpDef } from './op-def.js';
import { numberListParam, numberParam, shapeParam } from './params.js';
import { PROGRAM_LIMITS } from './types.js';
import {
  broadcastDims,
  fmtDims,
  mergeSources,
  OpTypeError,
  tensorType,
  type ValueType,
} from './value-type.js';

function binary(name: string, summary: string): OpDef {
  return defineOp({
    name,
    summary,
    category: 'engine',
    arity: { min: 2, max: 2 },
    params: [],
    infer: ([a, b]) => tensorType(broadcastDims(a!.shape, b!.shape), mergeSources([a!, b!])),
  });
}

function unary(name: string, summary: string): OpDef {
  return defineOp({
    name,
    summary,
    category: 'engine',
    arity: { min: 1, max: 1 },
    params: [],
    infer: ([a]) => tensorType([...a!.shape], a!.sources, a!.labels ?? tableLabels(a!)),
  });
}

function tableLabels(t: ValueType): (string[] | undefined)[] | undefined {
  return t.kind === 'table' ? [undefined, t.columns] : undefined;
}

/** `add(a, b)`. */
export const addOp = binary('add', 'elementwise a + b (broadcasting)');
/** `sub(a, b)`. */
export const subOp = binary('sub', 'elementwise a - b (broadcasting)');
/** `mul(a, b)`. */
export const mulOp = binary('mul', 'elementwise a * b (broadcasting)');
/** `div(a, b)`: needs the engine's reciprocal. */
export const divOp = binary('div', 'elementwise a / b (broadcasting; b must be positive)');
/** `neg(a)`. */
export const negOp = unary('neg', 'elementwise -a');
/** `relu(a)`. */
export const reluOp = unary('relu', 'elementwise max(a, 0)');
/** `sigmoid(a)`. */
export const sigmoidOp = unary('sigmoid', 'elementwise 1 / (1 + exp(-a))');
/** `exp(a)`. */
export const expOp = unary('exp', 'elementwise e^a');
/** `reciprocal(a)`: a must be positive. */
export const reciprocalOp = unary('reciprocal', 'elementwise 1 / a (a positive)');
/** `sqrt(a)`: a must be positive. */
export const sqrtOp = unary('sqrt', 'elementwise square root (a positive)');
/** `rsqrt(a)`: a must be positive. */
export const rsqrtOp = unary('rsqrt', 'elementwise 1 / sqrt(a) (a positive)');

/** `scale(a, {factor})`: a times a public real. */
export const scaleOp = defineOp({
  name: 'scale',
  summary: 'a times a public number (param: factor)',
  category: 'engine',
  arity: { min: 1, max: 1 },
  params: ['factor'],
  infer([a], params) {
    numberParam(params, 'factor', 1, -(2 ** 30), 2 ** 30);
    if (params.factor === undefined) throw new OpTypeError('param "factor" is required');
    return tensorType([...a!.shape], a!.sources, a!.labels ?? tableLabels(a!));
  },
});

/** `matmul(a, b)`: matrix product of 2-D values. */
export const matmulOp = defineOp({
  name: 'matmul',
  summary: 'matrix product of two 2-D values',
  category: 'engine',
  arity: { min: 2, max: 2 },
  params: [],
  infer([a, b]) {
    if (a!.shape.length !== 2 || b!.shape.length !== 2) {
      throw new OpTypeError(`matmul needs 2-D arguments, got ${fmtDims(a!.shape)} and ${fmtDims(b!.shape)}`);
    }
    const [m, k1] = a!.shape;
    const [k2, n] = b!.shape;
    if (k1 !== undefined && k2 !== undefined && k1 !== k2) {
      throw new OpTypeError(`inner dimensions differ: ${fmtDims(a!.shape)} @ ${fmtDims(b!.shape)}`);
    }
    return tensorType([m, n], mergeSources([a!, b!]));
  },
});

/** `transpose(a)`: swaps the axes of a 2-D value. */
export const transposeOp = defineOp({
  name: 'transpose',
  summary: 'swaps the two axes of a 2-D value',
  category: 'engine',
  arity: { min: 1, max: 1 },
  params: [],
  infer([a]) {
    if (a!.shape.length !== 2)
      throw new OpTypeError(`transpose needs a 2-D argument, got ${fmtDims(a!.shape)}`);
    const labels = a!.labels ?? tableLabels(a!);
    return tensorType([a!.shape[1], a!.shape[0]], a!.sources, labels && [labels[1], labels[0]]);
  },
});

/** `constant({values, shape?})`: a public tensor (no arguments). */
export const constantOp = defineOp({
  name: 'constant',
  summary: 'a public tensor (params: values, shape; default shape [values.length])',
  category: 'engine',
  arity: { min: 0, max: 0 },
  params: ['values', 'shape'],
  infer(_args, params) {
    const values = numberListParam(params, 'values', PROGRAM_LIMITS.constantElements);
    const shape = shapeParam(params, 'shape') ?? [values.length];
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== values.length)
      throw new OpTypeError(`${values.length} values do not fill shape ${fmtDims(shape)}`);
    return tensorType(shape, []);
  },
});

/** The engine ops. */
export const ENGINE_OPS: readonly OpDef[] = [
  addOp,
  subOp,
  mulOp,
  divOp,
  negOp,
  scaleOp,
  matmulOp,
  transposeOp,
  constantOp,
  reluOp,
  sigmoidOp,
  expOp,
  reciprocalOp,
  sqrtOp,
  rsqrtOp,
];
