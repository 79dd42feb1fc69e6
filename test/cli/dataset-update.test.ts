/**
 * `peermpc dataset update` and `dataset search` through the real binary, with two real daemons:
 * new tags and a new description are signed, advertised and found by another peer (the old tag no
 * longer finds the dataset), data and policy stay; bad input is a one-line usage or API error.
 * Column bounds (`--bounds`) on add and update, through the CLI and the API: checked against the
 * data, shown, and verified by another peer.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startNetwork, type DemoNetwork } from '../../scripts/demo-network.js';
import { ApiRequestError } from '../../src/daemon/api/client.js';
import type { DatasetSearchResult, LocalDataset } from '../../src/node/types.js';
import { runCli } from '../cli-helpers.js';

let net: DemoNetwork;

test.before(async () => {
  net = await startNetwork(['owner', 'other']);
});
test.after(async () => {
  await net?.stop();
});

test('update re-signs tags and description; another peer finds it by the new ones only', async () => {
  const owner = net.get('owner');
  const other = net.get('other');
  const od = ['--data-dir', owner.dataDir];
  const csv = join(net.root, 'p.csv');
  writeFileSync(csv, 'age,sbp\n30,120\n40,130\n50,140\n');
  const add = await runCli(['dataset', 'add', csv, '--name', 'patients-b', '--tags', 'oldtag', ...od]);
  assert.is(add.code, 0, add.stderr);
  const before = (await owner.client.listDatasets()).datasets[0]!;

  const up = await runCli([
    'dataset',
    'update',
    'patients-b',
    '--tags',
    'cardiology,uk',
    '--description',
    'Leeds cohort',
    '--json',
    ...od,
  ]);
  assert.is(up.code, 0, up.stderr);
  const updated = JSON.parse(up.stdout) as LocalDataset;
  const d = updated.signed.description;
  assert.equal(d.tags, ['cardiology', 'uk']);
  assert.is(d.description, 'Leeds cohort');
  assert.equal(d.columns, before.signed.description.columns);
  assert.is(d.rows, 3);
  assert.is(d.created, before.signed.description.created);
  assert.is.not(updated.signed.signature, before.signed.signature);

  // the other peer finds it by the new tag, a tag prefix and the description; the old tag is gone
  const found = async (term: string): Promise<string[]> => {
    const r = await runCli(['dataset', 'search', term, '--json', '--data-dir', other.dataDir], {
      timeoutMs: 60_000,
    });
    assert.is(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as DatasetSearchResult).found.map((s) => s.description.name);
  };
  for (const term of ['cardiology', 'cardio', 'leeds', 'patients', 'ients-b']) {
    assert.equal(await found(term), ['patients-b'], term);
  }
  assert.equal(await found('oldtag'), []);
  const text = await runCli(['dataset', 'search', 'pati', '--data-dir', other.dataDir], {
    timeoutMs: 60_000,
  });
  assert.match(text.stdout, 'patients-b');
  // a job binds exact names and tags only: a partial match is named, not used
  const partial = await runCli(
    ['job', 'run', '--search', 'pati', '--stats', 'mean', '--data-dir', other.dataDir],
    {
      timeoutMs: 60_000,
    },
  );
  assert.is(partial.code, 1, partial.stderr);
  assert.match(
    partial.stderr,
    'no dataset is named or tagged "pati" (partial matches: patients-b; name them with --dataset)',
  );

  // usage and API errors: one line each
  const none = await runCli(['dataset', 'update', 'patients-b', ...od]);
  assert.is(none.code, 2);
  assert.match(none.stderr, 'give --tags, --description and/or --bounds');
  const missing = await runCli(['dataset', 'update', 'nosuch', '--tags', 'x', ...od]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /nosuch/);
  const badTag = await runCli(['dataset', 'update', 'patients-b', '--tags', 'Bad Tag!', ...od]);
  assert.is(badTag.code, 1);
  assert.match(badTag.stderr, /tag/);
  const long = await runCli(['dataset', 'update', 'patients-b', '--description', 'x'.repeat(5000), ...od]);
  assert.is(long.code, 1);
  assert.match(long.stderr, /longer than 4096/);
  for (const r of [none, missing, badTag, long]) assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  const longTerm = await runCli(['dataset', 'search', 'x'.repeat(80), ...od]);
  assert.is(longTerm.code, 1);
  assert.match(longTerm.stderr, /at most 64 characters/);
});

/** The lines of `text` without the trailing newline. */
const lines = (text: string): string[] => text.trimEnd().split('\n');

test('bounds: add and update through the CLI and the API, checked against the data, shown to another peer', async () => {
  const owner = net.get('owner');
  const od = ['--data-dir', owner.dataDir];
  const csv = join(net.root, 'bp.csv');
  writeFileSync(csv, 'age,sbp\n30,123.5\n41,181.25\n25,95.5\n');
  const add = await runCli([
    'dataset',
    'add',
    csv,
    '--name',
    'bp',
    '--bounds',
    'age:0:120,sbp:50:250',
    '--json',
    ...od,
  ]);
  assert.is(add.code, 0, add.stderr);
  const added = (JSON.parse(add.stdout) as LocalDataset).signed.description;
  assert.equal(
    added.columns.map((c) => [c.name, c.bounds, c.magnitude]),
    [
      ['age', [0, 120], 7],
      ['sbp', [50, 250], 8],
    ],
  );
  // another peer fetches the description from its owner, verifies it, and shows the bounds
  const shown = await runCli(
    ['dataset', 'show', `${owner.peerId}/bp`, '--data-dir', net.get('other').dataDir],
    {
      timeoutMs: 60_000,
    },
  );
  assert.is(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, 'age (number, |x| <= 2^7, bounds [0, 120])');
  assert.match(shown.stdout, 'sbp (number, |x| <= 2^8, bounds [50, 250])');

  // data outside the bounds: refused, naming column and side, never a data value
  const outside = await runCli(['dataset', 'add', csv, '--name', 'bp2', '--bounds', 'sbp:100:250', ...od]);
  assert.is(outside.code, 1, outside.stderr);
  assert.equal(lines(outside.stderr).length, 1, outside.stderr);
  assert.match(outside.stderr, 'column "sbp" has values below the declared lower bound 100');
  assert.not.match(outside.stderr, '95.5');

  // parse errors: one line naming the option and the entry, before any daemon is asked
  const usage = async (args: string[], says: string): Promise<void> => {
    const r = await runCli([...args, ...od]);
    assert.is(r.code, 2, r.stderr);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, "option '--bounds <column:lo:hi,...>' argument");
    assert.match(r.stderr, says);
  };
  const addBounds = (b: string): string[] => ['dataset', 'add', csv, '--name', 'bp3', '--bounds', b];
  await usage(addBounds('age:0'), '"age:0" is not column:lo:hi');
  await usage(addBounds('age:none'), '"age:none" is not column:lo:hi');
  await usage(addBounds('age:x:120'), '"age:x:120": lo and hi must be decimal numbers');
  await usage(addBounds('age:120:0'), '"age:120:0": the lower bound must be below the upper bound');
  await usage(addBounds('age:0:1e30'), '"age:0:1e30": bounds must lie within ±2^62');
  await usage(addBounds(':0:1'), '":0:1" names no column');
  await usage(addBounds('age:0:1,age:0:2'), '"age:0:2": column "age" given twice');
  await usage(['dataset', 'update', 'bp', '--bounds', 'sbp'], '"sbp" is not column:lo:hi or column:none');

  // update: remove one, change another (magnitude follows), tags at once
  const up = await runCli([
    'dataset',
    'update',
    'bp',
    '--bounds',
    'age:none,sbp:-10:1000',
    '--tags',
    'bp',
    ...od,
  ]);
  assert.is(up.code, 0, up.stderr);
  assert.is(up.stdout.trim(), 'updated bp: tags bp; bounds sbp [-10, 1000]');
  const after = (await owner.client.listDatasets()).datasets.find((x) => x.signed.description.name === 'bp')!;
  assert.equal(
    after.signed.description.columns.map((c) => [c.name, c.bounds, c.magnitude]),
    [
      ['age', undefined, 7],
      ['sbp', [-10, 1000], 10],
    ],
  );
  assert.is(after.signed.description.created, added.created);
  const tooLow = await runCli(['dataset', 'update', 'bp', '--bounds', 'age:0:40', ...od]);
  assert.is(tooLow.code, 1, tooLow.stderr);
  assert.equal(lines(tooLow.stderr).length, 1, tooLow.stderr);
  assert.match(tooLow.stderr, 'column "age" has values above the declared upper bound 40');

  // the API: bounds on add and on PATCH; bad shapes are 400 naming the field; data outside is 400
  const api = owner.client;
  const viaApi = await api.addDataset({ csvPath: csv, name: 'bp-api', bounds: { age: [18, 99] } });
  assert.equal(viaApi.signed.description.columns[0]!.bounds, [18, 99]);
  const patched = await api.updateDataset('bp-api', { bounds: { age: null, sbp: [0, 300] } });
  assert.equal(
    patched.signed.description.columns.map((c) => c.bounds),
    [undefined, [0, 300]],
  );
  const rejects = async (p: Promise<unknown>, name: string, says: string): Promise<void> => {
    const err = await p.then(
      () => assert.unreachable('expected a refusal') as never,
      (e: Error) => e,
    );
    assert.instance(err, ApiRequestError);
    assert.is((err as ApiRequestError).status, 400, err.message);
    assert.is(err.name, name);
    assert.match(err.message, says);
  };
  await rejects(
    api.updateDataset('bp-api', { bounds: { sbp: [0, 100] } }),
    'InvalidBoundsError',
    'column "sbp" has values above the declared upper bound 100',
  );
  await rejects(
    api.addDataset({ csvPath: csv, name: 'bp-x', bounds: { bmi: [0, 1] } }),
    'InvalidBoundsError',
    'declared bounds for "bmi", which is not a column',
  );
  for (const bounds of [{ age: [5, 1] }, { age: [0] }, { age: 'x' }, [1, 2], { age: null }])
    await rejects(
      api.request('POST', '/datasets', { csvPath: csv, name: 'bp-x', bounds }),
      'BadRequestError',
      '"bounds" must be an object of [lo, hi] by column name',
    );
  await rejects(
    api.request('PATCH', '/datasets/bp-api', { bounds: { age: [0, 2 ** 63] } }),
    'BadRequestError',
    '|lo|, |hi| <= 2^62) or null',
  );
  assert.equal(
    (await api.listDatasets()).datasets
      .map((x) => x.signed.description.name)
      .filter((n) => n.startsWith('bp')),
    ['bp', 'bp-api'],
  );
});

test.run();
