/**
 * The CLI's error reporting, through the real binary (issue 13): usage errors print one line naming
 * the option and the problem (a JSON object with --json) and exit 2; a daemon that refuses or drops
 * a request is named with its address and what to do; a daemon that is still starting is waited for
 * instead of being reported as not running.
 *
 * The daemons here are real control API servers (`startDaemon` with a fake peer) in child processes,
 * so a test can SIGKILL one in the middle of a request or hold one in its start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ApiClient,
  DaemonNotRunningError,
  DaemonStartingError,
  DaemonTimeoutError,
  DaemonUnavailableError,
} from '../../src/daemon/api/client.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { fakePeer } from '../node/daemon-fake-peer.js';
import { BIN, runCli, type CliResult } from '../cli-helpers.js';
import { describeThrown } from '../../src/cli/index.js';

const GUARD_MS = 60_000; // only so that a broken test fails instead of hanging
const dirs: string[] = [];
const children = new Set<ChildProcess>();

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'peermpc-cli-errors-'));
  dirs.push(d);
  return d;
}

interface JsonError {
  error: { name: string; message: string };
}

function jsonError(text: string): JsonError['error'] {
  const body = JSON.parse(text) as JsonError;
  assert.type(body.error?.name, 'string');
  assert.type(body.error?.message, 'string');
  return body.error;
}

/** The non-empty lines of `text`. */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** Resolves once `read()` matches `pattern`, re-checking whenever `child` writes; fails if it exits first. */
async function waitForText(
  child: ChildProcess,
  read: () => string,
  pattern: RegExp,
  what: string,
): Promise<void> {
  const deadline = Date.now() + GUARD_MS;
  while (!pattern.test(read())) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      if (!child.stdout!.readableEnded || !child.stderr!.readableEnded) await once(child, 'close');
      if (pattern.test(read())) return;
      throw new Error(`${what}: no ${pattern} in:\n${read()}`);
    }
    await new Promise<void>((resolve) => {
      const next = (): void => {
        clearTimeout(timer);
        child.stdout!.off('data', next);
        child.stderr!.off('data', next);
        child.off('exit', next);
        resolve();
      };
      const timer = setTimeout(next, 200);
      child.stdout!.on('data', next);
      child.stderr!.on('data', next);
      child.once('exit', next);
    });
  }
}

/** A CLI run whose stderr can be watched while it runs. */
function startCli(args: string[]): {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<CliResult>;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`peermpc ${args.join(' ')} did not finish\n${stdout}\n${stderr}`));
    }, GUARD_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, stderr: () => stderr, done };
}

/**
 * A real daemon (control API, lock, token, api.json) with a fake peer, in a child process.
 * `die-in-status`: the daemon SIGKILLs itself when `GET /status` reaches its peer, mid-request.
 * `hold-start`: the daemon holds its lock but does not finish starting until a line on stdin.
 */
function startDaemonChild(
  dataDir: string,
  mode: 'die-in-status' | 'hold-start',
): { child: ChildProcess; output: () => string } {
  const daemonUrl = new URL('../../src/daemon/daemon.ts', import.meta.url).href;
  const fakeUrl = new URL('../node/daemon-fake-peer.ts', import.meta.url).href;
  const code = `
    import { startDaemon } from ${JSON.stringify(daemonUrl)};
    import { fakePeer } from ${JSON.stringify(fakeUrl)};
    const [dataDir, mode] = process.argv.slice(1);
    await startDaemon({
      dataDir,
      createPeer: async (init) => {
        const peer = fakePeer(init);
        if (mode === 'die-in-status') {
          peer.status = () => {
            process.kill(process.pid, 'SIGKILL');
            throw new Error('unreachable');
          };
        } else {
          console.log('HOLDING');
          await new Promise((resolve) => process.stdin.once('data', resolve));
        }
        return peer;
      },
    });
    console.log('READY');
    setInterval(() => {}, 1 << 30);
  `;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', code, dataDir, mode],
    { env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  return { child, output: () => out };
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await once(child, 'exit');
}

// --- 1. usage errors -------------------------------------------------------------------------

test('a usage error a command throws is printed (was: nothing, exit 2)', async () => {
  const r = await runCli(['audit', 'verify', '--heads', 'x.json', '--data-dir', tmp()]);
  assert.is(r.code, 2);
  assert.equal(lines(r.stderr), ['error: --heads needs --offline (see: peermpc audit verify --help)']);
  assert.is(r.stdout, '');
});

test('job run --dataset garbage: one line naming the option, the form it expects and the value', async () => {
  // Without the fix: the daemon was looked for first (exit 3), and with one the error was silent.
  const r = await runCli(['job', 'run', '--stats', 'mean', '--dataset', 'garbage', '--data-dir', tmp()]);
  assert.is(r.code, 2, r.stderr);
  const out = lines(r.stderr);
  assert.is(out.length, 1, r.stderr);
  assert.match(out[0]!, /^error: option '--dataset <owner\/name\.\.\.>' argument 'garbage' is invalid\./);
  assert.match(out[0]!, 'expected <owner peer id>/<dataset name>');
  assert.match(out[0]!, 'got "garbage"');
  assert.match(out[0]!, '(see: peermpc job run --help)');
});

test('job run --dataset garbage with a daemon running: the same line (was: nothing at all, exit 2)', async () => {
  const dir = tmp();
  const d = await startDaemon({ dataDir: dir, createPeer: async (init) => fakePeer(init) });
  try {
    const r = await runCli(['job', 'run', '--stats', 'mean', '--dataset', 'garbage', '--data-dir', dir]);
    assert.is(r.code, 2, r.stderr);
    assert.is(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, "error: option '--dataset <owner/name...>' argument 'garbage' is invalid.");
  } finally {
    await d.stop();
  }
});

test('job run --dataset foo/bar: says the owner is not a peer id (was: a multibase library message)', async () => {
  const r = await runCli(['job', 'run', '--dataset', 'foo/bar', '--data-dir', tmp()]);
  assert.is(r.code, 2, r.stderr);
  assert.is(lines(r.stderr).length, 1, r.stderr);
  assert.match(r.stderr, `owner "foo" is not a peer id; expected <owner peer id>/<dataset name>`);
  assert.not.match(r.stderr, /multibase|base58|Non-base/i);
  const peerId = '12D3KooWGzMpb8oXPk5kDyZ5xrpSUGekAoLUpMwwFM1AhHC4ZXxn';
  const badName = await runCli(['job', 'run', '--dataset', `${peerId}/Bad Name`, '--data-dir', tmp()]);
  assert.is(badName.code, 2, badName.stderr);
  assert.match(badName.stderr, 'dataset name "Bad Name" is not valid');
  const program = await runCli(['job', 'run', '--dataset', `${peerId}/a`, 'prog.json', '-d', tmp()]);
  assert.is(program.code, 2, program.stderr);
  assert.match(program.stderr, 'a program file goes before --dataset');
});

test('a long or multi-line bad value is echoed bounded, on one line', async () => {
  const huge = 'x'.repeat(5000);
  const r = await runCli(['job', 'run', '--dataset', huge, '--data-dir', tmp()]);
  assert.is(r.code, 2, r.stderr);
  assert.is(lines(r.stderr).length, 1);
  assert.ok(r.stderr.length < 1000, `${r.stderr.length} characters`);
  assert.match(r.stderr, 'more characters)');
  const forged = await runCli(['job', 'run', '--dataset', 'a\nerror: forged\u001b[2J', '-d', tmp()]);
  assert.is(forged.code, 2);
  assert.is(lines(forged.stderr).length, 1, forged.stderr);
  assert.not.match(forged.stderr, '\u001b');
});

test('--json: a usage error is a JSON object {error: {name, message}}, exit 2', async () => {
  const r = await runCli(['job', 'run', '--dataset', 'garbage', '--json', '--data-dir', tmp()]);
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stdout, '');
  const e = jsonError(r.stderr);
  assert.is(e.name, 'UsageError');
  assert.match(e.message, "option '--dataset <owner/name...>' argument 'garbage' is invalid");
  const thrown = jsonError((await runCli(['audit', 'verify', '--heads', 'h', '--json', '-d', tmp()])).stderr);
  assert.equal(thrown, { name: 'UsageError', message: '--heads needs --offline' });
  const unknown = await runCli(['bogus', '--json']);
  assert.is(unknown.code, 2);
  assert.is(jsonError(unknown.stderr).name, 'UsageError');
});

test("commander's own errors are still one line with exit 2", async () => {
  const r = await runCli(['job', 'run', '--agg', 'median', '-d', tmp()]);
  assert.is(r.code, 2);
  assert.equal(lines(r.stderr), [
    "error: option '--agg <what>' argument 'median' is invalid. Allowed choices are count, sum, mean. (see: peermpc job run --help)",
  ]);
  const typo = await runCli(['sttaus']);
  assert.is(typo.code, 2);
  assert.equal(lines(typo.stderr), [
    "error: unknown command 'sttaus' (Did you mean status?) (see: peermpc --help)",
  ]);
});

// --- 2. a daemon that stops answering ---------------------------------------------------------

test('the daemon dies in the middle of a request: named with its address and what to do', async () => {
  const dir = tmp();
  const d = startDaemonChild(dir, 'die-in-status');
  await waitForText(d.child, d.output, /READY/, 'daemon start');
  const url = (JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as { url: string }).url;
  const r = await runCli(['status', '--data-dir', dir]);
  await exited(d.child);
  assert.is(d.child.signalCode, 'SIGKILL', 'the daemon died in the request');
  assert.is(r.code, 3, r.stderr);
  assert.not.match(r.stderr, 'fetch failed');
  assert.match(r.stderr, `the peermpc daemon at ${url} stopped answering`);
  assert.match(r.stderr, 'during GET /status');
  assert.match(r.stderr, `peermpc status --data-dir ${dir}`);
  assert.match(r.stderr, "the daemon's log");
  assert.is(lines(r.stderr).length, 1, r.stderr);
});

test('the daemon refuses the connection (api.json left, nothing listening): said so, exit 3', async () => {
  const dir = tmp();
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r)); // the port is now closed
  const url = `http://127.0.0.1:${port}`;
  // A live pid (this test's): the daemon is there as far as the files say, its port is not.
  writeFileSync(
    join(dir, 'api.json'),
    JSON.stringify({ url, pid: process.pid, peerId: 'x', startedAt: new Date(0).toISOString() }),
  );
  writeFileSync(join(dir, 'api-token'), 'secret\n', { mode: 0o600 });
  const r = await runCli(['status', '--data-dir', dir]);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, `the peermpc daemon at ${url} refused the connection (ECONNREFUSED)`);
  assert.match(r.stderr, `peermpc status --data-dir ${dir}`);
  assert.match(r.stderr, "the daemon's log");
  const j = await runCli(['status', '--json', '--data-dir', dir]);
  assert.is(j.code, 3);
  assert.is(jsonError(j.stderr).name, 'DaemonConnectionError');
});

// --- 3. a daemon that is starting -------------------------------------------------------------

test('a daemon that is starting is waited for, then answers (was: "no daemon running")', async () => {
  const dir = tmp();
  const d = startDaemonChild(dir, 'hold-start');
  try {
    await waitForText(d.child, d.output, /HOLDING/, 'daemon holding its start');
    assert.ok(existsSync(join(dir, 'daemon.lock')), 'the lock is taken');
    assert.not.ok(existsSync(join(dir, 'api.json')), 'api.json is not written yet');
    const cli = startCli(['status', '--data-dir', dir]);
    await waitForText(cli.child, cli.stderr, /is starting; waiting/, 'the CLI waiting');
    assert.match(cli.stderr(), `the peermpc daemon for data dir ${dir} (pid ${d.child.pid}) is starting`);
    d.child.stdin!.write('go\n'); // let the daemon finish starting
    const r = await cli.done;
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /peer id\s+12D3KooWFake/);
    assert.match(r.stdout, new RegExp(`pid\\s+${d.child.pid}`));
  } finally {
    d.child.kill('SIGKILL');
    await exited(d.child);
  }
});

test('a daemon that exits while starting: said so, exit 3', async () => {
  const dir = tmp();
  const d = startDaemonChild(dir, 'hold-start');
  await waitForText(d.child, d.output, /HOLDING/, 'daemon holding its start');
  const cli = startCli(['dataset', 'list', '--data-dir', dir]);
  await waitForText(cli.child, cli.stderr, /is starting; waiting/, 'the CLI waiting');
  d.child.kill('SIGKILL'); // dies in its start, leaving its lock behind
  await exited(d.child);
  const r = await cli.done;
  assert.is(r.code, 3, r.stderr);
  assert.match(
    r.stderr,
    `no peermpc daemon is running for data dir ${dir} (pid ${d.child.pid} exited while starting`,
  );
});

test('client: a daemon that does not finish starting within the wait is a DaemonStartingError', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'daemon.lock'), `${process.pid}\n`); // a live pid, never writing api.json
  const client = ApiClient.fromDataDir(dir, { startWaitMs: 300 });
  const err = await client.status().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, DaemonStartingError);
  assert.instance(err, DaemonUnavailableError);
  assert.match((err as Error).message, `(pid ${process.pid}) is starting`);
  assert.match((err as Error).message, join(dir, 'daemon.lock'));
  assert.throws(
    () => ApiClient.fromDataDir(dir, { startWaitMs: 0 }),
    (e: Error) => e instanceof DaemonStartingError,
  );
  // A lock whose owner is gone is a crashed daemon, not one starting.
  writeFileSync(join(dir, 'daemon.lock'), '999999999\n');
  assert.throws(
    () => ApiClient.fromDataDir(dir),
    (e: Error) => e instanceof DaemonNotRunningError && e.message.includes('no api.json'),
  );
});

test('client: a daemon that accepts a request and never answers is a DaemonTimeoutError', async () => {
  const server = createServer(() => undefined); // accepts, reads nothing, answers nothing
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const client = new ApiClient({ url, token: 't', timeoutMs: 200 });
    const err = await client.request('GET', '/datasets/search?term=secret').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(err, DaemonTimeoutError);
    assert.match((err as Error).message, `the peermpc daemon at ${url} did not answer GET /datasets/search`);
    assert.not.match((err as Error).message, 'secret', 'the query is not echoed');
  } finally {
    server.close();
  }
});

test.after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a thrown Event is described by its type and the error it carries, not as [object Event]', () => {
  assert.is(describeThrown(new Event('abort')), "unexpected 'abort' event");
  const e = Object.assign(new Event('close'), { error: new Error('Remote closed connection') });
  assert.is(describeThrown(e), "unexpected 'close' event: Remote closed connection");
  assert.is(describeThrown('plain'), 'plain');
});

test.run();
