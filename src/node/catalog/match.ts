/**
 * Search matching: which descriptions a term finds, how well, and the DHT keys that lead to them.
 *
 * A term matches a description when, case-insensitively, it is a substring of the name, of a tag or
 * (searching `any`) of the free-text description. Matches rank: exact name, name prefix, exact tag,
 * tag prefix, a word of the name or a tag starting with the term, substring of the name or a tag,
 * a word of the description starting with the term, substring of the description.
 *
 * A DHT only finds exact keys, so an owner provides, besides its name and tag keys, one *prefix key*
 * per distinct 3-character start of the name, of each tag and of their words (split at `-`, `_`,
 * `.`). A search for a term of 3 or more characters looks up the prefix key of the term's start:
 * across the network it finds every dataset with a name or tag word that starts with the term;
 * substrings elsewhere in a word and description words are matched by the owners the search reaches
 * (these providers, and the peers this peer is connected to).
 */
import { isValidName } from '../dataset/names.js';
import type { SignedDatasetDescription } from '../types.js';

/** Which fields a search looks at. */
export type SearchField = 'name' | 'tag' | 'any';

/** Longest search term (characters). */
export const MAX_TERM_CHARS = 64;
/** Length of the prefix a prefix key holds. */
export const PREFIX_CHARS = 3;
/** Most prefix keys one dataset provides. */
export const MAX_PREFIX_KEYS = 16;

/** Rank of a match (lower is better); `undefined` when the term does not match. */
export type MatchRank = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** The term as searched: trimmed, lower-cased; `undefined` when empty, too long or with control characters. */
export function normaliseTerm(term: string): string | undefined {
  const t = term.trim().toLowerCase();
  // eslint-disable-next-line no-control-regex
  if (t === '' || t.length > MAX_TERM_CHARS || /[\u0000-\u001f\u007f]/.test(t)) return undefined;
  return t;
}

/** The words of a name or tag (split at `-`, `_`, `.`) or of free text (split at non-alphanumerics). */
export function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

function rankIn(value: string, t: string, ranks: [MatchRank, MatchRank, MatchRank, MatchRank]) {
  if (value === t) return ranks[0];
  if (value.startsWith(t)) return ranks[1];
  if (wordsOf(value).some((w) => w.startsWith(t))) return ranks[2];
  if (value.includes(t)) return ranks[3];
  return undefined;
}

/** How well the normalised term `t` matches a description searching `field`. */
export function matchRank(
  signed: SignedDatasetDescription,
  t: string,
  field: SearchField,
): MatchRank | undefined {
  const d = signed.description;
  const ranks: MatchRank[] = [];
  if (field !== 'tag') {
    const r = rankIn(d.name, t, [0, 1, 4, 5]);
    if (r !== undefined) ranks.push(r);
  }
  if (field !== 'name') {
    for (const tag of d.tags) {
      const r = rankIn(tag, t, [2, 3, 4, 5]);
      if (r !== undefined) ranks.push(r);
    }
  }
  if (field === 'any') {
    const text = d.description.toLowerCase();
    if (wordsOf(text).some((w) => w.startsWith(t))) ranks.push(6);
    else if (text.includes(t)) ranks.push(7);
  }
  return ranks.length === 0 ? undefined : (Math.min(...ranks) as MatchRank);
}

/** Whether `signed` has the name (or a tag, per `field`) `t`, exactly: an exact search's filter. */
export function matchesExactly(signed: SignedDatasetDescription, t: string, field: SearchField): boolean {
  const d = signed.description;
  if (field !== 'tag' && d.name.toLowerCase() === t) return true;
  return field !== 'name' && d.tags.some((tag) => tag.toLowerCase() === t);
}

/** The prefix-key texts a dataset is provided under (at most {@link MAX_PREFIX_KEYS}). */
export function prefixesOf(name: string, tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const value of [name, ...tags]) {
    for (const word of [value, ...wordsOf(value)]) {
      if (word.length < PREFIX_CHARS) continue;
      const p = word.slice(0, PREFIX_CHARS);
      if (isValidName(p)) out.add(p);
      if (out.size === MAX_PREFIX_KEYS) return [...out];
    }
  }
  return [...out];
}

/** The DHT lookups for a normalised term: exact name/tag keys when it is a valid name, and its prefix key. */
export function lookupsFor(t: string, field: SearchField): { name?: string; tag?: string; prefix?: string } {
  const exact = isValidName(t);
  const start = wordsOf(t)[0] ?? '';
  const prefix = start.length >= PREFIX_CHARS ? start.slice(0, PREFIX_CHARS) : undefined;
  return {
    ...(exact && field !== 'tag' ? { name: t } : {}),
    ...(exact && field !== 'name' ? { tag: t } : {}),
    ...(prefix !== undefined && isValidName(prefix) ? { prefix } : {}),
  };
}
