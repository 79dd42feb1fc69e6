/**
 * Canonical JSON: the byte string that signatures cover. Object keys sorted by code unit, no
 * whitespace, arrays in order, numbers as `JSON.stringify` prints them (finite only), strings as
 * `JSON.stringify` escapes them. Two equal values always give the same bytes.
 */

/** Thrown for a value that has no canonical JSON form (non-finite number, undefined, function...). */
export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

/** Canonical JSON text of `value`. @throws {CanonicalJsonError} */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`non-finite number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new CanonicalJsonError('only plain objects and arrays have a canonical form');
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(`a ${typeof value} has no JSON form`);
  }
}

/** UTF-8 bytes of {@link canonicalJson}. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
