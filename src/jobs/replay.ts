/**
 * Replay protection: every job id this peer has seen, with its expiry, persisted in
 * `<dataDir>/jobs/seen.json`. A job id seen before is refused, even with different content. Ids are
 * forgotten once their job has expired (plus a margin for clock skew), since an expired job is
 * refused anyway.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { JobReplayError } from './errors.js';

/** Ids are kept this long past their expiry. */
export const REPLAY_MARGIN_MS = 3_600_000;

/** The set of job ids seen by a peer. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private readonly path: string;

  /** Loads `<jobsDir>/seen.json` (a missing file starts empty; a corrupt one throws a SyntaxError). */
  constructor(jobsDir: string) {
    this.path = join(jobsDir, 'seen.json');
    let text: string | undefined;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      const data = JSON.parse(text) as { seen?: [string, number][] };
      for (const [id, expires] of data.seen ?? []) this.seen.set(id, expires);
    }
  }

  /** Whether `id` was seen. */
  has(id: string): boolean {
    return this.seen.has(id);
  }

  /**
   * Records `id` (expiring at `expires`) or refuses it.
   * @throws JobReplayError when it was seen before.
   */
  claim(id: string, expires: Date, now: Date = new Date()): void {
    if (this.seen.has(id)) throw new JobReplayError(id);
    const cutoff = now.getTime() - REPLAY_MARGIN_MS;
    for (const [k, exp] of this.seen) if (exp < cutoff) this.seen.delete(k);
    this.seen.set(id, expires.getTime());
    this.save();
  }

  private save(): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ seen: [...this.seen] }), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
