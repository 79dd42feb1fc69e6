/**
 * Settings of a peer's job service, from `<dataDir>/jobs/config.json` (all optional):
 *
 * ```json
 * { "computeParties": ["12D3Koo...", "..."], "connectMs": 10000, "stepMs": 30000,
 *   "sessionMs": 3600000, "proposeMs": 15000, "sweepMs": 1000 }
 * ```
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The job service's settings. */
export interface JobsConfig {
  /** Compute parties for jobs whose owners are not exactly three (peer ids). */
  computeParties?: string[];
  /** Opening a session's streams (ms). */
  connectMs: number;
  /** Waiting for one message of one step (ms): a silent party fails the job after this. */
  stepMs: number;
  /** A whole session (ms). */
  sessionMs: number;
  /** Delivering one jobs-protocol message (ms). */
  proposeMs: number;
  /** How often expired jobs are swept (ms). */
  sweepMs: number;
}

/** Defaults. */
export const DEFAULT_JOBS_CONFIG: JobsConfig = Object.freeze({
  connectMs: 10_000,
  stepMs: 30_000,
  sessionMs: 3_600_000,
  proposeMs: 15_000,
  sweepMs: 1_000,
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
    file = JSON.parse(readFileSync(join(jobsDir, JOBS_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new TypeError(`${JOBS_CONFIG_FILE}: ${(err as Error).message}`, { cause: err });
  }
  const out: JobsConfig = { ...DEFAULT_JOBS_CONFIG };
  for (const k of ['connectMs', 'stepMs', 'sessionMs', 'proposeMs', 'sweepMs'] as const) {
    const v = file[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
      throw new TypeError(`${JOBS_CONFIG_FILE}: "${k}" must be a positive integer`);
    out[k] = v;
  }
  if (file.computeParties !== undefined) {
    const cp = file.computeParties;
    if (!Array.isArray(cp) || !cp.every((p) => typeof p === 'string'))
      throw new TypeError(`${JOBS_CONFIG_FILE}: "computeParties" must be peer ids`);
    out.computeParties = cp as string[];
  }
  return { ...out, ...overrides };
}
