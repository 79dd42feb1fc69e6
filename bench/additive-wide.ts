/**
 * Bench-only protocol names for the `additive` protocol at more compute parties than the registry's
 * default (2 + dealer): `additive-<N>` runs N compute parties and a dealer (N + 1 session parties)
 * with the default openings ('auto': through kings for N > 3); `additive-<N>-all` and
 * `additive-<N>-king` force all-to-all or king openings, so one run can put both side by side.
 * Registered on demand (when a filter names one), so they never join the default protocol list;
 * they run in memory only (one process per party at these counts is not what they measure).
 */
import { AdditiveProtocol, type OpeningMode } from '../src/protocols/additive/index.js';
import { protocolNames, registerProtocol } from '../src/protocols/registry.js';

const WIDE = /^additive-(\d+)(?:-(all|king))?$/;

/** Whether `name` is a wide additive name (registered or not). */
export function isWideAdditive(name: string): boolean {
  return WIDE.test(name);
}

/**
 * Registers `name` when it is a wide additive name (N from 2 to 64) and returns true; false for any
 * other name.
 */
export function registerWideAdditive(name: string): boolean {
  const m = WIDE.exec(name);
  if (m === null) return false;
  const n = Number(m[1]);
  if (!Number.isInteger(n) || n < 2 || n > 64) return false;
  if (protocolNames().includes(name)) return true;
  const openings = (m[2] ?? 'auto') as OpeningMode;
  const computeParties = [...Array(n).keys()];
  registerProtocol({
    name,
    description: `additive with ${n} compute parties and a dealer, ${openings} openings (bench only)`,
    defaultParties: n + 1,
    create: (s) => new AdditiveProtocol(s, { computeParties, dealer: n, openings }),
  });
  return true;
}
