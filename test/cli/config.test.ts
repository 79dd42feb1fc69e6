/**
 * `peermpc config show | set` through the real binary: the effective settings with defaults, a
 * set that the daemon's parsers accept is written (and shown), one they refuse is refused naming
 * the setting and leaves the file as it was.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const BIN = fileURLToPath(new URL('../../bin/peermpc.js', import.meta.url));

function peermpc(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Shown {
  daemon: { file: string | null; settings: { apiPort: number } };
  jobs: { file: string | null; settings: { stepMs: number; quotas: { pendingTotal: number } } };
}

test('config show gives the defaults; set validates, writes and shows; a bad value changes nothing', () => {
  const root = mkdtempSync(join(tmpdir(), 'peermpc-config-'));
  try {
    const dd = ['--data-dir', join(root, 'p')];
    const show = (): Shown => JSON.parse(peermpc(['config', 'show', '--json', ...dd]).stdout) as Shown;
    const before = show();
    assert.is(before.jobs.file, null);
    assert.is(before.jobs.settings.stepMs, 30_000);
    for (const [key, value] of [
      ['jobs.stepMs', '60000'],
      ['jobs.quotas.pendingTotal', '900'],
      ['apiPort', '7400'],
    ]) {
      const r = peermpc(['config', 'set', key!, value!, ...dd]);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, /restart the daemon/);
    }
    const after = show();
    assert.is(after.jobs.settings.stepMs, 60_000);
    assert.is(after.jobs.settings.quotas.pendingTotal, 900);
    assert.is(after.daemon.settings.apiPort, 7400);
    const jobsFile = readFileSync(after.jobs.file!, 'utf8');
    for (const [key, value, why] of [
      ['jobs.stepMs', '-5', /jobs\/config\.json: "stepMs" must be a positive integer/],
      ['jobs.nope', '1', /unknown jobs setting "nope"/],
      ['listen', 'notalist', /"listen" entry "notalist" is not a multiaddr/],
      ['listen', '{"a":1}', /"listen" must be an array/],
    ] as const) {
      const r = peermpc(['config', 'set', key, value, ...dd]);
      assert.is(r.code, 1, r.stdout);
      assert.match(r.stderr, why);
    }
    assert.is(readFileSync(after.jobs.file!, 'utf8'), jobsFile);
    assert.is(show().daemon.settings.apiPort, 7400);
    // a list setting takes a comma-separated word, as the command-line options do, or JSON
    const ids = ['12D3KooWA', '12D3KooWB', '12D3KooWC'];
    assert.is(peermpc(['config', 'set', 'jobs.computeParties', ids.join(','), ...dd]).code, 0);
    const listed = JSON.parse(peermpc(['config', 'show', '--json', ...dd]).stdout) as {
      jobs: { settings: { computeParties: string[] } };
    };
    assert.equal(listed.jobs.settings.computeParties, ids);
    assert.is(peermpc(['config', 'set', 'jobs.computeParties', JSON.stringify(ids), ...dd]).code, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
