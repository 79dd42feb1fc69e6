/**
 * One real daemon process: init, start, status through the CLI, the token requirement, a second
 * daemon on the same data directory refused, a bad CSV refused naming the row and column, restart
 * keeping the peer id and datasets, and a clean SIGTERM shutdown.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiClient, ApiRequestError } from '../../src/daemon/api/client.js';
import { BIN, runCli } from '../cli-helpers.js';
import { exitOf, killAll, startDaemonProcess, tmpDataDir, type DaemonProcess } from './daemon-helpers.js';

const dirs: string[] = [];

test('init, daemon, status, token required, second daemon refused, bad CSV, restart, SIGTERM', async () => {
  const dir = tmpDataDir();
  dirs.push(dir);
  let daemon: DaemonProcess | undefined;
  try {
    const init = await runCli([
      'init',
      '--data-dir',
      dir,
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--allow-private-addresses',
    ]);
    assert.is(init.code, 0, init.stderr);
    // With every peermpc log namespace on, to check below that the token never reaches the log.
    daemon = await startDaemonProcess(dir, [], { env: { DEBUG: 'peermpc:*' } });
    assert.match(daemon.output(), `peer id      ${daemon.peerId}`);
    const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();

    const status = await runCli(['status', '--json', '--data-dir', dir]);
    assert.is(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as {
      peerId: string;
      pid: number;
      started: boolean;
      multiaddrs: string[];
    };
    assert.is(s.peerId, daemon.peerId);
    assert.is(s.pid, daemon.child.pid);
    assert.ok(s.started);
    assert.ok(
      s.multiaddrs.every((a) => a.startsWith('/ip4/127.0.0.1/tcp/') && a.endsWith(`/p2p/${s.peerId}`)),
    );

    // No token, wrong token: 401.
    for (const token of [undefined, 'wrong']) {
      try {
        await new ApiClient({ url: daemon.client.url, token }).status();
        assert.unreachable('served without a valid token');
      } catch (err) {
        assert.instance(err, ApiRequestError);
        assert.is((err as ApiRequestError).status, 401);
      }
    }

    // A second daemon on the same data dir is refused with a clear error; the first keeps running.
    const second = spawn(process.execPath, [BIN, 'daemon', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let secondErr = '';
    second.stderr.on('data', (d: Buffer) => (secondErr += d));
    const secondCode = await exitOf(second, 20_000).finally(() => second.kill('SIGKILL'));
    assert.is(secondCode, 1);
    assert.match(
      secondErr,
      `another peermpc daemon (pid ${daemon.child.pid}) is already running on data dir ${dir}`,
    );
    assert.is((await daemon.client.status()).peerId, daemon.peerId);

    // A bad CSV is refused, naming the row and the column; nothing is imported.
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'age,height\n31,170\n45,tall\n');
    const refused = await runCli(['dataset', 'add', bad, '--name', 'bad', '--data-dir', dir]);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, 'row 3, column "height": not a number');
    const good = join(dir, 'heights.csv');
    writeFileSync(good, 'age,height\n31,170\n45,182\n22,165\n');
    const added = await runCli([
      'dataset',
      'add',
      good,
      '--name',
      'heights',
      '--tags',
      'health',
      '--data-dir',
      dir,
    ]);
    assert.is(added.code, 0, added.stderr);
    const list = JSON.parse(
      (await runCli(['dataset', 'list', '--json', '--data-dir', dir])).stdout,
    ) as Array<{
      signed: { description: { name: string; rows: number } };
    }>;
    assert.equal(
      list.map((d) => [d.signed.description.name, d.signed.description.rows]),
      [['heights', 3]],
    );

    // Restart: same peer id, same datasets.
    const peerId = daemon.peerId;
    assert.is(await daemon.stop(), 0, daemon.output());
    assert.match(daemon.output(), 'peermpc:daemon:api GET /status 200');
    assert.not.match(daemon.output(), token);
    daemon = await startDaemonProcess(dir);
    assert.is(daemon.peerId, peerId);
    const after = await daemon.client.listDatasets();
    assert.equal(
      after.datasets.map((d) => d.signed.description.name),
      ['heights'],
    );

    // SIGTERM: exit 0, API address, token and lock files removed, CLI says no daemon.
    const code = await daemon.stop();
    assert.is(code, 0, daemon.output());
    for (const f of ['api.json', 'api-token', 'daemon.lock']) assert.not.ok(existsSync(join(dir, f)), f);
    assert.ok(existsSync(join(dir, 'config.json')));
    const none = await runCli(['status', '--data-dir', dir]);
    assert.is(none.code, 3);
    assert.match(none.stderr, 'no peermpc daemon is running');
  } finally {
    if (daemon !== undefined) await daemon.stop().catch(() => undefined);
    killAll();
  }
});

test('SIGINT also shuts down cleanly', async () => {
  const dir = tmpDataDir();
  dirs.push(dir);
  try {
    const daemon = await startDaemonProcess(dir);
    daemon.child.kill('SIGINT');
    assert.is(await exitOf(daemon.child, 20_000), 0, daemon.output());
    assert.not.ok(existsSync(join(dir, 'api.json')));
  } finally {
    killAll();
  }
});

test.after(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
