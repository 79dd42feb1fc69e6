/**
 * Readers for node params: each checks one param and throws an {@link OpTypeError} naming it
 * (validation adds the node id). Params are public values chosen by the requester.
 */
import { PROGRAM_LIMITS, type Params } from './types.js';
import { OpTypeError } from './value-type.js';

/** Throws when `params` has a key outside `known`. */
export function checkKnownParams(params: Params, known: readonly string[]): void {
  for (const k of Object.keys(params)) {
    if (!known.includes(k)) {
      throw new OpTypeError(
        `unknown param "${k}"${known.length > 0 ? ` (known: ${known.join(', ')})` : ' (this op takes none)'}`,
      );
    }
  }
}

/** A non-empty array of unique non-empty strings. */
export function stringListParam(params: Params, key: string): string[] {
  const v = params[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && s !== '')) {
    throw new OpTypeError(`param "${key}" must be a non-empty array of non-empty strings`);
  }
  const list = v as string[];
  if (list.length > PROGRAM_LIMITS.columns)
    throw new OpTypeError(`param "${key}" has more than ${PROGRAM_LIMITS.columns} entries`);
  const dup = list.find((s, i) => list.indexOf(s) !== i);
  if (dup !== undefined) throw new OpTypeError(`param "${key}" repeats "${dup}"`);
  return list;
}

/** A non-empty string, or undefined when absent and optional. */
export function stringParam(params: Params, key: string, required: true): string;
export function stringParam(params: Params, key: string, required?: false): string | undefined;
export function stringParam(params: Params, key: string, required = false): string | undefined {
  const v = params[key];
  if (v === undefined) {
    if (required) throw new OpTypeError(`param "${key}" is required`);
    return undefined;
  }
  if (typeof v !== 'string' || v === '') throw new OpTypeError(`param "${key}" must be a non-empty string`);
  return v;
}

/** A finite number (default when absent), within [min, max]. */
export function numberParam(
  params: Params,
  key: string,
  def: number,
  min = -Infinity,
  max = Infinity,
): number {
  const v = params[key];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new OpTypeError(`param "${key}" must be a finite number in [${min}, ${max}]`);
  }
  return v;
}

/** An integer (default when absent), within [min, max]. */
export function intParam(params: Params, key: string, def: number, min: number, max: number): number {
  const v = numberParam(params, key, def, min, max);
  if (!Number.isInteger(v)) throw new OpTypeError(`param "${key}" must be an integer in [${min}, ${max}]`);
  return v;
}

/** A non-empty array of finite numbers. */
export function numberListParam(params: Params, key: string, maxLength: number): number[] {
  const v = params[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new OpTypeError(`param "${key}" must be a non-empty array of finite numbers`);
  }
  if (v.length > maxLength) throw new OpTypeError(`param "${key}" has more than ${maxLength} entries`);
  return v as number[];
}

/** An array of positive integers (a shape). */
export function shapeParam(params: Params, key: string): number[] | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  if (
    !Array.isArray(v) ||
    v.length > 8 ||
    !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x > 0)
  ) {
    throw new OpTypeError(`param "${key}" must be an array of at most 8 positive integers`);
  }
  return v as number[];
}
