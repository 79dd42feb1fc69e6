/**
 * The release ledger: the differencing check (row sets, single columns, other datasets, histogram
 * edges), persistence, torn and corrupt lines, lost prints.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReleaseLedgerError } from '../../src/jobs/errors.js';
import {
  RELEASE_PRINTS_DIR,
  RELEASES_FILE,
  ReleaseLedger,
  type PrintSet,
  type ReleaseQuery,
} from '../../src/jobs/policy/releases.js';
import { projectedRowPrints, rowPrintKey, rowPrintsDigest } from '../../src/node/dataset/row-prints.js';

const KEY = rowPrintKey(randomBytes(64));
const ALICE = '12D3KooWAlice';
const BOB = '12D3KooWBob';
const COLS = ['x', 'y'];

/** A table (x, y) of `rows` rows: x = i (or 1000 + i for rows in `changed`), y = i / 2 + yShift. */
function table(rows: number, changed: number[] = [], yShift = 0): number[][] {
  return Array.from({ length: rows }, (_, i) => [changed.includes(i) ? 1000 + i : i, i / 2 + yShift]);
}

function project(rows: number[][], columns: readonly string[]): PrintSet {
  const values = Float64Array.from(rows.flat());
  const prints = projectedRowPrints(
    KEY,
    values,
    COLS.length,
    columns.map((c) => COLS.indexOf(c)),
  );
  return { columns: [...columns], prints, digest: rowPrintsDigest(prints) };
}

/** The sets a release over `used` stores: all used columns, then each alone. */
function sets(rows: number[][], used: string[]): PrintSet[] {
  return [project(rows, used), ...used.map((c) => project(rows, [c]))];
}

function query(
  rows: number[][],
  used: string[],
  o: { requester?: string; dataset?: string; histograms?: ReleaseQuery['histograms'] } = {},
): ReleaseQuery {
  return {
    requester: o.requester ?? ALICE,
    dataset: o.dataset ?? 'patients',
    used,
    project: async (columns) => project(rows, columns),
    histograms: o.histograms ?? [],
  };
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peermpc-releases-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

async function release(ledger: ReleaseLedger, rows: number[][], used: string[], job = 'job-1', more = {}) {
  await ledger.record(
    { job, requester: ALICE, dataset: 'patients', rows: rows.length, ...more },
    sets(rows, used),
  );
}

test(
  'same rows pass; one changed or added row is refused; many pass; other requesters are not compared',
  withDir(async (dir) => {
    const ledger = new ReleaseLedger(dir, { now: () => new Date('2026-01-01T00:00:00.000Z') });
    await release(ledger, table(100), ['x', 'y']);
    assert.is(await ledger.check(query(table(100), ['x', 'y']), 10), undefined);
    assert.equal(await ledger.check(query(table(100, [7]), ['x', 'y']), 10), {
      job: 'job-1',
      differ: 2,
      columns: ['x', 'y'],
      kind: 'rows',
      time: '2026-01-01T00:00:00.000Z',
    });
    assert.is((await ledger.check(query(table(101), ['x']), 10))?.differ, 1);
    assert.is(await ledger.check(query(table(100, [7]), ['x', 'y']), 2), undefined, 'minRows 2');
    assert.is(await ledger.check(query(table(100, [7]), ['x', 'y']), 1), undefined, 'guard off');
    const many = table(100, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.is(await ledger.check(query(many, ['x', 'y']), 10), undefined, 'differ 20');
    assert.is(
      await ledger.check(query(table(100, [7]), ['x', 'y'], { requester: BOB }), 10),
      undefined,
      'other requester',
    );
    // persisted, and prints stored once per digest
    await release(new ReleaseLedger(dir), table(100), ['x', 'y'], 'job-2');
    assert.equal(
      (await new ReleaseLedger(dir).entries()).map((e) => e.job),
      ['job-1', 'job-2'],
    );
    assert.is(readdirSync(join(dir, RELEASE_PRINTS_DIR)).length, 3);
  }),
);

test(
  'changing another column of every row does not hide a one-row change of a released column',
  withDir(async (dir) => {
    const ledger = new ReleaseLedger(dir);
    await release(ledger, table(100), ['x', 'y']);
    // every y moves and one row is added: the pairs differ by 201, the column x by 1
    const v2 = table(101, [], 1);
    const c = await ledger.check(query(v2, ['x']), 10);
    assert.equal([c?.differ, c?.columns], [1, ['x']]);
    assert.equal((await ledger.check(query(v2, ['x', 'y']), 10))?.columns, ['x']);
  }),
);

test(
  'a copy of a released dataset under another name, with one more row, is refused',
  withDir(async (dir) => {
    const ledger = new ReleaseLedger(dir);
    await release(ledger, table(100), ['x']);
    const c = await ledger.check(query(table(101), ['x'], { dataset: 'patients-copy' }), 10);
    assert.equal([c?.job, c?.differ], ['job-1', 1]);
  }),
);

test(
  'a histogram of a column with other edges than an earlier release of it is refused',
  withDir(async (dir) => {
    const ledger = new ReleaseLedger(dir);
    await release(ledger, table(100), ['x'], 'job-1', { histograms: [{ column: 'x', edges: [0, 41] }] });
    const same = await ledger.check(
      query(table(100), ['x'], { histograms: [{ column: 'x', edges: [0, 41] }] }),
      10,
    );
    assert.is(same, undefined);
    const other = await ledger.check(
      query(table(100), ['x'], { histograms: [{ column: 'x', edges: [0, 40] }] }),
      1,
    );
    assert.equal([other?.kind, other?.columns], ['edges', ['x']]);
  }),
);

test(
  'record refuses prints that do not match their digest and malformed entries',
  withDir(async (dir) => {
    const ledger = new ReleaseLedger(dir);
    const good = sets(table(10), ['x']);
    const bad = [{ ...good[0]!, prints: project(table(10, [1]), ['x']).prints }];
    const entry = { job: 'j', requester: ALICE, dataset: 'patients', rows: 10 };
    await ledger.record(entry, bad).then(
      () => assert.unreachable('mismatch'),
      (err: Error) => assert.instance(err, TypeError),
    );
    await ledger.record({ ...entry, job: '' }, good).then(
      () => assert.unreachable('empty job'),
      (err: Error) => assert.instance(err, TypeError),
    );
    assert.equal(await ledger.entries(), []);
  }),
);

test(
  'a torn last line is dropped and cut off; the next record appends cleanly',
  withDir(async (dir) => {
    await release(new ReleaseLedger(dir), table(10), ['x']);
    const path = join(dir, RELEASES_FILE);
    const good = readFileSync(path, 'utf8');
    appendFileSync(path, '{"job":"job-2","requester":"12D3');
    const ledger = new ReleaseLedger(dir);
    assert.equal(
      (await ledger.entries()).map((e) => e.job),
      ['job-1'],
    );
    assert.is(readFileSync(path, 'utf8'), good, 'the torn line is cut off the file');
    await release(ledger, table(10), ['x'], 'job-2');
    writeFileSync(path, readFileSync(path, 'utf8').trimEnd()); // a last line that lost its newline
    const kept = new ReleaseLedger(dir);
    assert.is((await kept.entries()).length, 2);
    await release(kept, table(10), ['x'], 'job-3');
    assert.is((await new ReleaseLedger(dir).entries()).length, 3);
  }),
);

test(
  'a corrupt line before the last one is a ReleaseLedgerError naming the line',
  withDir(async (dir) => {
    const ledger = new ReleaseLedger(dir);
    await release(ledger, table(10), ['x'], 'job-1');
    await release(ledger, table(10), ['x'], 'job-2');
    const path = join(dir, RELEASES_FILE);
    const lines = readFileSync(path, 'utf8').split('\n');
    writeFileSync(
      path,
      [JSON.stringify({ ...JSON.parse(lines[0]!), rows: -1 }), ...lines.slice(1)].join('\n'),
    );
    await new ReleaseLedger(dir).check(query(table(10), ['x']), 5).then(
      () => assert.unreachable('corrupt'),
      (err: Error) => {
        assert.instance(err, ReleaseLedgerError);
        assert.is((err as ReleaseLedgerError).line, 1);
      },
    );
    writeFileSync(path, [lines[0], 'not json', lines[1], ''].join('\n'));
    await new ReleaseLedger(dir).entries().then(
      () => assert.unreachable('not json'),
      (err: Error) => assert.is((err as ReleaseLedgerError).line, 2),
    );
  }),
);

test(
  'a release whose prints file is missing or corrupt is unverifiable: differ -1',
  withDir(async (dir) => {
    const ledger = new ReleaseLedger(dir);
    await release(ledger, table(100), ['x']);
    const many = table(100, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const f of readdirSync(join(dir, RELEASE_PRINTS_DIR)))
      writeFileSync(join(dir, RELEASE_PRINTS_DIR, f), Buffer.alloc(800));
    assert.is((await ledger.check(query(many, ['x']), 10))?.differ, -1, 'corrupt');
    rmSync(join(dir, RELEASE_PRINTS_DIR), { recursive: true });
    assert.is((await ledger.check(query(many, ['x']), 10))?.differ, -1, 'missing');
    assert.is(await ledger.check(query(table(100), ['x']), 10), undefined, 'the same digest needs no prints');
  }),
);

test.run();
