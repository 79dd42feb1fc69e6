/** Rules for dataset names and tags: 1–64 characters of a-z 0-9 . _ -, starting with a letter or digit. */
import { InvalidNameError } from '../errors.js';

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Whether `value` is a valid dataset name or tag. */
export function isValidName(value: string): boolean {
  return NAME_RE.test(value);
}

/** Returns `value` if it is a valid dataset name. @throws {InvalidNameError} */
export function checkDatasetName(value: string): string {
  if (!isValidName(value)) throw new InvalidNameError('dataset name', value);
  return value;
}

/** Lower-cases, trims, validates, dedupes and sorts tags. @throws {InvalidNameError} */
export function normaliseTags(tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of tags) {
    const tag = raw.trim().toLowerCase();
    if (tag === '') continue;
    if (!isValidName(tag)) throw new InvalidNameError('tag', raw);
    out.add(tag);
  }
  if (out.size > 32) throw new InvalidNameError('tag', `${out.size} tags (at most 32)`);
  return [...out].sort();
}
