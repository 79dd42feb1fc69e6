/**
 * Real daemons as child processes (`node bin/peermpc.js daemon`) on 127.0.0.1, for the daemon tests.
 * Every daemon started here is tracked so `killAll` can SIGKILL whatever a failed test left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/daemon/api/client.js';
import { BIN } from '../cli-helpers.js';

/** A daemon child process. */
export interface DaemonProcess {
  /** Its data directory. */
  dataDir: string;
  /** The child. */
  child: ChildProcess;
  /** Its peer id. */
  peerId: string;
  /** Its libp2p addresses (with /p2p/). */
  multiaddrs: string[];
  /** A control API client. */
  client: ApiClient;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

const live = new Set<ChildProcess>();

/** A fresh temporary data directory. */
export function tmpDataDir(prefix = 'peermpc-daemon-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Resolves with the exit code of `child` (or null when killed by a signal); rejects after `timeoutMs`. */
export function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`process ${child.pid} did not exit in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * Starts `peermpc daemon --data-dir <dataDir> --listen /ip4/127.0.0.1/tcp/0 --allow-private-addresses`
 * plus `args`, and resolves once its control API answers.
 */
export async function startDaemonProcess(
  dataDir: string,
  args: string[] = [],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<DaemonProcess> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(
    process.execPath,
    [
      BIN,
      'daemon',
      '--data-dir',
      dataDir,
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--allow-private-addresses',
      ...args,
    ],
    { env: { ...process.env, FORCE_COLOR: '0', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const deadline = Date.now() + timeoutMs;
  const apiFile = join(dataDir, 'api.json');
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`daemon exited with ${child.exitCode} before it was ready:\n${out}`);
    if (existsSync(apiFile)) {
      const api = JSON.parse(readFileSync(apiFile, 'utf8')) as { pid: number };
      if (api.pid === child.pid) break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon not ready in ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const client = ApiClient.fromDataDir(dataDir, { timeoutMs: 30_000 });
  const status = await client.status();
  return {
    dataDir,
    child,
    peerId: status.peerId,
    multiaddrs: status.multiaddrs,
    client,
    output: () => out,
    async stop(stopTimeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      try {
        return await exitOf(child, stopTimeoutMs);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
    },
  };
}

/** SIGKILLs every daemon child still running (for `finally` blocks and `test.after`). */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/** Retries `fn` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${timeoutMs} ms${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
