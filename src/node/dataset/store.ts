/**
 * Local datasets on disk: `<dataDir>/datasets/<name>/{data.bin,description.json}`.
 *
 * An import writes everything into a hidden temporary directory and renames it into place at the
 * end, so a failed import (bad cell, crash, abort) leaves nothing behind and a dataset directory is
 * always complete. Leftover temporary directories are removed at load.
 *
 * Every dataset directory also holds `prints.bin`, the sorted keyed prints of its rows (see
 * row-prints.ts), written in the same import directory; a dataset imported before prints existed
 * gets them computed from its data file on first request.
 */
import '../../polyfills.js';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PrivateKey } from '@libp2p/interface';
import { writeFileAtomic } from '../atomic-file.js';
import { DatasetExistsError, DatasetNotFoundError, StateFileError } from '../errors.js';
import { canonicalJson } from '../canonical-json.js';
import type {
  AbortOptions,
  AddDatasetInput,
  ColumnInfo,
  DatasetUpdate,
  PolicySummary,
  SignedDatasetDescription,
} from '../types.js';
import { readNumericCsv } from './csv.js';
import { DataFileWriter, readDataFile } from './data-file.js';
import {
  buildDescription,
  MAX_DESCRIPTION_CHARS,
  MAX_MOCK_ROWS,
  policySummaryProblem,
  signDescription,
  verifySignedDescription,
} from './description.js';
import { ColumnStats, readMockCsv, syntheticMockRows, type Rng } from './mock.js';
import {
  boundsMagnitude,
  checkBoundsEntries,
  checkedBounds,
  columnRanges,
  declaredMagnitudes,
  magnitudesOf,
} from './magnitude.js';
import { checkDatasetName, normaliseTags } from './names.js';
import {
  computeRowPrints,
  projectedRowPrints,
  readPrintsFile,
  type RowPrintSet,
  encodeRowPrints,
  PRINTS_FILE,
  RowPrintCollector,
  rowPrintKey,
  rowPrintsDigest,
} from './row-prints.js';

const DATA_FILE = 'data.bin';
const DESCRIPTION_FILE = 'description.json';

/** One stored dataset. */
export interface StoredDataset {
  /** The signed description. */
  signed: SignedDatasetDescription;
  /** Size of the stored values file in bytes. */
  dataBytes: number;
}

/** A dataset being replaced is first renamed to `.old-<hex>-<name>`. */
const OLD_PREFIX = '.old-';

/**
 * Finishes a replace a crash interrupted: an `.old-<hex>-<name>` whose `<name>` is missing (the
 * crash fell between the two renames) is renamed back, so the old dataset survives; one whose
 * `<name>` exists (the new one is in place) is the leftover that open removes.
 */
async function recoverReplaced(root: string): Promise<void> {
  for (const entry of await readdir(root)) {
    const m = /^\.old-[0-9a-f]+-(.+)$/.exec(entry);
    if (m === null) continue;
    const dest = join(root, m[1]!);
    const present = await stat(dest).then(
      () => true,
      () => false,
    );
    if (!present) await rename(join(root, entry), dest);
  }
}

/** The local dataset directory of a peer. */
export class DatasetStore {
  private readonly root: string;
  private readonly entries = new Map<string, StoredDataset>();
  /** Key of the row prints, derived from the private key (never stored). */
  private readonly printKey: Buffer;
  /** Serialises directory swaps (add, remove) with the lazy writes of `prints.bin`. */
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    dataDir: string,
    private readonly owner: string,
    private readonly key: PrivateKey,
    private readonly rng: Rng,
  ) {
    this.root = join(dataDir, 'datasets');
    this.printKey = rowPrintKey(key.raw);
  }

  /** Runs `fn` once every earlier `exclusive` call has settled. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {}); // the caller sees the error; the chain goes on
    return run;
  }

  /** Opens the store, removing leftovers of interrupted imports and checking every description. */
  static async open(
    dataDir: string,
    owner: string,
    key: PrivateKey,
    rng: Rng = Math.random,
  ): Promise<DatasetStore> {
    const store = new DatasetStore(dataDir, owner, key, rng);
    await mkdir(store.root, { recursive: true, mode: 0o700 });
    await recoverReplaced(store.root);
    for (const name of await readdir(store.root)) {
      if (name.startsWith('.')) {
        await rm(join(store.root, name), { recursive: true, force: true });
        continue;
      }
      const dir = join(store.root, name);
      const descPath = join(dir, DESCRIPTION_FILE);
      let signed: SignedDatasetDescription;
      try {
        signed = await verifySignedDescription(JSON.parse(await readFile(descPath, 'utf8')), owner, {
          owner,
          name,
        });
      } catch (err) {
        throw new StateFileError(
          descPath,
          `unreadable or not signed by this peer: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      const dataBytes = (await stat(join(dir, DATA_FILE))).size;
      if (signed.description.columns.some((c) => c.magnitude === undefined))
        signed = await store.healMagnitudes(name, signed);
      store.entries.set(name, { signed, dataBytes });
    }
    return store;
  }

  /**
   * Adds the column magnitudes a description signed by an older version lacks, from the data file;
   * re-signs it and replaces description.json atomically (every other field, `created` included,
   * stays).
   */
  private async healMagnitudes(
    name: string,
    signed: SignedDatasetDescription,
  ): Promise<SignedDatasetDescription> {
    const d = signed.description;
    const { values } = await readDataFile(join(this.root, name, DATA_FILE));
    const mags = magnitudesOf(values, d.columns.length);
    const columns = d.columns.map((c, j) => ({ ...c, magnitude: c.magnitude ?? mags[j]! }));
    const healed = await signDescription({ ...d, columns }, this.key);
    await writeFileAtomic(join(this.root, name, DESCRIPTION_FILE), JSON.stringify(healed, null, 2) + '\n');
    return healed;
  }

  /** Stored datasets sorted by name. */
  list(): StoredDataset[] {
    return [...this.entries.keys()].sort().map((n) => this.entries.get(n)!);
  }

  /** One dataset, or undefined. */
  get(name: string): StoredDataset | undefined {
    return this.entries.get(name);
  }

  /**
   * Imports a CSV (and optional mock CSV), signs the description and stores both. A replace keeps
   * the old dataset's tags and description text unless `input` gives new ones (`[]` and `''` clear
   * them); its mock rows, declared magnitudes and bounds come from `input` alone.
   *
   * @throws {InvalidNameError} {DatasetExistsError} {CsvImportError} {TypeError} (bad policy summary)
   *   {InvalidBoundsError} (bounds malformed, of no column, or not holding the data)
   */
  async add(input: AddDatasetInput, options: AbortOptions = {}): Promise<StoredDataset> {
    const name = checkDatasetName(input.name);
    const givenTags = input.tags === undefined ? undefined : normaliseTags(input.tags);
    if (input.description !== undefined && input.description.length > MAX_DESCRIPTION_CHARS) {
      throw new RangeError(`description longer than ${MAX_DESCRIPTION_CHARS} characters`);
    }
    if (this.entries.has(name) && input.replace !== true) throw new DatasetExistsError(name);
    // a replace keeps the tags and text it is not given
    const previous = input.replace === true ? this.entries.get(name)?.signed.description : undefined;
    const tags = givenTags ?? previous?.tags ?? [];
    const text = input.description ?? previous?.description ?? '';
    const policy = input.policy ?? { approval: 'manual' };
    const policyProblem = policySummaryProblem(policy);
    if (policyProblem !== undefined) throw new TypeError(policyProblem);
    const mockCount = input.mockRows ?? 0;
    if (!Number.isInteger(mockCount) || mockCount < 0 || mockCount > MAX_MOCK_ROWS) {
      throw new RangeError(`mockRows must be an integer in 0..${MAX_MOCK_ROWS}`);
    }
    const tmp = join(this.root, `.import-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp, { mode: 0o700 });
    try {
      let columns: string[] = [];
      let stats: ColumnStats | undefined;
      let writer: DataFileWriter | undefined;
      let rows: number;
      const printer = new RowPrintCollector(this.printKey);
      try {
        rows = await readNumericCsv(
          input.csvPath,
          (cols) => {
            columns = cols;
            stats = new ColumnStats(cols.length);
          },
          async (row) => {
            writer ??= await DataFileWriter.create(join(tmp, DATA_FILE), columns.length);
            stats!.add(row);
            printer.add(row);
            await writer.append(row);
          },
          options,
        );
        writer ??= await DataFileWriter.create(join(tmp, DATA_FILE), columns.length);
      } catch (err) {
        await writer?.abort();
        throw err;
      }
      const dataBytes = await writer.finish();
      await writeFileAtomic(join(tmp, PRINTS_FILE), encodeRowPrints(printer.finish()));
      let mock: number[][];
      let mockSource: 'synthetic' | 'file';
      if (input.mockPath !== undefined) {
        mock = await readMockCsv(input.mockPath, columns, options);
        mockSource = 'file';
      } else {
        mock = syntheticMockRows(stats!, mockCount, this.rng);
        mockSource = 'synthetic';
      }
      const bounds = checkedBounds(columns, stats!.min, stats!.max, input.bounds);
      const description = buildDescription({
        name,
        owner: this.owner,
        description: text,
        columns,
        magnitudes: declaredMagnitudes(columns, stats!, input.magnitudes, bounds),
        bounds,
        rows,
        tags,
        mock,
        mockSource,
        policy: JSON.parse(canonicalJson(policy)) as PolicySummary,
      });
      const signed = await signDescription(description, this.key);
      await writeFileAtomic(join(tmp, DESCRIPTION_FILE), JSON.stringify(signed, null, 2) + '\n');
      options.signal?.throwIfAborted();
      const dest = join(this.root, name);
      return await this.exclusive(async () => {
        if (this.entries.has(name)) {
          const old = join(this.root, `${OLD_PREFIX}${randomBytes(6).toString('hex')}-${name}`);
          await rename(dest, old);
          await rename(tmp, dest);
          await rm(old, { recursive: true, force: true });
        } else {
          await rename(tmp, dest);
        }
        const entry = { signed, dataBytes };
        this.entries.set(name, entry);
        return entry;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Replaces the policy summary of a local dataset: re-signs its description with the owner's key
   * and replaces `description.json` atomically (the data file is untouched; every other field,
   * `created` included, stays). Nothing is written when the summary is already the published one.
   *
   * @throws {DatasetNotFoundError} {TypeError} when `policy` is not a valid summary.
   */
  async setPolicySummary(
    name: string,
    policy: PolicySummary,
    options: AbortOptions = {},
  ): Promise<StoredDataset> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new DatasetNotFoundError(this.owner, name);
    const problem = policySummaryProblem(policy);
    if (problem !== undefined) throw new TypeError(problem);
    const summary = JSON.parse(canonicalJson(policy)) as PolicySummary; // a plain copy, undefined fields dropped
    if (canonicalJson(entry.signed.description.policy) === canonicalJson(summary)) return entry;
    const signed = await signDescription({ ...entry.signed.description, policy: summary }, this.key);
    options.signal?.throwIfAborted();
    await writeFileAtomic(join(this.root, name, DESCRIPTION_FILE), JSON.stringify(signed, null, 2) + '\n');
    const updated: StoredDataset = { signed, dataBytes: entry.dataBytes };
    this.entries.set(name, updated);
    return updated;
  }

  /**
   * Changes a dataset's tags, free-text description and/or column bounds (re-signed; data, rows
   * and creation time unchanged). New bounds are checked against the data file and set the
   * column's magnitude to theirs; a column whose bounds are removed (`null`) keeps its magnitude.
   * Nothing is written when nothing changes.
   * @throws {DatasetNotFoundError} {InvalidNameError} {RangeError} {InvalidBoundsError}
   */
  async update(name: string, change: DatasetUpdate, options: AbortOptions = {}): Promise<StoredDataset> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new DatasetNotFoundError(this.owner, name);
    const tags = change.tags === undefined ? entry.signed.description.tags : normaliseTags(change.tags);
    if (change.description !== undefined && change.description.length > MAX_DESCRIPTION_CHARS) {
      throw new RangeError(`description longer than ${MAX_DESCRIPTION_CHARS} characters`);
    }
    const description = change.description ?? entry.signed.description.description;
    const before = entry.signed.description;
    const columns = change.bounds === undefined ? before.columns : await this.rebound(name, change.bounds);
    if (
      canonicalJson(before.tags) === canonicalJson(tags) &&
      before.description === description &&
      canonicalJson(before.columns) === canonicalJson(columns)
    )
      return entry;
    const signed = await signDescription({ ...before, tags, description, columns }, this.key);
    options.signal?.throwIfAborted();
    await writeFileAtomic(join(this.root, name, DESCRIPTION_FILE), JSON.stringify(signed, null, 2) + '\n');
    const updated: StoredDataset = { signed, dataBytes: entry.dataBytes };
    this.entries.set(name, updated);
    return updated;
  }

  /**
   * The columns of a dataset with `bounds` applied (set, or removed by null; others unchanged),
   * checked against its data file. @throws {InvalidBoundsError}
   */
  private async rebound(
    name: string,
    bounds: Readonly<Record<string, readonly [number, number] | null>>,
  ): Promise<ColumnInfo[]> {
    const before = this.entries.get(name)!.signed.description.columns;
    const names = before.map((c) => c.name);
    // malformed or unknown entries are refused before the data file is read
    checkBoundsEntries(names, bounds);
    const { values } = await readDataFile(join(this.root, name, DATA_FILE));
    const { min, max } = columnRanges(values, names.length);
    const set = checkedBounds(names, min, max, bounds);
    return before.map((c, j) => {
      const b = set[j];
      if (b !== undefined) return { ...c, magnitude: boundsMagnitude(b), bounds: b };
      if (!Object.hasOwn(bounds, c.name)) return c;
      const { bounds: _removed, ...rest } = c;
      return rest;
    });
  }

  /** Deletes a dataset; false when there was none. */
  async remove(name: string): Promise<boolean> {
    return this.exclusive(async () => {
      if (!this.entries.has(name)) return false;
      const trash = join(this.root, `.removed-${randomBytes(6).toString('hex')}`);
      await rename(join(this.root, name), trash);
      this.entries.delete(name);
      await rm(trash, { recursive: true, force: true });
      return true;
    });
  }

  /**
   * The sorted row prints of a dataset with their digest. When `prints.bin` is missing or
   * malformed (a dataset imported before prints existed), computes them from the data file and
   * writes the file atomically. @throws {DatasetNotFoundError}
   */
  async rowPrintSet(name: string): Promise<RowPrintSet> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new DatasetNotFoundError(this.owner, name);
    const path = join(this.root, name, PRINTS_FILE);
    const stored = await readPrintsFile(path, entry.signed.description.rows);
    if (stored !== undefined) return stored;
    // Under the lock, so that no import swaps the directory between reading the data and writing.
    return this.exclusive(async () => {
      const current = this.entries.get(name);
      if (current === undefined) throw new DatasetNotFoundError(this.owner, name);
      const again = await readPrintsFile(path, current.signed.description.rows);
      if (again !== undefined) return again;
      const { columns, values } = await readDataFile(join(this.root, name, DATA_FILE));
      const prints = computeRowPrints(this.printKey, values, columns);
      const bytes = encodeRowPrints(prints);
      await writeFileAtomic(path, bytes);
      return { prints, digest: rowPrintsDigest(bytes) };
    });
  }

  /**
   * The sorted prints of a dataset's rows projected on `columns` (by name, in that order), or
   * undefined when it lacks one of them: what a result over those columns depends on.
   * @throws {DatasetNotFoundError}
   */
  async projectedPrintSet(name: string, columns: readonly string[]): Promise<RowPrintSet | undefined> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new DatasetNotFoundError(this.owner, name);
    const names = entry.signed.description.columns.map((c) => c.name);
    const pick = columns.map((c) => names.indexOf(c));
    if (pick.some((j) => j < 0)) return undefined;
    const { values } = await readDataFile(join(this.root, name, DATA_FILE));
    const prints = projectedRowPrints(this.printKey, values, names.length, pick);
    return { prints, digest: rowPrintsDigest(prints) };
  }

  /** Reads a dataset's values. @throws {DatasetNotFoundError} */
  async readValues(name: string): Promise<{ columns: string[]; rows: number; values: Float64Array }> {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new DatasetNotFoundError(this.owner, name);
    const { rows, values } = await readDataFile(join(this.root, name, DATA_FILE));
    return { columns: entry.signed.description.columns.map((c) => c.name), rows, values };
  }
}
