/**
 * Local datasets without a network: CSV import and its errors, all-or-nothing writes, synthetic
 * and file mock rows, description signatures, canonical JSON, and the identity key file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { canonicalJson } from '../../src/node/canonical-json.js';
import {
  verifySignedDescription,
  signDescription,
  buildDescription,
} from '../../src/node/dataset/description.js';
import { InvalidBoundsError, magnitudeOf } from '../../src/node/dataset/magnitude.js';
import { DatasetStore } from '../../src/node/dataset/store.js';
import {
  CsvImportError,
  DatasetExistsError,
  DatasetNotFoundError,
  DescriptionVerificationError,
  InvalidNameError,
  KeyFileError,
  StateFileError,
} from '../../src/node/errors.js';
import { KEY_FILE, loadOrCreateIdentity } from '../../src/node/identity.js';
import { removeDir, SAMPLE_CSV, tempDir, writeText } from './net-helpers.js';

async function openStore(dir: string, seed = 1) {
  const key = await loadOrCreateIdentity(dir);
  const owner = peerIdFromPrivateKey(key).toString();
  let s = seed;
  const rng = (): number => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
  return { store: await DatasetStore.open(dir, owner, key, rng), owner, key };
}

test('a CSV imports: columns, rows, values, signed description, synthetic mock rows', async () => {
  const dir = tempDir();
  try {
    const { store, owner } = await openStore(dir);
    const csv = writeText(dir, 'd.csv', SAMPLE_CSV);
    const e = await store.add({
      csvPath: csv,
      name: 'people',
      tags: ['Health', 'demo', 'demo'],
      description: 'x',
      mockRows: 5,
    });
    const d = e.signed.description;
    assert.is(d.owner, owner);
    assert.equal(
      d.columns.map((c) => c.name),
      ['age', 'height', 'weight'],
    );
    assert.is(d.rows, 4);
    assert.equal(d.tags, ['demo', 'health']);
    assert.is(d.mockSource, 'synthetic');
    assert.is(d.mock.length, 5);
    const real = SAMPLE_CSV.trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    for (const row of d.mock) {
      assert.is(row.length, 3);
      assert.ok(!real.some((r) => r.every((v, i) => v === row[i])), 'a mock row is not a real row');
      assert.ok(
        row[0]! >= 20 && row[0]! <= 60 && Number.isInteger(row[0]),
        'age within the widened range, integer',
      );
      assert.ok(row[1]! >= 160 && row[1]! <= 190, 'height within the widened range');
    }
    await verifySignedDescription(e.signed, owner, { owner, name: 'people' });
    const v = await store.readValues('people');
    assert.is(v.rows, 4);
    assert.equal(Array.from(v.values.subarray(0, 3)), [30, 170.5, 70]);
    assert.equal(Array.from(v.values.subarray(9, 12)), [52, 175, 90]);
    // reopened from disk: the same
    const again = await openStore(dir);
    assert.equal(again.store.get('people')?.signed, e.signed);
  } finally {
    removeDir(dir);
  }
});

test('a non-numeric cell is an error naming row and column, and nothing is imported', async () => {
  const dir = tempDir();
  try {
    const { store } = await openStore(dir);
    const csv = writeText(dir, 'bad.csv', 'a,b\n1,2\n3,4\n5,oops\n7,8\n');
    try {
      await store.add({ csvPath: csv, name: 'bad' });
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, CsvImportError);
      const e = err as CsvImportError;
      assert.is(e.row, 4);
      assert.is(e.column, 'b');
      assert.match(e.message, /row 4, column "b"/);
      assert.not.match(e.message, /oops/);
    }
    assert.is(store.get('bad'), undefined);
    assert.equal(readdirSync(join(dir, 'datasets')), [], 'no directory left behind');
    const reopened = await openStore(dir);
    assert.equal(reopened.store.list(), []);
  } finally {
    removeDir(dir);
  }
});

test('CSV shape errors: ragged row, empty cell, duplicate or empty header, missing file', async () => {
  const dir = tempDir();
  try {
    const { store } = await openStore(dir);
    const cases: [string, RegExp][] = [
      ['a,b\n1,2\n3\n', /row 3 has 1 cells/],
      ['a,b\n1,\n', /row 2, column "b"/],
      ['a,a\n1,2\n', /duplicate column/],
      ['a,\n1,2\n', /column 2 has an empty name/],
      ['', /empty file/],
      ['a,b\n1,Infinity\n', /column "b": not a number/],
      ['a,b\n1,0x10\n', /column "b": not a number/],
      ['a,b\n1,2\n12.75"x,3\n', /malformed CSV at row 3 \(INVALID_OPENING_QUOTE\)/],
    ];
    for (const [text, re] of cases) {
      const p = writeText(dir, 'c.csv', text);
      await store.add({ csvPath: p, name: 'c' }).then(
        () => assert.unreachable(`accepted ${JSON.stringify(text)}`),
        (err: Error) => {
          assert.instance(err, CsvImportError);
          assert.match(err.message, re);
          assert.not.match(err.message, /12\.75/, 'a cell value in the message');
          assert.is(err.cause, undefined, 'no cause that could quote a cell');
        },
      );
    }
    await store.add({ csvPath: join(dir, 'nope.csv'), name: 'c' }).then(
      () => assert.unreachable(),
      (err: Error) => assert.match(err.message, /cannot read \(ENOENT\)/),
    );
    assert.equal(readdirSync(join(dir, 'datasets')), []);
  } finally {
    removeDir(dir);
  }
});

test('a new dataset publishes no synthetic mock rows unless its owner asks (they disclose ranges)', async () => {
  const dir = tempDir();
  try {
    const { store } = await openStore(dir);
    const e = await store.add({ csvPath: writeText(dir, 'd.csv', SAMPLE_CSV), name: 'quiet' });
    assert.equal(e.signed.description.mock, []);
  } finally {
    removeDir(dir);
  }
});

test('magnitudes: each column publishes the smallest e with max |x| <= 2^e; owners may declare more', async () => {
  assert.equal(
    [0, 1, 2, 3, 128, 129, 0.001, 2 ** -41, 2 ** -40 / 3, 2 ** -40, 1.5 * 2 ** -40, 2 ** 62, 1e300].map(
      magnitudeOf,
    ),
    [-40, 0, 1, 2, 7, 8, -9, -40, -40, -40, -39, 62, 62],
  );
  const dir = tempDir();
  try {
    const { store, key, owner } = await openStore(dir);
    const csv = writeText(dir, 'm.csv', 'neg,small,pow,zero\n-300,0.001,64,0\n5,0.0002,-3,0\n');
    const e = await store.add({ csvPath: csv, name: 'mags' });
    assert.equal(
      e.signed.description.columns.map((c) => c.magnitude),
      [9, -9, 6, -40],
    );
    const declared = await store.add({ csvPath: csv, name: 'decl', magnitudes: { pow: 20 } });
    assert.is(declared.signed.description.columns[2]!.magnitude, 20);
    await store.add({ csvPath: csv, name: 'low', magnitudes: { neg: 5 } }).then(
      () => assert.unreachable('a declaration below the data must be refused'),
      (err: Error) =>
        assert.match(err.message, /column "neg": declared magnitude 2\^5 is below the data's 2\^9/),
    );
    // a replace keeps a declaration only if given again
    const replaced = await store.add({ csvPath: csv, name: 'decl', replace: true });
    assert.is(replaced.signed.description.columns[2]!.magnitude, 6);
    // untrusted descriptions: a missing magnitude passes the shape check, a bad one does not
    const d = e.signed.description;
    const withMagnitude = async (m: unknown): Promise<string> => {
      const columns = d.columns.map((c, j) => (j === 0 ? { name: c.name, type: c.type, magnitude: m } : c));
      const signed = await signDescription({ ...d, columns } as typeof d, key);
      return verifySignedDescription(signed, owner).then(
        () => 'accepted',
        (err: DescriptionVerificationError) => err.reason,
      );
    };
    assert.is(await withMagnitude(undefined), 'accepted');
    for (const bad of [1.5, 63, -41, '3', null])
      assert.is(await withMagnitude(bad), 'invalid column', String(bad));
  } finally {
    removeDir(dir);
  }
});

test('a description signed without magnitudes is healed at open, keeping its creation time', async () => {
  const dir = tempDir();
  try {
    const { store, key, owner } = await openStore(dir);
    const e = await store.add({ csvPath: writeText(dir, 'd.csv', SAMPLE_CSV), name: 'old' });
    const d = e.signed.description;
    const stripped = { ...d, columns: d.columns.map((c) => ({ name: c.name, type: c.type })) };
    const path = join(dir, 'datasets', 'old', 'description.json');
    writeFileSync(path, JSON.stringify(await signDescription(stripped, key)));
    const reopened = await DatasetStore.open(dir, owner, key);
    const healed = reopened.get('old')!.signed.description;
    assert.equal(
      healed.columns.map((c) => c.magnitude),
      d.columns.map((c) => c.magnitude),
    );
    assert.is(healed.created, d.created);
    await verifySignedDescription(JSON.parse(readFileSync(path, 'utf8')), owner, { owner, name: 'old' });
  } finally {
    removeDir(dir);
  }
});

/** The error `p` rejects with (fails when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => assert.unreachable('expected a refusal') as never,
    (err: Error) => err,
  );
}

test('bounds: declared per column, signed, verified after a round trip, and their magnitude published', async () => {
  const dir = tempDir();
  try {
    const { store, owner, key } = await openStore(dir);
    const csv = writeText(dir, 'b.csv', 'age,sbp,t\n30,120,-3.5\n41,180,2\n25,95,0.25\n');
    const e = await store.add({
      csvPath: csv,
      name: 'bounded',
      bounds: { age: [0, 120], t: [-40, 60.5] },
    });
    const d = e.signed.description;
    assert.equal(
      d.columns.map((c) => c.bounds),
      [[0, 120], undefined, [-40, 60.5]],
    );
    // a bounded column publishes the magnitude of its bounds, not the data's own (6 and 2)
    assert.equal(
      d.columns.map((c) => c.magnitude),
      [magnitudeOf(120), magnitudeOf(180), magnitudeOf(60.5)],
    );
    const wire = JSON.parse(JSON.stringify(e.signed)) as unknown;
    const back = await verifySignedDescription(wire, owner, { owner, name: 'bounded' });
    assert.equal(back.description.columns, d.columns);
    // on disk: verified again at open
    const reopened = await DatasetStore.open(dir, owner, key);
    assert.equal(reopened.get('bounded')!.signed, e.signed);
    // a declared magnitude for a bounded column must be its bounds' own
    await store.add({ csvPath: csv, name: 'both', bounds: { age: [0, 120] }, magnitudes: { age: 7 } });
    const both = await rejection(
      store.add({ csvPath: csv, name: 'both2', bounds: { age: [0, 120] }, magnitudes: { age: 9 } }),
    );
    assert.instance(both, InvalidBoundsError);
    assert.match(both.message, 'column "age": declared magnitude 2^9 differs from 2^7');
    // a replace keeps only the bounds given again
    const replaced = await store.add({ csvPath: csv, name: 'bounded', replace: true });
    assert.equal(
      replaced.signed.description.columns.map((c) => [c.bounds, c.magnitude]),
      [
        [undefined, 6],
        [undefined, 8],
        [undefined, 2],
      ],
    );
  } finally {
    removeDir(dir);
  }
});

test('bounds that do not hold the data, or are malformed, are refused naming column and side, never a value', async () => {
  const dir = tempDir();
  try {
    const { store } = await openStore(dir);
    const csv = writeText(dir, 'b.csv', 'age,sbp\n30,123.456\n47,181.25\n25,95.5\n');
    const refuse = async (bounds: Record<string, [number, number]>): Promise<InvalidBoundsError> => {
      const err = await rejection(store.add({ csvPath: csv, name: 'x', bounds }));
      assert.instance(err, InvalidBoundsError);
      for (const value of ['123.456', '181.25', '95.5', '47', '25']) assert.not.match(err.message, value);
      return err as InvalidBoundsError;
    };
    const above = await refuse({ sbp: [50, 180] });
    assert.is(above.message, 'column "sbp" has values above the declared upper bound 180');
    assert.is(above.column, 'sbp');
    assert.is(above.side, 'upper');
    const below = await refuse({ age: [26, 120] });
    assert.is(below.message, 'column "age" has values below the declared lower bound 26');
    assert.is(below.side, 'lower');
    assert.is((await refuse({ bmi: [0, 1] })).message, 'declared bounds for "bmi", which is not a column');
    assert.match((await refuse({ age: [120, 0] })).message, 'column "age": the lower bound must be below');
    assert.match((await refuse({ age: [5, 5] })).message, 'the lower bound must be below');
    assert.match((await refuse({ age: [0, 2 ** 63] })).message, 'within ±2^62');
    assert.match((await refuse({ age: [0, Infinity] })).message, 'two finite numbers');
    assert.match((await refuse({ age: [0, NaN] })).message, 'two finite numbers');
    assert.match((await refuse({ age: [0] as never })).message, 'two finite numbers');
    // the edges are inside
    const edge = await store.add({
      csvPath: csv,
      name: 'edge',
      bounds: { age: [25, 47], sbp: [95.5, 181.25] },
    });
    assert.equal(edge.signed.description.columns[0]!.bounds, [25, 47]);
    assert.equal(
      store.list().map((x) => x.signed.description.name),
      ['edge'],
    );
  } finally {
    removeDir(dir);
  }
});

test('update sets, changes and removes bounds: checked against the data, re-signed, magnitude follows', async () => {
  const dir = tempDir();
  try {
    const { store, owner, key } = await openStore(dir);
    const csv = writeText(dir, 'b.csv', 'age,sbp\n30,120\n41,180\n25,95\n');
    const e = await store.add({ csvPath: csv, name: 'p', tags: ['a'] });
    const before = e.signed.description;
    const set = await store.update('p', { bounds: { age: [0, 1000] } });
    const d = set.signed.description;
    assert.equal(d.columns[0], { name: 'age', type: 'number', magnitude: 10, bounds: [0, 1000] });
    assert.equal(d.columns[1], before.columns[1]);
    assert.is(d.created, before.created);
    assert.equal(d.tags, ['a']);
    assert.is(d.rows, 3);
    await verifySignedDescription(JSON.parse(JSON.stringify(set.signed)), owner, { owner, name: 'p' });
    // with tags at once; a column not named keeps its bounds
    const more = await store.update('p', { tags: ['b'], bounds: { sbp: [50, 250] } });
    assert.equal(
      more.signed.description.columns.map((c) => c.bounds),
      [
        [0, 1000],
        [50, 250],
      ],
    );
    assert.equal(more.signed.description.tags, ['b']);
    // the same bounds again: nothing changes, nothing is re-signed
    assert.is(await store.update('p', { bounds: { sbp: [50, 250] } }), more);
    // data outside: refused, nothing changed
    const err = await rejection(store.update('p', { bounds: { sbp: [100, 250] } }));
    assert.instance(err, InvalidBoundsError);
    assert.is(err.message, 'column "sbp" has values below the declared lower bound 100');
    assert.instance(await rejection(store.update('p', { bounds: { nope: [0, 1] } })), InvalidBoundsError);
    assert.instance(await rejection(store.update('p', { bounds: { age: [3, 1] } })), InvalidBoundsError);
    assert.is(store.get('p'), more);
    // removed: the magnitude it published stays (data-independent)
    const removed = await store.update('p', { bounds: { age: null } });
    assert.equal(removed.signed.description.columns[0], { name: 'age', type: 'number', magnitude: 10 });
    assert.equal(removed.signed.description.columns[1]!.bounds, [50, 250]);
    // persisted and verified at open
    const reopened = await DatasetStore.open(dir, owner, key);
    assert.equal(reopened.get('p')!.signed, removed.signed);
  } finally {
    removeDir(dir);
  }
});

test('untrusted descriptions: bounds must be valid and the column must publish their magnitude', async () => {
  const dir = tempDir();
  try {
    const { store, key, owner } = await openStore(dir);
    const e = await store.add({ csvPath: writeText(dir, 'd.csv', SAMPLE_CSV), name: 'u' });
    const d = e.signed.description;
    /** `magnitude` null: the column publishes none. */
    const withBounds = async (bounds: unknown, magnitude: number | null = 7): Promise<string> => {
      const first = { name: 'age', type: 'number', bounds, ...(magnitude === null ? {} : { magnitude }) };
      const columns = d.columns.map((c, j) => (j === 0 ? first : c));
      const signed = await signDescription({ ...d, columns } as typeof d, key);
      return verifySignedDescription(JSON.parse(JSON.stringify(signed)), owner).then(
        () => 'accepted',
        (err: DescriptionVerificationError) => err.reason,
      );
    };
    assert.is(await withBounds([0, 120]), 'accepted');
    assert.is(await withBounds([-0.5, 0.25], -1), 'accepted');
    for (const bad of [[120, 0], [1, 1], [0], [0, 1, 2], ['0', 120], [0, 2 ** 63], null, {}, 'x'])
      assert.is(await withBounds(bad), 'invalid column bounds', JSON.stringify(bad));
    // magnitude other than the bounds' own, or none
    assert.is(await withBounds([0, 120], 8), 'invalid column bounds');
    assert.is(await withBounds([0, 120], null), 'invalid column bounds');
  } finally {
    removeDir(dir);
  }
});

test('names, tags, duplicates, replace, remove, and a mock file', async () => {
  const dir = tempDir();
  try {
    const { store } = await openStore(dir);
    const csv = writeText(dir, 'd.csv', SAMPLE_CSV);
    await store.add({ csvPath: csv, name: 'Bad Name' }).then(
      () => assert.unreachable(),
      (e: Error) => assert.instance(e, InvalidNameError),
    );
    await store.add({ csvPath: csv, name: 'ok', tags: ['no spaces'] }).then(
      () => assert.unreachable(),
      (e: Error) => assert.instance(e, InvalidNameError),
    );
    const mock = writeText(dir, 'm.csv', 'age,height,weight\n1,2,3\n');
    const first = await store.add({ csvPath: csv, name: 'ok', mockPath: mock });
    assert.is(first.signed.description.mockSource, 'file');
    assert.equal(first.signed.description.mock, [[1, 2, 3]]);
    await store.add({ csvPath: csv, name: 'ok' }).then(
      () => assert.unreachable(),
      (e: Error) => assert.instance(e, DatasetExistsError),
    );
    const badMock = writeText(dir, 'm2.csv', 'x,y,z\n1,2,3\n');
    await store.add({ csvPath: csv, name: 'ok', mockPath: badMock, replace: true }).then(
      () => assert.unreachable(),
      (e: Error) => assert.match(e.message, /mock header differs/),
    );
    assert.equal(store.get('ok')?.signed, first.signed, 'a failed replace keeps the old dataset');
    const second = await store.add({ csvPath: csv, name: 'ok', replace: true, tags: ['t'] });
    assert.equal(second.signed.description.tags, ['t']);
    assert.ok(await store.remove('ok'));
    assert.not.ok(await store.remove('ok'));
    assert.equal(readdirSync(join(dir, 'datasets')), []);
  } finally {
    removeDir(dir);
  }
});

test('signatures: tampering, another owner, and a corrupt file on disk are rejected', async () => {
  const dir = tempDir();
  try {
    const { store, owner } = await openStore(dir);
    const e = await store.add({ csvPath: writeText(dir, 'd.csv', SAMPLE_CSV), name: 'ds' });
    const tampered = structuredClone(e.signed);
    tampered.description.rows = 1_000_000;
    const reason = async (v: unknown, by = owner): Promise<string> =>
      verifySignedDescription(v, by, { owner: by }).then(
        () => 'accepted',
        (err: DescriptionVerificationError) => err.reason,
      );
    assert.is(await reason(tampered), 'bad signature');
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString();
    assert.is(await reason(e.signed, other), 'owner mismatch');
    const claimed = structuredClone(e.signed);
    claimed.description.owner = other;
    assert.is(await reason(claimed, other), 'bad signature');
    assert.is(
      await reason({ description: { ...e.signed.description, rows: -1 }, signature: 'x' }),
      'invalid row count',
    );
    assert.is(await reason('nope'), 'not a signed description');
    // someone edits the stored description: the store refuses to open
    const path = join(dir, 'datasets', 'ds', 'description.json');
    writeFileSync(path, JSON.stringify(tampered));
    await openStore(dir).then(
      () => assert.unreachable(),
      (err: Error) => assert.instance(err, StateFileError),
    );
  } finally {
    removeDir(dir);
  }
});

test('a policy summary is re-signed in place: verified, persisted, data untouched, bad ones refused', async () => {
  const dir = tempDir();
  try {
    const { store, owner } = await openStore(dir);
    const e = await store.add({ csvPath: writeText(dir, 'd.csv', SAMPLE_CSV), name: 'ds' });
    assert.equal(e.signed.description.policy, { approval: 'manual' });
    const dataPath = join(dir, 'datasets', 'ds', 'data.bin');
    const dataBefore = readFileSync(dataPath);
    const valuesBefore = await store.readValues('ds');
    const summary = {
      approval: 'auto' as const,
      default: false,
      requestersRestricted: true,
      requesters: [owner],
      ops: ['count', 'mean'],
      outputs: ['mean'],
      minRows: 3,
    };
    const updated = await store.setPolicySummary('ds', summary);
    assert.equal(updated.signed.description.policy, summary);
    assert.is.not(updated.signed.signature, e.signed.signature);
    assert.equal(
      { ...updated.signed.description, policy: e.signed.description.policy },
      e.signed.description,
    );
    assert.is(updated.dataBytes, e.dataBytes);
    await verifySignedDescription(updated.signed, owner, { owner, name: 'ds' });
    // the old signature does not cover the new summary
    await verifySignedDescription({ ...updated.signed, signature: e.signed.signature }, owner).then(
      () => assert.unreachable('old signature accepted'),
      (err: DescriptionVerificationError) => assert.is(err.reason, 'bad signature'),
    );
    assert.equal(store.get('ds')!.signed, updated.signed);
    assert.equal(readFileSync(dataPath), dataBefore);
    assert.equal(await store.readValues('ds'), valuesBefore);
    assert.equal(
      readdirSync(join(dir, 'datasets', 'ds')).sort(),
      ['data.bin', 'description.json', 'prints.bin'],
      'no temporary file left',
    );
    // the same summary again writes nothing
    assert.is(await store.setPolicySummary('ds', { ...summary }), store.get('ds'));
    // persisted and verified at the next open
    const again = await openStore(dir);
    assert.equal(again.store.get('ds')!.signed, updated.signed);
    await again.store.setPolicySummary('nope', summary).then(
      () => assert.unreachable(),
      (err: Error) => assert.instance(err, DatasetNotFoundError),
    );
    await again.store.setPolicySummary('ds', { approval: 'sometimes' } as never).then(
      () => assert.unreachable(),
      (err: Error) => assert.match(err.message, 'approval'),
    );
    await again.store.setPolicySummary('ds', { minRows: 1.5 }).then(
      () => assert.unreachable(),
      (err: Error) => assert.match(err.message, 'minRows'),
    );
    assert.equal(again.store.get('ds')!.signed, updated.signed, 'unchanged after refusals');
    // a description with a malformed summary from the network is refused
    const key = await loadOrCreateIdentity(dir);
    const bad = await signDescription(
      { ...updated.signed.description, policy: { requesters: 'everyone' } as never },
      key,
    );
    await verifySignedDescription(bad, owner).then(
      () => assert.unreachable(),
      (err: DescriptionVerificationError) => assert.is(err.reason, 'invalid policy summary: requesters'),
    );
  } finally {
    removeDir(dir);
  }
});

test('canonical JSON sorts keys and rejects non-JSON values', async () => {
  assert.is(
    canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1, y: undefined } }),
    '{"a":[true,null,"x"],"b":1,"c":{"z":1}}',
  );
  assert.throws(() => canonicalJson({ a: NaN }));
  assert.throws(() => canonicalJson(new Date()));
  const key = await generateKeyPair('Ed25519');
  const owner = peerIdFromPrivateKey(key).toString();
  const d = buildDescription({
    name: 'n',
    owner,
    description: '',
    columns: ['a'],
    magnitudes: [3],
    rows: 1,
    tags: [],
    mock: [],
    mockSource: 'synthetic',
    policy: { minRows: 5, approval: 'auto' },
  });
  const signed = await signDescription(d, key);
  const reordered = JSON.parse(
    JSON.stringify({
      signature: signed.signature,
      description: { ...d, policy: { approval: 'auto', minRows: 5 } },
    }),
  );
  await verifySignedDescription(reordered, owner, { owner });
});

test('identity: created 0600, stable, refused when readable by others or corrupt', async () => {
  const dir = tempDir();
  try {
    const k1 = await loadOrCreateIdentity(dir);
    const path = join(dir, KEY_FILE);
    assert.is(statSync(path).mode & 0o777, 0o600);
    const k2 = await loadOrCreateIdentity(dir);
    assert.is(peerIdFromPrivateKey(k1).toString(), peerIdFromPrivateKey(k2).toString());
    chmodSync(path, 0o644);
    await loadOrCreateIdentity(dir).then(
      () => assert.unreachable(),
      (err: Error) => {
        assert.instance(err, KeyFileError);
        assert.ok(err.message.includes(path), 'names the file');
        assert.match(err.message, /group or others/);
      },
    );
    chmodSync(path, 0o600);
    writeFileSync(path, readFileSync(path).subarray(0, 10));
    await loadOrCreateIdentity(dir).then(
      () => assert.unreachable(),
      (err: Error) => {
        assert.instance(err, KeyFileError);
        assert.match(err.message, /corrupt/);
      },
    );
  } finally {
    removeDir(dir);
  }
});

test.run();
