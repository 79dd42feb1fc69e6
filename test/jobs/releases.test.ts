/** The release ledger: the differencing check, persistence, torn and corrupt lines, lost prints. */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReleaseLedgerError } from '../../src/jobs/errors.js';
import { RELEASE_PRINTS_DIR, RELEASES_FILE, ReleaseLedger } from '../../src/jobs/policy/releases.js';
import { computeRowPrints, rowPrintKey, rowPrintsDigest } from '../../src/node/dataset/row-prints.js';

const KEY = rowPrintKey(randomBytes(64));
const ALICE = '12D3KooWAlice';
const BOB = '12D3KooWBob';

/** Prints of `rows` rows (x, i) for i in 0..rows-1, with the rows listed in `changed` altered. */
function version(
  rows: number,
  changed: number[] = [],
  extra = 0,
): { prints: BigUint64Array; digest: string } {
  const values = new Float64Array(2 * (rows + extra));
  for (let i = 0; i < rows + extra; i++) {
    values[2 * i] = i;
    values[2 * i + 1] = changed.includes(i) ? 1000 + i : i / 2;
  }
  const prints = computeRowPrints(KEY, values, 2);
  return { prints, digest: rowPrintsDigest(prints) };
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

async function recordV0(ledger: ReleaseLedger, job = 'job-1', requester = ALICE): Promise<void> {
  const v0 = version(100);
  await ledger.record({ job, requester, dataset: 'patients', printsDigest: v0.digest, rows: 100 }, v0.prints);
}

test(
  'same rows pass, one changed row is refused, many changed rows pass, others are not compared',
  withDir(async (dir) => {
    const times = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'];
    const ledger = new ReleaseLedger(dir, { now: () => new Date(times.shift()!) });
    await recordV0(ledger);
    const same = version(100);
    assert.is(await ledger.check(ALICE, 'patients', same.digest, same.prints, 10), undefined);

    const one = version(100, [7]);
    assert.equal(await ledger.check(ALICE, 'patients', one.digest, one.prints, 10), {
      job: 'job-1',
      differ: 2,
      time: '2026-01-01T00:00:00.000Z',
    });
    const added = version(100, [], 1);
    assert.is((await ledger.check(ALICE, 'patients', added.digest, added.prints, 10))?.differ, 1);
    assert.is(await ledger.check(ALICE, 'patients', one.digest, one.prints, 2), undefined, 'minRows 2');
    assert.is(await ledger.check(ALICE, 'patients', one.digest, one.prints, 1), undefined, 'guard off');

    const many = version(100, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.is(await ledger.check(ALICE, 'patients', many.digest, many.prints, 10), undefined, 'differ 20');
    assert.is(await ledger.check(BOB, 'patients', one.digest, one.prints, 10), undefined, 'other requester');
    assert.is(await ledger.check(ALICE, 'other', one.digest, one.prints, 10), undefined, 'other dataset');

    // a second release of the changed version: the first conflicting release is still reported,
    // and a check of the changed version itself compares against the original only
    await ledger.record(
      { job: 'job-2', requester: ALICE, dataset: 'patients', printsDigest: one.digest, rows: 100 },
      one.prints,
    );
    assert.is((await ledger.check(ALICE, 'patients', one.digest, one.prints, 10))?.job, 'job-1');
    const two = version(100, [7, 8]);
    assert.is((await ledger.check(ALICE, 'patients', two.digest, two.prints, 3))?.job, 'job-2');

    // persisted: a new instance sees both releases
    const reopened = new ReleaseLedger(dir);
    assert.equal(
      (await reopened.entries()).map((e) => [e.job, e.rows]),
      [
        ['job-1', 100],
        ['job-2', 100],
      ],
    );
    assert.is((await reopened.check(ALICE, 'patients', one.digest, one.prints, 10))?.differ, 2);
    // prints stored once per digest
    await recordV0(reopened, 'job-3');
    assert.is(readdirSync(join(dir, RELEASE_PRINTS_DIR)).length, 2);
  }),
);

test(
  'record refuses prints that do not match the digest and malformed entries',
  withDir(async (dir) => {
    const ledger = new ReleaseLedger(dir);
    const v0 = version(10);
    const v1 = version(10, [1]);
    const entry = { job: 'j', requester: ALICE, dataset: 'patients', printsDigest: v0.digest, rows: 10 };
    await ledger.record(entry, v1.prints).then(
      () => assert.unreachable('mismatch'),
      (err: Error) => assert.instance(err, TypeError),
    );
    await ledger.record({ ...entry, job: '' }, v0.prints).then(
      () => assert.unreachable('empty job'),
      (err: Error) => assert.instance(err, TypeError),
    );
    await ledger.check(ALICE, 'patients', v0.digest, v1.prints, 5).then(
      () => assert.unreachable('current mismatch'),
      (err: Error) => assert.instance(err, TypeError),
    );
    assert.equal(await ledger.entries(), []);
  }),
);

test(
  'a torn last line is dropped and cut off; the next record appends cleanly',
  withDir(async (dir) => {
    await recordV0(new ReleaseLedger(dir));
    const path = join(dir, RELEASES_FILE);
    const good = readFileSync(path, 'utf8');
    appendFileSync(path, '{"job":"job-2","requester":"12D3');
    const ledger = new ReleaseLedger(dir);
    assert.equal(
      (await ledger.entries()).map((e) => e.job),
      ['job-1'],
    );
    assert.is(readFileSync(path, 'utf8'), good, 'the torn line is cut off the file');
    await recordV0(ledger, 'job-2');
    assert.equal(
      (await new ReleaseLedger(dir).entries()).map((e) => e.job),
      ['job-1', 'job-2'],
    );

    // a whole last line that lost only its newline is kept, and the newline restored
    writeFileSync(path, readFileSync(path, 'utf8').trimEnd());
    const kept = new ReleaseLedger(dir);
    assert.is((await kept.entries()).length, 2);
    await recordV0(kept, 'job-3');
    assert.is((await new ReleaseLedger(dir).entries()).length, 3);
  }),
);

test(
  'a corrupt line before the last one is a ReleaseLedgerError naming the line',
  withDir(async (dir) => {
    const ledger = new ReleaseLedger(dir);
    await recordV0(ledger, 'job-1');
    await recordV0(ledger, 'job-2');
    const path = join(dir, RELEASES_FILE);
    const lines = readFileSync(path, 'utf8').split('\n');
    const bad = JSON.stringify({ ...JSON.parse(lines[0]!), rows: -1 });
    writeFileSync(path, [bad, ...lines.slice(1)].join('\n'));
    const v0 = version(100);
    for (const attempt of [1, 2]) {
      await new ReleaseLedger(dir).check(ALICE, 'patients', v0.digest, v0.prints, 10).then(
        () => assert.unreachable(`attempt ${attempt}`),
        (err: Error) => {
          assert.instance(err, ReleaseLedgerError);
          assert.is((err as ReleaseLedgerError).line, 1);
          assert.match(err.message, /"rows"/);
        },
      );
    }
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
    await recordV0(ledger);
    const v0 = version(100);
    const file = join(dir, RELEASE_PRINTS_DIR, `${v0.digest}.bin`);
    const many = version(100, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    writeFileSync(file, Buffer.alloc(800));
    assert.is((await ledger.check(ALICE, 'patients', many.digest, many.prints, 10))?.differ, -1, 'corrupt');
    rmSync(file);
    assert.equal(await ledger.check(ALICE, 'patients', many.digest, many.prints, 10), {
      job: 'job-1',
      differ: -1,
      time: (await ledger.entries())[0]!.time,
    });
    // the same digest needs no earlier prints
    assert.is(await ledger.check(ALICE, 'patients', v0.digest, v0.prints, 10), undefined);
    assert.is(await ledger.check(BOB, 'patients', many.digest, many.prints, 10), undefined);
  }),
);

test.run();
