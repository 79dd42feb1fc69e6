/**
 * Settings of a peer's job service, from `<dataDir>/jobs/config.json` (all optional):
 *
 * ```json
 * { "computeParties": ["12D3Koo...", "..."], "connectMs": 10000, "stepMs": 30000,
 *   "sessionMs": 3600000, "proposeMs": 15000, "sweepMs": 1000, "retainDays": 90,
 *   "quotas": { "proposalsPerMinute": 600, "pendingPerRequester": 20, "pendingTotal": 500 } }
 * ```
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_QUOTAS, type QuotaLimits } from './quota.js';

/** The job service's settings. */
export interface JobsConfig {
  /** Compute parties for jobs whose owners are not exactly three (peer ids). */
  computeParties?: string[];
  /** Opening a session's streams (ms). */
  connectMs: number;
  /**
   * Silence tolerated from a party (ms): a party that sends nothing, not even its keep-alives
   * (four per stepMs), for this long fails the job, named. A busy party keeps sending them.
   */
  stepMs: number;
  /** A whole session (ms). */
  sessionMs: number;
  /** Delivering one jobs-protocol message (ms). */
  proposeMs: number;
  /** How often expired jobs are swept (ms). */
  sweepMs: number;
  /** Quotas on proposals from other peers (src/jobs/service/quota.ts). */
  quotas: QuotaLimits;
  /** Days the record of a finished job is kept (results included); the audit log keeps its history. */
  retainDays: number;
}

/** Defaults. */
export const DEFAULT_JOBS_CONFIG: JobsConfig = Object.freeze({
  connectMs: 10_000,
  stepMs: 30_000,
  sessionMs: 3_600_000,
  proposeMs: 15_000,
  sweepMs: 1_000,
  quotas: DEFAULT_QUOTAS,
  retainDays: 90,
});

/** File name under `<dataDir>/jobs/`. */
export const JOBS_CONFIG_FILE = 'config.json';

/**
 * Reads `<jobsDir>/config.json` over the defaults (a missing file gives the defaults).
 * @throws TypeError naming a bad field.
 */
export function loadJobsConfig(jobsDir: string, overrides: Partial<JobsConfig> = {}): JobsConfig {
  let file: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(jobsDir, JOBS_CONFIG_FILE), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new TypeError('expected a JSON object');
    file = parsed as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new TypeError(`jobs/${JOBS_CONFIG_FILE}: ${(err as Error).message}`, { cause: err });
  }
  return { ...parseJobsConfig(file), ...overrides };
}

/**
 * The settings a parsed `jobs/config.json` object gives, over the defaults.
 * @throws TypeError naming a bad field.
 */
export function parseJobsConfig(file: Record<string, unknown>): JobsConfig {
  const out: JobsConfig = { ...DEFAULT_JOBS_CONFIG };
  for (const k of ['connectMs', 'stepMs', 'sessionMs', 'proposeMs', 'sweepMs', 'retainDays'] as const) {
    const v = file[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
      throw new TypeError(`jobs/${JOBS_CONFIG_FILE}: "${k}" must be a positive integer`);
    out[k] = v;
  }
  if (file.computeParties !== undefined) {
    const cp = file.computeParties;
    if (!Array.isArray(cp) || !cp.every((p) => typeof p === 'string'))
      throw new TypeError(`jobs/${JOBS_CONFIG_FILE}: "computeParties" must be peer ids`);
    out.computeParties = cp as string[];
  }
  if (file.quotas !== undefined) out.quotas = parseQuotas(file.quotas);
  return out;
}

function parseQuotas(v: unknown): QuotaLimits {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new TypeError(`jobs/${JOBS_CONFIG_FILE}: "quotas" must be an object`);
  const out: QuotaLimits = { ...DEFAULT_QUOTAS };
  for (const [k, n] of Object.entries(v)) {
    if (!Object.hasOwn(DEFAULT_QUOTAS, k))
      throw new TypeError(`jobs/${JOBS_CONFIG_FILE}: unknown quota "${k.slice(0, 64)}"`);
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0)
      throw new TypeError(`jobs/${JOBS_CONFIG_FILE}: quota "${k}" must be a positive integer`);
    out[k as keyof QuotaLimits] = n;
  }
  return out;
}
