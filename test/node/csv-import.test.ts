/**
 * CSV import refuses what no job could use, naming file, row and column (issue 13): cells beyond
 * ±(2^53 − 1) (1e300 failed later with "non-finite number Infinity" and no position; integers
 * such as 9007199254740993 were stored as another value), and a file of a header alone (it became
 * an advertised 0-row dataset). A replace keeps the old tags and description unless given. First
 * the reader and the store, then a real daemon through the `peermpc` binary.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_CELL_MAGNITUDE, readNumericCsv } from '../../src/node/dataset/csv.js';
import { DatasetStore } from '../../src/node/dataset/store.js';
import { CsvImportError } from '../../src/node/errors.js';
import { loadOrCreateIdentity } from '../../src/node/identity.js';
import type { DatasetSearchResult, SignedDatasetDescription } from '../../src/node/types.js';
import { runCli } from '../cli-helpers.js';
import { killAll, startDaemonProcess, tmpDataDir, type DaemonProcess } from './daemon-helpers.js';
import { removeDir, tempDir, writeText } from './net-helpers.js';

const OUT_OF_RANGE = `out of range: |x| must be at most ${MAX_CELL_MAGNITUDE} (2^53 - 1, the largest integer held exactly)`;

let files = 0;

/** The error reading `text` as a CSV file raises (fails when it reads). */
async function csvError(dir: string, text: string): Promise<CsvImportError> {
  const path = writeText(dir, `f${++files}.csv`, text);
  try {
    await readNumericCsv(
      path,
      () => {},
      () => {},
    );
  } catch (err) {
    assert.instance(err, CsvImportError);
    const e = err as CsvImportError;
    assert.is(e.path, path);
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    return e;
  }
  throw new Error(`${JSON.stringify(text)} was read`);
}

/** The rows of `text` as read. */
async function read(dir: string, text: string): Promise<number[][]> {
  const rows: number[][] = [];
  await readNumericCsv(
    writeText(dir, 'ok.csv', text),
    () => {},
    (row) => void rows.push(Array.from(row)),
  );
  return rows;
}

async function openStore(dir: string): Promise<DatasetStore> {
  const key = await loadOrCreateIdentity(dir);
  return DatasetStore.open(dir, peerIdFromPrivateKey(key).toString(), key, () => 0.5);
}

test('a cell beyond ±(2^53 − 1), or one that reads as Infinity, is refused naming file, row and column', async () => {
  const dir = tempDir();
  try {
    for (const cell of ['1e300', '-1e300', '1e400', '9007199254740993', '-9007199254740992', '1.5e16']) {
      const e = await csvError(dir, `a,b\n1,2\n3,${cell}\n5,6\n`);
      assert.is(e.row, 3, cell);
      assert.is(e.column, 'b', cell);
      assert.is(e.message, `${e.path}: row 3, column "b": ${OUT_OF_RANGE}`, cell);
      assert.not.match(e.message, cell.replace(/^-/, ''), 'the cell is not quoted');
    }
    // the bound itself and everything inside it are read exactly
    assert.equal(await read(dir, 'a\n9007199254740991\n-9007199254740991\n1e15\n0.5e-300\n'), [
      [9007199254740991],
      [-9007199254740991],
      [1e15],
      [0.5e-300],
    ]);
    const nan = await csvError(dir, 'a,b\n1,x\n');
    assert.is(nan.message, `${nan.path}: row 2, column "b": not a number`);
  } finally {
    removeDir(dir);
  }
});

test('a file of a header alone has no data rows: refused, for data and mock files', async () => {
  const dir = tempDir();
  try {
    for (const text of ['a,b\n', 'a,b', 'a,b\n\n\n']) {
      const e = await csvError(dir, text);
      assert.is(e.message, `${e.path}: no data rows (only a header)`);
      assert.is(e.row, 0);
    }
    const store = await openStore(dir);
    const data = writeText(dir, 'data.csv', 'a,b\n1,2\n');
    const mock = writeText(dir, 'mock.csv', 'a,b\n');
    await store.add({ csvPath: writeText(dir, 'h.csv', 'a,b\n'), name: 'empty' }).then(
      () => assert.unreachable('a header-only dataset was added'),
      (err: Error) => assert.match(err.message, 'no data rows'),
    );
    await store.add({ csvPath: data, name: 'm', mockPath: mock }).then(
      () => assert.unreachable('a header-only mock file was accepted'),
      (err: Error) => assert.match(err.message, `${mock}: no data rows`),
    );
    assert.equal(store.list(), []);
  } finally {
    removeDir(dir);
  }
});

test('1e300 with synthetic mock rows is a CsvImportError with its position, and nothing is stored', async () => {
  const dir = tempDir();
  try {
    const store = await openStore(dir);
    const csv = writeText(dir, 'big.csv', 'a,b\n1,2\n3,1e300\n');
    await store.add({ csvPath: csv, name: 'big', mockRows: 3 }).then(
      () => assert.unreachable('1e300 was imported'),
      (err: Error) => {
        assert.instance(err, CsvImportError);
        assert.is(err.message, `${csv}: row 3, column "b": ${OUT_OF_RANGE}`);
      },
    );
    assert.equal(store.list(), []);
    assert.equal(readdirSync(join(dir, 'datasets')), []);
  } finally {
    removeDir(dir);
  }
});

test('a replace keeps the tags and description it is not given; given ones (even empty) replace them', async () => {
  const dir = tempDir();
  try {
    const store = await openStore(dir);
    const csv = writeText(dir, 'd.csv', 'a,b\n1,2\n3,4\n');
    const more = writeText(dir, 'e.csv', 'a,b\n1,2\n3,4\n5,6\n');
    await store.add({ csvPath: csv, name: 'd', tags: ['Cardiology', 'x'], description: 'hearts' });
    const kept = (await store.add({ csvPath: more, name: 'd', replace: true })).signed.description;
    assert.equal([kept.rows, kept.tags, kept.description], [3, ['cardiology', 'x'], 'hearts']);
    const retold = (await store.add({ csvPath: csv, name: 'd', replace: true, tags: ['y'] })).signed
      .description;
    assert.equal([retold.tags, retold.description], [['y'], 'hearts']);
    const cleared = (await store.add({ csvPath: csv, name: 'd', replace: true, tags: [], description: '' }))
      .signed.description;
    assert.equal([cleared.tags, cleared.description], [[], '']);
    // reopened from disk: what the last replace signed
    assert.equal((await openStore(dir)).get('d')!.signed, store.get('d')!.signed);
  } finally {
    removeDir(dir);
  }
});

let daemonDir = '';
let daemon: DaemonProcess | undefined;

test.before(async () => {
  daemonDir = tmpDataDir('peermpc-csv-import-');
  daemon = await startDaemonProcess(daemonDir);
});

test.after(async () => {
  await daemon?.stop().catch(() => undefined);
  killAll();
  rmSync(daemonDir, { recursive: true, force: true });
});

// a generous limit: it only stops a hung command (a loaded machine runs the CLI slowly)
const cli = (...args: string[]) => runCli([...args, '--data-dir', daemonDir], { timeoutMs: 120_000 });

/** Writes `text` to `name` in the daemon's directory. */
function file(name: string, text: string): string {
  const path = join(daemonDir, name);
  writeFileSync(path, text);
  return path;
}

test('through a daemon and the CLI: out-of-range cells and header-only files are refused, naming the position', async () => {
  for (const [name, text, message] of [
    ['huge.csv', 'age,income\n31,1e300\n', `row 2, column "income": ${OUT_OF_RANGE}`],
    ['inexact.csv', 'age,id\n31,1\n32,9007199254740993\n', `row 3, column "id": ${OUT_OF_RANGE}`],
    ['header.csv', 'age,income\n', 'no data rows (only a header)'],
  ] as const) {
    const path = file(name, text);
    const r = await cli('dataset', 'add', path, '--name', 'x');
    assert.is(r.code, 1, r.stdout);
    assert.is(r.stderr.trim(), `error: ${path}: ${message}`);
  }
  assert.equal((await daemon!.client.listDatasets()).datasets, []);
  assert.not.ok(existsSync(join(daemonDir, 'datasets', 'x')));
});

test('through a daemon and the CLI: a replace keeps its tags and description, so a tag search still finds it', async () => {
  const first = file('first.csv', 'age,bp\n31,120\n45,130\n');
  const second = file('second.csv', 'age,bp\n31,120\n45,130\n52,141\n');
  let r = await cli(
    'dataset',
    'add',
    first,
    '--name',
    'hearts',
    '--tags',
    'cardiology',
    '--description',
    'BP',
  );
  assert.is(r.code, 0, r.stderr);
  r = await cli('dataset', 'add', second, '--name', 'hearts', '--replace');
  assert.is(r.code, 0, r.stderr);
  r = await cli('dataset', 'search', 'cardiology', '--by', 'tag', '--timeout', '1000', '--json');
  assert.is(r.code, 0, r.stderr);
  const found = (JSON.parse(r.stdout) as DatasetSearchResult).found.map((s) => s.description);
  assert.equal(
    found.map((d) => [d.name, d.rows, d.tags, d.description]),
    [['hearts', 3, ['cardiology'], 'BP']],
  );
  r = await cli('dataset', 'show', 'hearts', '--json');
  assert.is(r.code, 0, r.stderr);
  const shown = (JSON.parse(r.stdout) as SignedDatasetDescription).description;
  assert.equal([shown.rows, shown.tags, shown.description], [3, ['cardiology'], 'BP']);
});

test.run();
