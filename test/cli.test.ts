/**
 * The CLI as a child process: version and help, argument errors, `init`, the "no daemon" error, and
 * every client command's text and JSON output against an in-process daemon with a fake peer.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDaemon, type RunningDaemon } from '../src/daemon/daemon.js';
import { packageVersion } from '../src/util/paths.js';
import { fakePeer, type FakePeer } from './node/daemon-fake-peer.js';
import { runCli } from './cli-helpers.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'peermpc-cli-'));
  dirs.push(d);
  return d;
}

test('--version and --help', async () => {
  const v = await runCli(['--version']);
  assert.is(v.code, 0);
  assert.is(v.stdout.trim(), packageVersion());
  const h = await runCli(['--help']);
  assert.is(h.code, 0);
  for (const cmd of ['init', 'daemon', 'status', 'peers', 'connect', 'dataset']) assert.match(h.stdout, cmd);
  const dh = await runCli(['dataset', 'add', '--help']);
  assert.is(dh.code, 0);
  assert.match(dh.stdout, '--name');
  assert.match(dh.stdout, '--data-dir');
});

test('bad arguments: commander message and exit code 2', async () => {
  const unknown = await runCli(['bogus']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, "unknown command 'bogus'");
  const noName = await runCli(['dataset', 'add', 'x.csv', '--data-dir', tmp()]);
  assert.is(noName.code, 2);
  assert.match(noName.stderr, "required option '-n, --name <name>' not specified");
  const badRef = await runCli(['dataset', 'show', 'a/b/c', '--data-dir', tmp()]);
  assert.is(badRef.code, 2);
  assert.match(badRef.stderr, 'expected <owner peer id>/<dataset name>');
  const badPort = await runCli(['init', '--api-port', 'x', '--data-dir', tmp()]);
  assert.is(badPort.code, 2);
});

test('no daemon running: says so, how to start one, exit code 3 (also with --json and PEERMPC_HOME)', async () => {
  const dir = tmp();
  const r = await runCli(['status', '--data-dir', dir]);
  assert.is(r.code, 3);
  assert.match(r.stderr, `no peermpc daemon is running for data dir ${dir}`);
  assert.match(r.stderr, `peermpc daemon --data-dir ${dir}`);
  const j = await runCli(['dataset', 'list', '--json'], { env: { PEERMPC_HOME: dir } });
  assert.is(j.code, 3);
  const body = JSON.parse(j.stderr) as { error: { name: string; message: string } };
  assert.is(body.error.name, 'DaemonNotRunningError');
  assert.match(body.error.message, dir);
});

test('init writes a default config (0600), refuses to overwrite it without --force', async () => {
  const dir = join(tmp(), 'fresh');
  const r = await runCli([
    'init',
    '--data-dir',
    dir,
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--allow-private-addresses',
  ]);
  assert.is(r.code, 0, r.stderr);
  const path = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  assert.equal(config.listen, ['/ip4/127.0.0.1/tcp/0']);
  assert.is(config.allowPrivateAddresses, true);
  assert.is(config.apiPort, 0);
  for (const key of ['bootstrap', 'allow', 'deny', 'announce']) assert.equal(config[key], [], key);
  assert.is(statSync(path).mode & 0o777, 0o600);
  const again = await runCli(['init', '--data-dir', dir]);
  assert.is(again.code, 1);
  assert.match(again.stderr, 'already exists (use --force');
  const forced = await runCli(['init', '--data-dir', dir, '--force', '--json']);
  assert.is(forced.code, 0);
  assert.equal((JSON.parse(forced.stdout) as { config: { listen: string[] } }).config.listen, [
    '/ip4/0.0.0.0/tcp/7341',
  ]);
});

async function withFakeDaemon(
  fn: (dir: string, peer: FakePeer, d: RunningDaemon) => Promise<void>,
): Promise<void> {
  const dir = tmp();
  let peer: FakePeer | undefined;
  const d = await startDaemon({ dataDir: dir, createPeer: async (init) => (peer = fakePeer(init)) });
  try {
    await fn(dir, peer!, d);
  } finally {
    await d.stop();
  }
}

test('status and peers: text and --json', async () => {
  await withFakeDaemon(async (dir, peer, d) => {
    const s = await runCli(['status', '--data-dir', dir]);
    assert.is(s.code, 0, s.stderr);
    assert.match(s.stdout, /peer id\s+12D3KooWFake/);
    assert.match(s.stdout, d.apiUrl);
    const sj = JSON.parse((await runCli(['status', '--data-dir', dir, '--json'])).stdout) as {
      peerId: string;
      apiUrl: string;
    };
    assert.is(sj.peerId, peer.peerId);
    assert.is(sj.apiUrl, d.apiUrl);
    const p = await runCli(['peers', '--data-dir', dir]);
    assert.match(p.stdout, /PEER ID\s+DIRECTION\s+KIND\s+OPEN FOR\s+ADDRESS/);
    assert.match(p.stdout, /alpha\s+outbound\s+direct\s+1\.5s/);
    const pj = JSON.parse((await runCli(['peers', '--json', '-d', dir])).stdout) as Array<{ peerId: string }>;
    assert.equal(
      pj.map((x) => x.peerId),
      ['alpha', 'zeta'],
    );
    const c = await runCli(['connect', '/ip4/127.0.0.1/tcp/9/p2p/abc', '-d', dir]);
    assert.is(c.stdout.trim(), 'connected to remote-peer');
    const bad = await runCli(['connect', 'bad', '-d', dir]);
    assert.is(bad.code, 1);
    assert.is(bad.stderr.trim(), 'error: not a peer id or a multiaddr: "bad"');
  });
});

test('dataset add/list/search/show/remove: paths resolved, text and --json, server errors shown', async () => {
  await withFakeDaemon(async (dir, peer) => {
    const csv = join(dir, 'x.csv');
    writeFileSync(csv, 'a,b\n1,2\n');
    const add = await runCli([
      'dataset',
      'add',
      csv,
      '--name',
      'heights',
      '--tags',
      'health,bio',
      '--description',
      'd',
      '-d',
      dir,
    ]);
    assert.is(add.code, 0, add.stderr);
    assert.match(add.stdout, `added ${peer.peerId}/heights: 3 rows, 2 columns, advertised`);
    assert.ok(peer.calls.includes(`add heights ${csv}`));
    const dup = await runCli(['dataset', 'add', csv, '--name', 'heights', '-d', dir]);
    assert.is(dup.code, 1);
    assert.match(dup.stderr, 'already exists');
    const nofile = await runCli(['dataset', 'add', 'nothere.csv', '-n', 'b', '-d', dir]);
    assert.is(nofile.code, 1);
    assert.is(nofile.stderr.trim(), 'error: nothere.csv: no such file');
    const badCsv = join(dir, 'bad.csv');
    writeFileSync(badCsv, 'a,b\n1,x\n');
    const bad = await runCli(['dataset', 'add', badCsv, '-n', 'b', '-d', dir, '--json']);
    assert.is(bad.code, 1);
    assert.is((JSON.parse(bad.stderr) as { error: { name: string } }).error.name, 'CsvImportError');

    const list = await runCli(['dataset', 'list', '-d', dir]);
    assert.match(list.stdout, /NAME\s+ROWS\s+COLUMNS\s+TAGS/);
    assert.match(list.stdout, /heights\s+3\s+2\s+bio,health\s+48 B\s+yes\s+d/);
    const lj = JSON.parse((await runCli(['dataset', 'list', '--json', '-d', dir])).stdout) as Array<{
      signed: object;
    }>;
    assert.is(lj.length, 1);

    const search = await runCli(['dataset', 'search', 'bio', '-d', dir]);
    assert.is(search.code, 0);
    assert.match(search.stdout, new RegExp(`${peer.peerId}\\s+heights\\s+3\\s+2`));
    assert.match(search.stderr, 'warning: dropped mallory/bio: bad signature');
    const none = await runCli(['dataset', 'search', 'nothing', '--by', 'name', '-d', dir]);
    assert.match(none.stdout, 'no datasets found for "nothing"');

    const show = await runCli(['dataset', 'show', `${peer.peerId}/heights`, '-d', dir]);
    assert.is(show.code, 0, show.stderr);
    assert.match(show.stdout, /columns\s+a \(number\)/);
    assert.match(show.stdout, 'mock rows (synthetic, not real data)');
    const local = JSON.parse((await runCli(['dataset', 'show', 'heights', '--json', '-d', dir])).stdout) as {
      description: { owner: string };
    };
    assert.is(local.description.owner, peer.peerId);
    const missing = await runCli(['dataset', 'show', 'someone/else', '-d', dir]);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, 'error: dataset someone/else not found');

    assert.is((await runCli(['dataset', 'remove', 'heights', '-d', dir])).stdout.trim(), 'removed heights');
    const gone = await runCli(['dataset', 'remove', 'heights', '-d', dir]);
    assert.is(gone.code, 1);
    assert.match(gone.stderr, 'no local dataset named "heights"');
    assert.match((await runCli(['dataset', 'list', '-d', dir])).stdout, 'no local datasets');
  });
});

test('access list, allow, deny, clear', async () => {
  await withFakeDaemon(async (dir) => {
    const empty = await runCli(['access', '-d', dir]);
    assert.is(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /allow\s+\(empty: every peer not denied\)/);
    const denied = JSON.parse((await runCli(['access', 'deny', 'p1', 'p2', '--json', '-d', dir])).stdout) as {
      deny: string[];
    };
    assert.equal(denied.deny, ['p1', 'p2']);
    await runCli(['access', 'allow', 'p3', '-d', dir]);
    const cleared = await runCli(['access', 'clear', 'p1', '-d', dir]);
    assert.match(cleared.stdout, /allow\s+p3\ndeny\s+p2/);
    const none = await runCli(['access', 'deny', '-d', dir]);
    assert.is(none.code, 2);
  });
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
