/**
 * The budget ledger: what each requester spent of an owner's privacy budgets (docs/JOBS.md,
 * "Differential privacy"). One file under the jobs directory, `<dataDir>/jobs/budget.jsonl`, one
 * {@link BudgetSpend} per line (`{ job, requester, dataset, rho, time }`), append-only: one line
 * per (job, dataset) spend, so the file stays small and every line stays in memory.
 *
 * Durability: {@link BudgetLedger.spend} appends the line and fsyncs the file (and, when it created
 * the file, its directory) before it resolves, so a crash after a spend resolved never refunds it.
 * A crash mid-append leaves a torn last line (no newline): it is dropped at load with a warning and
 * cut from the file, and the spend it began never resolved. Any other corrupt line is a
 * {@link BudgetLedgerError} naming the file and line. Spends are serialized: each one loads, checks
 * and appends after the previous one finished, so {@link BudgetLedger.spendWithin} can check a
 * limit and spend without a race.
 *
 * Requester ids and dataset names come from the wire: they are bounded (src/util/bound.ts) before
 * they are stored, and the lookups bound them alike.
 */
import { LedgerFileError } from '../errors.js';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { boundText, OUTSIDE_TEXT_MAX } from '../../util/bound.js';
import { logger } from '../../util/log.js';
import { appendSynced } from '../policy/releases-file.js';
import type { BudgetSpend } from './types.js';

const log = logger('jobs:budget');

/** File name of the ledger under `<dataDir>/jobs/`. */
export const BUDGET_FILE = 'budget.jsonl';

/** One day in ms (the windows of budgets are whole days). */
export const DAY_MS = 86_400_000;

/** The ledger's path in a jobs directory (`<dataDir>/jobs`). */
export function budgetLedgerPath(jobsDir: string): string {
  return join(jobsDir, BUDGET_FILE);
}

/** The budget ledger has a corrupt line (other than a torn last one) or cannot be read or written. */
export class BudgetLedgerError extends LedgerFileError {
  override readonly name = 'BudgetLedgerError';
  constructor(path: string, line: number, problem: string, options?: { cause?: unknown }) {
    super('budget ledger', path, line, problem, options);
  }
}

/** What one requester spent of one dataset's budget (see {@link BudgetLedger.summary}). */
export interface BudgetUsage extends Pick<BudgetSpend, 'dataset' | 'requester'> {
  /** rho spent over all time. */
  totalRho: number;
  /** rho spent within the window (equal to `totalRho` without one). */
  windowRho: number;
  /** The window in days, when the dataset has one. */
  perDays?: number;
  /** Number of spends over all time. */
  spends: number;
  /** ISO time of the latest spend. */
  last: string;
}

/** What is wrong with a ledger line's value, or undefined. */
export function spendProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const e = value as Record<string, unknown>;
  for (const key of ['job', 'requester', 'dataset', 'time'] as const) {
    if (typeof e[key] !== 'string' || e[key] === '') return `"${key}" is not a non-empty string`;
  }
  if (Number.isNaN(Date.parse(e.time as string))) return '"time" is not a time';
  if (typeof e.rho !== 'number' || !Number.isFinite(e.rho) || e.rho < 0)
    return '"rho" is not a finite number >= 0';
  return undefined;
}

/**
 * Outside text as stored: cut by `boundText` when longer than what `boundText` itself returns, so
 * that bounding a stored string again leaves it as it is (lookups bound their keys alike).
 */
function bounded(s: string): string {
  return s.length <= OUTSIDE_TEXT_MAX + 40 ? s : boundText(s, OUTSIDE_TEXT_MAX);
}

/** `s` with its outside strings bounded and its time normalized. */
function normalized(s: BudgetSpend): BudgetSpend {
  return {
    job: bounded(s.job),
    requester: bounded(s.requester),
    dataset: bounded(s.dataset),
    rho: s.rho,
    time: new Date(s.time).toISOString(),
  };
}

const keyOf = (dataset: string, requester: string): string =>
  JSON.stringify([bounded(dataset), bounded(requester)]);

/** Sum of the rho of `spends` after `now - perDays` (all of them without `perDays`). */
function sumWithin(spends: readonly BudgetSpend[], now: Date, perDays?: number): number {
  const since = perDays === undefined ? -Infinity : now.getTime() - perDays * DAY_MS;
  let sum = 0;
  for (const s of spends) if (Date.parse(s.time) > since) sum += s.rho;
  return sum;
}

/** The ledger in memory: every spend in file order, and by (dataset, requester). */
interface Spends {
  all: BudgetSpend[];
  byKey: Map<string, BudgetSpend[]>;
}

function add(spends: Spends, entry: BudgetSpend): void {
  spends.all.push(entry);
  const key = keyOf(entry.dataset, entry.requester);
  const list = spends.byKey.get(key);
  if (list === undefined) spends.byKey.set(key, [entry]);
  else list.push(entry);
}

/** A peer's budget ledger; see the module comment. */
export class BudgetLedger {
  /** The ledger file. */
  readonly path: string;
  private loaded: Promise<Spends> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private fileExists = false;

  /** A ledger over `path`, read lazily at the first call (use {@link BudgetLedger.open} to read it now). */
  constructor(path: string) {
    this.path = path;
  }

  /**
   * Opens and reads the ledger at `path` (none is fine: an empty ledger), cutting a torn last line.
   * @throws {BudgetLedgerError} naming the file and line of a corrupt line.
   */
  static async open(path: string): Promise<BudgetLedger> {
    const ledger = new BudgetLedger(path);
    await ledger.load();
    return ledger;
  }

  /** Every spend recorded, in file order. @throws {BudgetLedgerError} */
  async entries(): Promise<BudgetSpend[]> {
    return [...(await this.load()).all];
  }

  /**
   * rho that `requester` spent on `dataset` within the `perDays` days before `now` (spends dated
   * after `now` count too), or over all time without `perDays`. @throws {BudgetLedgerError}
   */
  async spent(dataset: string, requester: string, now: Date = new Date(), perDays?: number): Promise<number> {
    const spends = (await this.load()).byKey.get(keyOf(dataset, requester)) ?? [];
    return sumWithin(spends, now, perDays);
  }

  /**
   * Records a spend: appends its line and fsyncs the file before it resolves. Concurrent calls are
   * serialized. Resolves with the line as stored (strings bounded, time normalized).
   * @throws {TypeError} when the spend is malformed; {@link BudgetLedgerError} when the ledger is
   *   corrupt or cannot be written (the spend may then be on disk: it counts after a reopen).
   */
  spend(s: BudgetSpend): Promise<BudgetSpend> {
    return this.serialized(async () => {
      const entry = this.check(s);
      await this.append(await this.load(), entry);
      return entry;
    });
  }

  /**
   * Records `s` only when it keeps the requester's spend on the dataset, within `limit.perDays`
   * days before `s.time` (all time without), at most `limit.rho`; the check and the append are one
   * step of the serialized spends, so two concurrent jobs cannot both pass on the same remainder.
   * `spentBefore` is what was spent in the window before `s`. @throws as {@link BudgetLedger.spend}
   */
  spendWithin(
    s: BudgetSpend,
    limit: { rho: number; perDays?: number },
  ): Promise<{ recorded: boolean; spentBefore: number; entry?: BudgetSpend }> {
    return this.serialized(async () => {
      const entry = this.check(s);
      const spends = await this.load();
      const spentBefore = sumWithin(
        spends.byKey.get(keyOf(entry.dataset, entry.requester)) ?? [],
        new Date(entry.time),
        limit.perDays,
      );
      if (!(spentBefore + entry.rho <= limit.rho)) return { recorded: false, spentBefore };
      await this.append(spends, entry);
      return { recorded: true, spentBefore, entry };
    });
  }

  /**
   * Per dataset and requester (of `dataset` only, when given): rho spent over all time and within
   * the dataset's window (`perDays(dataset)`, none by default) before `now`. Sorted by dataset,
   * then requester. @throws {BudgetLedgerError}
   */
  async summary(
    dataset?: string,
    options: { now?: Date; perDays?: (dataset: string) => number | undefined } = {},
  ): Promise<BudgetUsage[]> {
    const now = options.now ?? new Date();
    const wanted = dataset === undefined ? undefined : bounded(dataset);
    const out: BudgetUsage[] = [];
    for (const spends of (await this.load()).byKey.values()) {
      const first = spends[0]!;
      if (wanted !== undefined && first.dataset !== wanted) continue;
      const perDays = options.perDays?.(first.dataset);
      out.push({
        dataset: first.dataset,
        requester: first.requester,
        totalRho: sumWithin(spends, now),
        windowRho: sumWithin(spends, now, perDays),
        ...(perDays === undefined ? {} : { perDays }),
        spends: spends.length,
        last: spends.reduce((t, s) => (s.time > t ? s.time : t), first.time),
      });
    }
    return out.sort((a, b) =>
      a.dataset === b.dataset ? a.requester.localeCompare(b.requester) : a.dataset.localeCompare(b.dataset),
    );
  }

  /** Runs `step` after every earlier spend settled (the caller sees its error; later ones still run). */
  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const run = this.tail.then(step);
    this.tail = run.catch(() => {});
    return run;
  }

  /** The stored form of `s`. @throws {TypeError} */
  private check(s: BudgetSpend): BudgetSpend {
    const problem = spendProblem(s);
    if (problem !== undefined) throw new TypeError(`budget spend: ${problem}`);
    return normalized(s);
  }

  /** Appends `entry` (fsynced) and adds it to `spends`. */
  private async append(spends: Spends, entry: BudgetSpend): Promise<void> {
    try {
      const created = !this.fileExists;
      if (created) await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await appendSynced(this.path, JSON.stringify(entry) + '\n');
      this.fileExists = true;
      if (created) await syncDir(dirname(this.path));
    } catch (err) {
      // What is on disk is unknown (a partial line?): read it again at the next call.
      this.loaded = undefined;
      throw new BudgetLedgerError(this.path, 0, `cannot record: ${(err as Error).message}`, { cause: err });
    }
    add(spends, entry);
  }

  private load(): Promise<Spends> {
    this.loaded ??= this.read().catch((err: unknown) => {
      this.loaded = undefined; // retried (and reported again) at the next call
      throw err;
    });
    return this.loaded;
  }

  /** Parses the ledger, cutting a torn last line (one without its newline) off the file. */
  private async read(): Promise<Spends> {
    const spends: Spends = { all: [], byKey: new Map() };
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (err) {
      this.fileExists = false;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return spends;
      throw new BudgetLedgerError(this.path, 0, `unreadable: ${(err as Error).message}`, { cause: err });
    }
    this.fileExists = true;
    for (let line = 1, start = 0; start < bytes.length; line++) {
      const nl = bytes.indexOf(0x0a, start);
      if (nl === -1) {
        // A crash mid-append: the spend it began never resolved.
        log.error('%s: dropped a torn last line (%d)', this.path, line);
        await cut(this.path, start).catch((err: Error) => {
          throw new BudgetLedgerError(this.path, line, `cannot cut a torn line: ${err.message}`, {
            cause: err,
          });
        });
        break;
      }
      let value: unknown;
      try {
        value = JSON.parse(bytes.subarray(start, nl).toString('utf8'));
      } catch {
        throw new BudgetLedgerError(this.path, line, 'not JSON');
      }
      const problem = spendProblem(value);
      if (problem !== undefined) throw new BudgetLedgerError(this.path, line, problem);
      const v = value as BudgetSpend;
      add(spends, { job: v.job, requester: v.requester, dataset: v.dataset, rho: v.rho, time: v.time });
      start = nl + 1;
    }
    return spends;
  }
}

/** Truncates `path` to `length` bytes and fsyncs it. */
async function cut(path: string, length: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(length);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Fsyncs a directory, so a file just created in it survives a crash (where a system can). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined); // not a file everywhere (Windows)
  if (fh === undefined) return;
  await fh
    .sync()
    .catch((err: NodeJS.ErrnoException) => {
      if (!['EISDIR', 'EPERM', 'EINVAL'].includes(err.code ?? '')) throw err;
    })
    .finally(() => fh.close());
}
