/**
 * Checks for request bodies and query strings: each throws a {@link BadRequestError} naming the field.
 */
import { isAbsolute } from 'node:path';
import { BadRequestError } from './errors.js';

/** A JSON object body (an absent body counts as `{}`). */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** A required non-empty string field. */
export function requiredString(obj: Record<string, unknown>, field: string): string {
  const v = obj[field];
  if (typeof v !== 'string' || v === '')
    throw new BadRequestError(`"${field}" is required and must be a non-empty string`);
  return v;
}

/** An optional string field. */
export function optionalString(obj: Record<string, unknown>, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BadRequestError(`"${field}" must be a string`);
  return v;
}

/** An optional array of non-empty strings. */
export function optionalStringArray(obj: Record<string, unknown>, field: string): string[] | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) {
    throw new BadRequestError(`"${field}" must be an array of non-empty strings`);
  }
  return v as string[];
}

/** An optional object of integers in [min, max] by name (e.g. column magnitudes); at most 1024 keys. */
export function optionalIntRecord(
  obj: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
): Record<string, number> | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  const ok =
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).length <= 1024 &&
    Object.entries(v).every(
      ([k, n]) =>
        k !== '' && k.length <= 256 && Number.isInteger(n) && (n as number) >= min && (n as number) <= max,
    );
  if (!ok) throw new BadRequestError(`"${field}" must be an object of integers in [${min}, ${max}] by name`);
  return { ...(v as Record<string, number>) };
}

/**
 * An optional object of column bounds by name: each `[lo, hi]`, two finite numbers lo < hi within
 * ±`maxAbs`, or `null` when `allowNull` (a removal); at most 4096 keys of 1-256 characters.
 */
export function optionalBoundsRecord(
  obj: Record<string, unknown>,
  field: string,
  maxAbs: number,
  allowNull: true,
): Record<string, [number, number] | null> | undefined;
export function optionalBoundsRecord(
  obj: Record<string, unknown>,
  field: string,
  maxAbs: number,
  allowNull?: false,
): Record<string, [number, number]> | undefined;
export function optionalBoundsRecord(
  obj: Record<string, unknown>,
  field: string,
  maxAbs: number,
  allowNull = false,
): Record<string, [number, number] | null> | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  const isBounds = (b: unknown): boolean =>
    Array.isArray(b) &&
    b.length === 2 &&
    b.every((x) => typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= maxAbs) &&
    (b[0] as number) < (b[1] as number);
  const ok =
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).length <= 4096 &&
    Object.entries(v).every(
      ([k, b]) => k !== '' && k.length <= 256 && ((allowNull && b === null) || isBounds(b)),
    );
  if (!ok) {
    const nul = allowNull ? ' or null (to remove them)' : '';
    const limit = Number.isInteger(Math.log2(maxAbs)) ? `2^${Math.log2(maxAbs)}` : String(maxAbs);
    throw new BadRequestError(
      `"${field}" must be an object of [lo, hi] by column name (finite numbers, lo < hi, |lo|, |hi| <= ${limit})${nul}`,
    );
  }
  return Object.fromEntries(
    Object.entries(v as Record<string, [number, number] | null>).map(([k, b]) => [
      k,
      b === null ? null : [b[0], b[1]],
    ]),
  );
}

/** An optional boolean field. */
export function optionalBoolean(obj: Record<string, unknown>, field: string): boolean | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new BadRequestError(`"${field}" must be true or false`);
  return v;
}

/** An optional positive integer field (or query value given as a string of digits). */
export function optionalPositiveInt(
  value: unknown,
  field: string,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0 || n > max) {
    throw new BadRequestError(`"${field}" must be an integer in 1..${max}`);
  }
  return n;
}

/** An optional absolute file path: the daemon's working directory is not the caller's. */
export function optionalAbsolutePath(obj: Record<string, unknown>, field: string): string | undefined {
  const v = optionalString(obj, field);
  if (v !== undefined && !isAbsolute(v)) throw new BadRequestError(`"${field}" must be an absolute path`);
  return v;
}
