/**
 * Replay protection: every job id this peer has seen, with its expiry. A job id seen before is
 * refused, even with different content. Ids are forgotten once their job has expired (plus a
 * margin for clock skew), since an expired job is refused anyway.
 *
 * Stored incrementally in `<dataDir>/jobs/seen.log`: one line `<id> <expires ms>` appended per
 * claim (a claim costs one short append, not a rewrite of every id), compacted (rewritten
 * atomically with only live ids) when at least half its lines have expired. A torn last line (a
 * crash during an append) is ignored; any other malformed line is a {@link ReplayFileError}. A
 * `seen.json` from peermpc 0.1 is read once and folded into the log.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { JobReplayError, ReplayFileError } from './errors.js';

/** Ids are kept this long past their expiry. */
export const REPLAY_MARGIN_MS = 3_600_000;

const LINE = /^([0-9a-f]{32}) (\d{1,15})$/;

/** The set of job ids seen by a peer. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private readonly path: string;
  private lines = 0;

  /**
   * Loads `<jobsDir>/seen.log` (and a legacy `seen.json`); a missing file starts empty.
   * @throws ReplayFileError naming the file and line of a malformed entry.
   */
  constructor(private readonly jobsDir: string) {
    this.path = join(jobsDir, 'seen.log');
    const legacy = join(jobsDir, 'seen.json');
    if (existsSync(legacy)) {
      this.loadLegacy(legacy);
      this.compact();
      rmSync(legacy, { force: true });
    }
    this.load();
  }

  private loadLegacy(file: string): void {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ReplayFileError(file, 0, `not JSON: ${(err as Error).message}`, { cause: err });
    }
    const seen = (data as { seen?: unknown } | null)?.seen;
    if (!Array.isArray(seen)) throw new ReplayFileError(file, 0, 'expected {"seen": [[id, expires], ...]}');
    for (const entry of seen) {
      const [id, exp] = Array.isArray(entry) ? (entry as unknown[]) : [];
      if (typeof id !== 'string' || typeof exp !== 'number')
        throw new ReplayFileError(file, 0, 'malformed entry');
      this.seen.set(id, exp);
    }
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const lines = text.split('\n');
    const torn = !text.endsWith('\n') ? lines.length - 1 : -1; // the last line, when unterminated
    lines.forEach((line, i) => {
      if (line === '' || i === torn) return;
      const m = LINE.exec(line);
      if (m === null) throw new ReplayFileError(this.path, i + 1, 'expected "<job id> <expiry ms>"');
      this.seen.set(m[1]!, Number(m[2]));
      this.lines++;
    });
    if (torn >= 0 && lines[torn] !== '') this.compact(); // drop the torn line before appending
  }

  /** Whether `id` was seen. */
  has(id: string): boolean {
    return this.seen.has(id);
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.seen.size;
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
    if (this.lines >= 64 && this.seen.size * 2 <= this.lines) {
      this.compact();
      return;
    }
    mkdirSync(this.jobsDir, { recursive: true, mode: 0o700 });
    appendFileSync(this.path, `${id} ${Math.max(0, Math.round(expires.getTime()))}\n`, { mode: 0o600 });
    this.lines++;
  }

  private compact(): void {
    mkdirSync(this.jobsDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const body = [...this.seen].map(([id, exp]) => `${id} ${Math.max(0, Math.round(exp))}\n`).join('');
    writeFileSync(tmp, body, { mode: 0o600 });
    renameSync(tmp, this.path);
    this.lines = this.seen.size;
  }
}
