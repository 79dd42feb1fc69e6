/**
 * Bounds on text that came from outside (the wire, a file, a request): whatever a peer sends is
 * cut to a few hundred characters before it is stored, logged, audited or echoed, so a stranger
 * cannot grow a log or a reply by megabytes with one field.
 */

/** Longest piece of outside text kept (characters). */
export const OUTSIDE_TEXT_MAX = 200;

/** Longest error message built around outside text (characters). */
export const MESSAGE_MAX = 600;

/** `s` cut to `max` characters, saying how much was dropped. */
export function boundText(s: string, max = OUTSIDE_TEXT_MAX): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}…(${s.length - max} more characters)`;
}

/**
 * Any value from outside as a bounded, quoted string for a message: `"abc…(N more characters)"`.
 * Arrays and objects are named by kind and size, never converted: `String` of an array nested
 * thousands deep overflows the stack, and one of millions of elements costs their text.
 */
export function quoted(v: unknown, max = OUTSIDE_TEXT_MAX): string {
  return JSON.stringify(boundText(outsideText(v), max));
}

/** A short text naming an outside value without walking it (see `quoted`). */
function outsideText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `(an array of ${v.length})`;
  if (v !== null && typeof v === 'object') return '(an object)';
  return String(v);
}
