/**
 * `peermpc dataset update` and `dataset search` through the real binary, with two real daemons:
 * new tags and a new description are signed, advertised and found by another peer (the old tag no
 * longer finds the dataset), data and policy stay; bad input is a one-line usage or API error.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startNetwork, type DemoNetwork } from '../../scripts/demo-network.js';
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
  assert.match(none.stderr, 'give --tags and/or --description');
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

test.run();
