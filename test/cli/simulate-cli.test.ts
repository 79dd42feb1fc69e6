/**
 * `peermpc simulate`: the real binary runs a small network from flags and from a file (flags win)
 * and prints the report as JSON; a bad scenario file is refused naming the field, before any peer
 * starts; a file that is not JSON names itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SimReport } from '../../src/sim/report.js';

const BIN = fileURLToPath(new URL('../../bin/peermpc.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'peermpc-simcli-'));

function peermpc(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('a scenario file with flags over it, and the report as JSON', () => {
  const file = join(root, 'scenario.json');
  const jobs = [{ requester: 5, datasets: ['data-0', 'data-1', 'data-2'], stats: ['count'] }];
  writeFileSync(file, JSON.stringify({ peers: 4, seed: 9, searches: 3, jobs }));
  const r = peermpc(['simulate', file, '--peers', '6', '--searches', '5', '--json']);
  assert.is(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as SimReport;
  assert.is(report.peers, 6);
  assert.is(report.seed, 9);
  assert.is(report.discovery.searches, 5);
  assert.is(report.jobs[0]!.state, 'done', report.jobs[0]!.error);
  assert.equal(report.jobs[0]!.result!.find((o) => o.name === 'count')!.values, [300]);
});

test('a bad scenario is refused naming the field; a file that is not JSON names itself', () => {
  const bad = join(root, 'bad.json');
  writeFileSync(bad, JSON.stringify({ peers: 4, links: { default: { latencyMs: -5 } } }));
  let r = peermpc(['simulate', bad]);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /links\.default\.latencyMs/);
  const notJson = join(root, 'not.json');
  writeFileSync(notJson, '{ peers: 4');
  r = peermpc(['simulate', notJson]);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /not\.json: not JSON/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
