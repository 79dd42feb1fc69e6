/**
 * `peermpc init` prints the peer id (issue 13: a second peer's `--bootstrap` needed a daemon first
 * to learn it): the real binary, a fresh data directory; the id is the one the key file holds, and
 * stays the same when the config is rewritten. A bad option value is a usage error (exit 2) naming
 * the option, a bootstrap address whose /p2p/ part is no peer id among them (the README's
 * placeholder `12D3Koo...` was accepted and the daemon started without a word), and nothing is
 * written; a malformed job id is a usage error before any daemon is asked.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

test('bad option values are usage errors (exit 2) naming the option; nothing is written', () => {
  const root = mkdtempSync(join(tmpdir(), 'peermpc-init-'));
  try {
    const dir = join(root, 'p');
    const cases: [string[], RegExp][] = [
      [['--reachability', 'bogus'], /reachability/],
      [['--bootstrap', '/ip4/10.0.0.5/tcp/4001/p2p/12D3Koo...'], /bootstrap.*not a peer id/],
      [['--bootstrap', '/ip4/10.0.0.5/tcp/4001'], /must end in \/p2p\/<peer id>/],
    ];
    for (const [args, why] of cases) {
      const r = peermpc(['init', '-d', dir, ...args]);
      assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.is(r.stderr.trim().split('\n').length, 1, 'one line');
    }
    assert.not.ok(existsSync(join(dir, 'config.json')), 'no config written');
    const ok = peermpc([
      'init',
      '-d',
      dir,
      '--bootstrap',
      '/ip4/10.0.0.5/tcp/4001/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp',
    ]);
    assert.is(ok.code, 0, ok.stderr);
    const job = peermpc(['job', 'status', 'deadbeef', '-d', dir]);
    assert.is(job.code, 2, job.stderr);
    assert.match(job.stderr, /a job id is 32 hex characters/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
