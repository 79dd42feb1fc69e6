/**
 * The release ledger: which rows were behind each result an owner released, so that the owner can
 * refuse a differencing attack. Two approved aggregates over row sets that differ by one row reveal
 * that row (mean(x) before and after one row is added gives the row's x). So, for the same
 * requester, a job is refused when the rows it would use differ from the rows behind an earlier
 * release by more than 0 but fewer than `minRows` rows (symmetric difference of the multisets),
 * compared on what both results can depend on:
 * - the rows projected on the earlier job's columns, and on each of those columns alone (so that
 *   changing another column of every row does not hide a one-row change of the column released);
 * - on any of the owner's datasets that has those columns (a copy under another name with one
 *   more row is caught too);
 * - and a histogram of a column of a dataset whose edges differ from an earlier one's (bins of
 *   two edge sets can be differenced).
 *
 * Files under the jobs directory (`<dataDir>/jobs/`):
 * - `releases.jsonl`: one JSON line per release, `{ job, requester, dataset, rows, sets:
 *   [{ columns, digest }], histograms?: [{ column, edges }], time }`, appended and fsynced. A torn
 *   last line (a crash mid-append) is dropped at load with a warning and cut from the file; any
 *   other corrupt line is a {@link ReleaseLedgerError}. Callers record a release BEFORE the result
 *   leaves, so a dropped torn line is a release that never happened.
 * - `prints/<digest>.bin`: the released row prints (see src/node/dataset/row-prints.ts), stored
 *   once per digest. They are keyed by the owner's private key: whoever reads them cannot test
 *   guessed rows against them.
 *
 * Not caught: requesters that collude, combinations of columns other than a release's full set
 * and its single columns, and anything beyond row sets and histogram edges (docs/JOBS.md).
 *
 * Cost of {@link ReleaseLedger.check}: the ledger lines stay in memory; each check projects the
 * current rows once per distinct column set and merges one stored prints file per distinct
 * earlier set of that requester, O(rows) each.
 */
import { mkdir, readFile, truncate } from 'node:fs/promises';
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
import { appendSynced, entryProblem, exists, parseLine } from './releases-file.js';

const log = logger('jobs:releases');

/** File name of the ledger under `<dataDir>/jobs/`. */
export const RELEASES_FILE = 'releases.jsonl';
/** Directory of the released prints sets under `<dataDir>/jobs/`. */
export const RELEASE_PRINTS_DIR = 'prints';

/** A set of row prints: the rows projected on `columns`, sorted, and their digest. */
export interface PrintSet {
  /** Column names, in projection order. */
  columns: string[];
  /** Sorted prints. */
  prints: BigUint64Array;
  /** Hex SHA-256 of their file form. */
  digest: string;
}

/** A histogram released: the column and its edges. */
export interface ReleasedHistogram {
  /** Column name. */
  column: string;
  /** Edges. */
  edges: number[];
}

/** One line of the ledger: a result released to `requester` computed on `dataset`. */
export interface ReleaseEntry {
  /** Job id. */
  job: string;
  /** Peer id of the requester who received the result. */
  requester: string;
  /** Local dataset name. */
  dataset: string;
  /** Number of rows used. */
  rows: number;
  /** The print sets stored for it (their columns and digests). */
  sets: { columns: string[]; digest: string }[];
  /** Histograms released from it. */
  histograms?: ReleasedHistogram[];
  /** ISO time of the record. */
  time: string;
}

/** What {@link ReleaseLedger.check} compares a new job against. */
export interface ReleaseQuery {
  /** The requester. */
  requester: string;
  /** The local dataset the job uses. */
  dataset: string;
  /** The columns of it the job uses. */
  used: readonly string[];
  /** The current rows projected on `columns`, or undefined when the dataset lacks one of them. */
  project(columns: readonly string[]): Promise<PrintSet | undefined>;
  /** Histograms the job would release from it. */
  histograms: readonly ReleasedHistogram[];
}

/** An earlier release too close to the job; `differ` is -1 when its rows are unknown. */
export interface DifferencingConflict {
  /** Job id of the earlier release. */
  job: string;
  /** Rows in one set and not the other (multiset), -1 when the earlier prints are missing. */
  differ: number;
  /** The columns compared, or the histogram's column. */
  columns: string[];
  /** `rows`: row sets too close; `edges`: a histogram with other edges. */
  kind: 'rows' | 'edges';
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
   * Records a release and stores each print set as `prints/<digest>.bin` (once per digest). Call
   * it before the result leaves. @throws {TypeError} when a set's prints do not have its digest;
   * {@link ReleaseLedgerError} when the ledger is corrupt or cannot be written.
   */
  async record(entry: Omit<ReleaseEntry, 'time' | 'sets'>, sets: readonly PrintSet[]): Promise<void> {
    const full: ReleaseEntry = {
      ...entry,
      sets: sets.map((x) => ({ columns: [...x.columns], digest: x.digest })),
      time: this.now().toISOString(),
    };
    const problem = entryProblem(full);
    if (problem !== undefined) throw new TypeError(`release entry: ${problem}`);
    const files = sets.map((x) => {
      const bytes = encodeRowPrints(x.prints);
      if (rowPrintsDigest(bytes) !== x.digest) throw new TypeError('a print set does not have its digest');
      return { digest: x.digest, bytes };
    });
    const run = this.tail.then(async () => {
      const entries = await this.load();
      try {
        await mkdir(this.printsDir, { recursive: true, mode: 0o700 });
        for (const f of files) {
          const path = join(this.printsDir, `${f.digest}.bin`);
          if (!(await exists(path))) await writeFileAtomic(path, f.bytes);
        }
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
   * The first earlier release to the query's requester too close to the job (see the module
   * comment), or undefined. An earlier set whose prints file is missing or corrupt is unverifiable:
   * it comes back with `differ = -1` and the caller refuses. With `minRows <= 1` no row difference
   * is too small (histogram edges are still compared).
   * @throws {ReleaseLedgerError}
   */
  async check(q: ReleaseQuery, minRows: number): Promise<DifferencingConflict | undefined> {
    const entries = (await this.load()).filter((e) => e.requester === q.requester);
    const current = new Map<string, Promise<PrintSet | undefined>>();
    const project = (columns: readonly string[]) => {
      const key = JSON.stringify(columns);
      if (!current.has(key)) current.set(key, q.project(columns));
      return current.get(key)!;
    };
    for (const e of entries) {
      const edges = histogramConflict(e, q);
      if (edges !== undefined)
        return { job: e.job, differ: 0, columns: [edges], kind: 'edges', time: e.time };
      if (!(minRows > 1)) continue;
      for (const set of e.sets) {
        if (!set.columns.some((c) => q.used.includes(c))) continue;
        const now = await project(set.columns);
        if (now === undefined || now.digest === set.digest) continue;
        const earlier = await this.readPrints(set.digest);
        if (earlier === undefined) {
          log.error('release of job %s: its prints are missing, so a difference cannot be ruled out', e.job);
          return { job: e.job, differ: -1, columns: set.columns, kind: 'rows', time: e.time };
        }
        const differ = symmetricDifferenceSize(earlier, now.prints);
        if (differ > 0 && differ < minRows)
          return { job: e.job, differ, columns: set.columns, kind: 'rows', time: e.time };
      }
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

/** The column of a histogram of the same dataset the query releases with other edges, or undefined. */
function histogramConflict(e: ReleaseEntry, q: ReleaseQuery): string | undefined {
  if (e.dataset !== q.dataset) return undefined;
  for (const h of q.histograms) {
    const other = e.histograms?.find(
      (x) => x.column === h.column && JSON.stringify(x.edges) !== JSON.stringify(h.edges),
    );
    if (other !== undefined) return h.column;
  }
  return undefined;
}
