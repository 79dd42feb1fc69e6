/**
 * `peermpc init` prints the peer id (issue 13: a second peer's `--bootstrap` needed a daemon first
 * to learn it): the real binary, a fresh data directory; the id is the one the key file holds, and
 * stays the same when the config is rewritten.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peerIdOfDataDir } from '../../src/node/identity.js';

const BIN = fileURLToPath(new URL('../../bin/peermpc.js', import.meta.url));

function peermpc(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('init prints the peer id the daemon will have, in text and JSON', async () => {
  const root = mkdtempSync(join(tmpdir(), 'peermpc-init-'));
  try {
    const dir = join(root, 'p');
    const text = peermpc(['init', '-d', dir]);
    assert.is(text.code, 0, text.stderr);
    const id = /^peer id: (12D3KooW\w+)$/m.exec(text.stdout)?.[1];
    assert.ok(id !== undefined, text.stdout);
    assert.is(await peerIdOfDataDir(dir), id);
    const json = peermpc(['init', '-d', dir, '--force', '--json']);
    assert.is(json.code, 0, json.stderr);
    assert.is((JSON.parse(json.stdout) as { peerId: string }).peerId, id);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
