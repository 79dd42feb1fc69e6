/**
 * The release ledger: which rows were behind each result an owner released, so that the owner can
 * refuse a differencing attack. Two approved aggregates over row sets that differ by one row reveal
 * that row (mean(x) before and after one row is added gives the row's x), so a job whose input rows
 * differ from the rows of an earlier release to the SAME requester on the SAME dataset by more than
 * 0 but fewer than `minRows` rows (symmetric difference of the row multisets) is refused.
 *
 * Files under the jobs directory (`<dataDir>/jobs/`):
 * - `releases.jsonl`: one JSON line per release, `{ job, requester, dataset, printsDigest, rows,
 *   time }`, appended and fsynced. A torn last line (a crash mid-append) is dropped at load with a
 *   warning and cut from the file; any other corrupt line is a {@link ReleaseLedgerError}. Callers
 *   record a release BEFORE the result leaves, so a dropped torn line is a release that never
 *   happened.
 * - `prints/<digest>.bin`: the released row prints (see src/node/dataset/row-prints.ts), stored
 *   once per digest. They are keyed by the owner's private key: whoever reads them cannot test
 *   guessed rows against them.
 *
 * Cost of {@link ReleaseLedger.check}: the ledger lines stay in memory (a few hundred bytes per
 * release); each check reads and merges one prints file per DISTINCT earlier version of that dataset
 * released to that requester, O(rows) each, and never the versions released to others.
 */
import { mkdir, open, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../node/atomic-file.js';
import {
  decodeRowPrints,
  encodeRowPrints,
  rowPrintsDigest,
  symmetricDifferenceSize,
} from '../../node/dataset/row-prints.js';
import { logger } from '../../util/log.js';
import { ReleaseLedgerError } from '../errors.js';

const log = logger('jobs:releases');

/** File name of the ledger under `<dataDir>/jobs/`. */
export const RELEASES_FILE = 'releases.jsonl';
/** Directory of the released prints sets under `<dataDir>/jobs/`. */
export const RELEASE_PRINTS_DIR = 'prints';

/** One line of the ledger: a result released to `requester` computed on `dataset`. */
export interface ReleaseEntry {
  /** Job id. */
  job: string;
  /** Peer id of the requester who received the result. */
  requester: string;
  /** Local dataset name. */
  dataset: string;
  /** Hex SHA-256 of the sorted row prints of the rows used. */
  printsDigest: string;
  /** Number of rows used. */
  rows: number;
  /** ISO time of the record. */
  time: string;
}

/** An earlier release too close to the current rows; `differ` is -1 when its rows are unknown. */
export interface DifferencingConflict {
  /** Job id of the earlier release. */
  job: string;
  /** Rows in one set and not the other (multiset), or -1 when the earlier prints are missing. */
  differ: number;
  /** When the earlier release was recorded. */
  time: string;
}

/** The releases of a peer's datasets, persisted under its jobs directory. */
export class ReleaseLedger {
  private readonly path: string;
  private readonly printsDir: string;
  private readonly now: () => Date;
  private loaded: Promise<ReleaseEntry[]> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  /** Opens the ledger in `jobsDir` (read lazily, at the first record or check). */
  constructor(jobsDir: string, options: { now?: () => Date } = {}) {
    this.path = join(jobsDir, RELEASES_FILE);
    this.printsDir = join(jobsDir, RELEASE_PRINTS_DIR);
    this.now = options.now ?? (() => new Date());
  }

  /** Every release recorded, oldest first. @throws {ReleaseLedgerError} */
  async entries(): Promise<ReleaseEntry[]> {
    return [...(await this.load())];
  }

  /**
   * Records a release: stores `prints` as `prints/<digest>.bin` (once per digest), then appends
   * the line. Call it before the result leaves. @throws {TypeError} when `entry` is malformed or
   * `prints` do not have `entry.printsDigest`; {@link ReleaseLedgerError} when the ledger is corrupt.
   */
  async record(entry: Omit<ReleaseEntry, 'time'>, prints: BigUint64Array): Promise<void> {
    const full: ReleaseEntry = { ...entry, time: this.now().toISOString() };
    const problem = entryProblem(full);
    if (problem !== undefined) throw new TypeError(`release entry: ${problem}`);
    const bytes = encodeRowPrints(prints);
    if (rowPrintsDigest(bytes) !== full.printsDigest) {
      throw new TypeError('release entry: printsDigest is not the digest of the prints');
    }
    const run = this.tail.then(async () => {
      const entries = await this.load();
      try {
        await mkdir(this.printsDir, { recursive: true, mode: 0o700 });
        const printsPath = join(this.printsDir, `${full.printsDigest}.bin`);
        if (!(await exists(printsPath))) await writeFileAtomic(printsPath, bytes);
        await appendSynced(this.path, JSON.stringify(full) + '\n');
      } catch (err) {
        throw new ReleaseLedgerError(this.path, 0, `cannot record: ${(err as Error).message}`, {
          cause: err,
        });
      }
      entries.push(full);
    });
    this.tail = run.catch(() => {}); // the caller sees the error; later records still run
    return run;
  }

  /**
   * The first earlier release to `requester` on `dataset` whose rows differ from the current ones
   * by 0 < differ < `minRows`, or undefined. Identical digests differ by 0 and pass. An earlier
   * release whose prints file is missing or corrupt is unverifiable: it is returned with
   * `differ = -1` and the caller refuses (the earlier rows are unknown, so the guard cannot tell a
   * one-row difference apart). With `minRows <= 1` no difference is small enough: undefined.
   * @throws {TypeError} when `currentPrints` do not have `currentDigest`; {@link ReleaseLedgerError}
   */
  async check(
    requester: string,
    dataset: string,
    currentDigest: string,
    currentPrints: BigUint64Array,
    minRows: number,
  ): Promise<DifferencingConflict | undefined> {
    if (!(minRows > 1)) return undefined;
    if (rowPrintsDigest(currentPrints) !== currentDigest) {
      throw new TypeError('currentDigest is not the digest of currentPrints');
    }
    const entries = await this.load();
    const compared = new Set<string>([currentDigest]);
    for (const e of entries) {
      if (e.requester !== requester || e.dataset !== dataset || compared.has(e.printsDigest)) continue;
      compared.add(e.printsDigest);
      const earlier = await this.readPrints(e.printsDigest);
      if (earlier === undefined) {
        log.error(
          'dataset %s: rows behind the release of job %s are unknown (prints missing)',
          dataset,
          e.job,
        );
        return { job: e.job, differ: -1, time: e.time };
      }
      const differ = symmetricDifferenceSize(earlier, currentPrints);
      if (differ > 0 && differ < minRows) return { job: e.job, differ, time: e.time };
    }
    return undefined;
  }

  /** A stored prints set, or undefined when missing or not matching its digest. */
  private async readPrints(digest: string): Promise<BigUint64Array | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.printsDir, `${digest}.bin`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (rowPrintsDigest(bytes) !== digest) return undefined;
    return decodeRowPrints(bytes);
  }

  private load(): Promise<ReleaseEntry[]> {
    this.loaded ??= this.readLedger().catch((err: unknown) => {
      this.loaded = undefined; // retried (and reported again) at the next call
      throw err;
    });
    return this.loaded;
  }

  /** Parses the ledger, cutting a torn last line off the file. */
  private async readLedger(): Promise<ReleaseEntry[]> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new ReleaseLedgerError(this.path, 0, `unreadable: ${(err as Error).message}`, { cause: err });
    }
    const entries: ReleaseEntry[] = [];
    let start = 0;
    for (let line = 1; start < bytes.length; line++) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl === -1 ? bytes.length : nl;
      const last = nl === -1 || nl === bytes.length - 1;
      const { entry, problem } = parseLine(bytes.subarray(start, end).toString('utf8'));
      if (entry !== undefined) {
        entries.push(entry);
        // A whole line cut just before its newline: add the newline so the next append is a line.
        if (nl === -1) await appendSynced(this.path, '\n');
      } else if (last) {
        log.error('%s: dropped a torn last line (%d): %s', this.path, line, problem);
        await truncate(this.path, start);
      } else {
        throw new ReleaseLedgerError(this.path, line, problem!);
      }
      start = end + 1;
    }
    return entries;
  }
}

/** Parses one ledger line. */
function parseLine(text: string): { entry?: ReleaseEntry; problem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  const problem = entryProblem(value);
  return problem === undefined ? { entry: value as ReleaseEntry } : { problem };
}

/** What is wrong with a ledger entry, or undefined. */
function entryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const e = value as Record<string, unknown>;
  for (const key of ['job', 'requester', 'dataset', 'time'] as const) {
    if (typeof e[key] !== 'string' || e[key] === '') return `"${key}" is not a non-empty string`;
  }
  if (typeof e.printsDigest !== 'string' || !/^[0-9a-f]{64}$/.test(e.printsDigest)) {
    return '"printsDigest" is not a hex SHA-256';
  }
  if (!Number.isSafeInteger(e.rows) || (e.rows as number) < 0) return '"rows" is not a count';
  return undefined;
}

/** Whether `path` exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Appends `text` to `path` (created 0600) and fsyncs it. */
async function appendSynced(path: string, text: string): Promise<void> {
  const fh = await open(path, 'a', 0o600);
  try {
    await fh.write(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
