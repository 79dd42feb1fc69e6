/**
 * Retention of the audit log, from the `"audit"` object of `<dataDir>/jobs/config.json` (all
 * optional):
 *
 * ```json
 * { "audit": { "maxLiveEntries": 5000, "keepLiveEntries": 1000, "segmentDays": 0 } }
 * ```
 *
 * When the live log holds more than `maxLiveEntries`, all but the last `keepLiveEntries` move to an
 * archived segment (`peermpc audit archive` does the same on demand). Segments whose last entry is
 * older than `segmentDays` days are deleted (0, the default: never); the chain then starts from the
 * signed head of the last deleted entry, and a signed `audit.pruned` entry records the deletion.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The audit log's retention settings. */
export interface AuditRetention {
  /** Archive when the live log holds more entries than this. */
  maxLiveEntries: number;
  /** Entries left in the live log by an archive. */
  keepLiveEntries: number;
  /** Delete segments whose last entry is older than this many days; 0: never. */
  segmentDays: number;
}

/** Defaults: a live log of 1,000 to 5,000 entries (about 0.3 to 1.5 MB), segments kept forever. */
export const DEFAULT_AUDIT_RETENTION: Readonly<AuditRetention> = Object.freeze({
  maxLiveEntries: 5_000,
  keepLiveEntries: 1_000,
  segmentDays: 0,
});

const FILE = 'config.json';

/**
 * Parses the `"audit"` object of the jobs config over the defaults.
 * @throws TypeError naming a bad field.
 */
export function parseAuditRetention(value: unknown): AuditRetention {
  const out: AuditRetention = { ...DEFAULT_AUDIT_RETENTION };
  if (value === undefined) return out;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${FILE}: "audit" must be an object`);
  for (const [k, v] of Object.entries(value)) {
    if (!Object.hasOwn(DEFAULT_AUDIT_RETENTION, k))
      throw new TypeError(`${FILE}: unknown audit setting ${JSON.stringify(k.slice(0, 64))}`);
    const min = k === 'maxLiveEntries' ? 1 : 0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      throw new TypeError(`${FILE}: audit setting "${k}" must be an integer >= ${min}`);
    out[k as keyof AuditRetention] = v;
  }
  if (out.keepLiveEntries >= out.maxLiveEntries)
    throw new TypeError(`${FILE}: audit setting "keepLiveEntries" must be below "maxLiveEntries"`);
  return out;
}

/**
 * The retention settings in `<jobsDir>/config.json` (the defaults when the file or the object is
 * absent).
 * @throws TypeError when the file is not JSON or a setting is malformed.
 */
export function loadAuditRetention(jobsDir: string): AuditRetention {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(jobsDir, FILE), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_AUDIT_RETENTION };
    throw new TypeError(`${FILE}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new TypeError(`${FILE}: expected a JSON object`);
  return parseAuditRetention((parsed as Record<string, unknown>).audit);
}
