/**
 * What a crash at the wrong instant leaves behind, recovered at the next start: a dataset replace
 * interrupted between its two renames keeps the old dataset; a replace that finished leaves no
 * leftover; stale temporary files of atomic writes are removed; nested params are bounded.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { DatasetStore } from '../../src/node/dataset/store.js';
import { loadOrCreateIdentity } from '../../src/node/identity.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import { removeStaleTemps } from '../../src/util/stale-temps.js';
import { removeDir, SAMPLE_CSV, tempDir, writeText } from './net-helpers.js';

async function open(dir: string): Promise<DatasetStore> {
  const key = await loadOrCreateIdentity(dir);
  return DatasetStore.open(dir, peerIdFromPrivateKey(key).toString(), key);
}

test('a replace interrupted between its renames keeps the old dataset; a finished one leaves nothing', async () => {
  const dir = tempDir();
  try {
    const store = await open(dir);
    await store.add({ csvPath: writeText(dir, 'd.csv', SAMPLE_CSV), name: 'd' });
    const root = join(dir, 'datasets');
    // the crash: the old one renamed away, the new one not yet in place
    renameSync(join(root, 'd'), join(root, '.old-0a1b2c-d'));
    const after = await open(dir);
    assert.ok(after.get('d') !== undefined, 'the old dataset is back');
    assert.equal(
      readdirSync(root).filter((n) => n.startsWith('.')),
      [],
    );
    // the crash after the second rename: both exist, the leftover goes
    mkdirSync(join(root, '.old-0a1b2c-d'));
    await open(dir);
    assert.not.ok(existsSync(join(root, '.old-0a1b2c-d')));
  } finally {
    removeDir(dir);
  }
});

test('stale temporary files of atomic writes are removed, nothing else', () => {
  const dir = tempDir();
  try {
    for (const n of [
      'audit.head.123.tmp',
      'seen.log.4567.tmp',
      'x.json.9.0a1b2c3d.tmp',
      'notes.tmp',
      'audit.log',
    ])
      writeFileSync(join(dir, n), '');
    assert.is(removeStaleTemps([dir, join(dir, 'missing')]), 3);
    assert.equal(readdirSync(dir).sort(), ['audit.log', 'notes.tmp']);
  } finally {
    removeDir(dir);
  }
});

test('params nested deeper than 16 levels are refused with a typed error (no stack overflow)', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 5000; i++) deep = { a: deep };
  const program = {
    version: 1,
    inputs: [{ name: 'h', columns: ['x'] }],
    nodes: [{ id: 'm', op: 'mean', args: ['h'], params: { axis: deep } }],
    outputs: [{ name: 'm', node: 'm' }],
  };
  assert.throws(() => validateProgram(program), /nest deeper than 16/);
});

test.run();
