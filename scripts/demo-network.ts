/**
 * A small local peermpc network of real daemons (child processes of `bin/peermpc.js daemon`, each
 * with its own temporary data directory, listening on 127.0.0.1), for the demo, the jobs tests and
 * the jobs benchmark. Every child is tracked; `stop()` ends them (SIGTERM, then SIGKILL) and
 * removes the directories, also when the parent is interrupted (see `cleanupOnSignals`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../src/daemon/api/client.js';
import type { JobsConfig } from '../src/jobs/service/config.js';

/** The package's CLI entry. */
export const BIN = fileURLToPath(new URL('../bin/peermpc.js', import.meta.url));

/** One daemon of the network. */
export interface DemoDaemon {
  /** Short name (e.g. `st-mary`, `scientist`). */
  name: string;
  /** Its data directory. */
  dataDir: string;
  /** The child process. */
  child: ChildProcess;
  /** Its peer id. */
  peerId: string;
  /** Its addresses (with /p2p/). */
  multiaddrs: string[];
  /** Its control API. */
  client: ApiClient;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL after `ms`; resolves when it exited. */
  stop(ms?: number): Promise<void>;
  /** SIGKILL at once (a crash). */
  kill(): Promise<void>;
}

/** Options of {@link startNetwork}. */
export interface NetworkOptions {
  /** Root of the data directories (default: a new temporary directory, removed by `stop`). */
  root?: string;
  /** Job service settings written to every daemon's `jobs/config.json`. */
  jobs?: Partial<JobsConfig>;
  /** Time to wait for one daemon to be ready (ms). Default 60 000. */
  readyMs?: number;
  /** Environment of the children. */
  env?: NodeJS.ProcessEnv;
}

/** A running network. */
export interface DemoNetwork {
  /** The root directory. */
  root: string;
  /** Daemons by name, in the order given. */
  daemons: DemoDaemon[];
  /** The daemon named `name`. */
  get(name: string): DemoDaemon;
  /** Stops every daemon and removes the root (when it created it). Idempotent. */
  stop(): Promise<void>;
}

/** Every daemon child started here and still running, and the roots created here. */
const liveChildren = new Set<ChildProcess>();
const ownedRoots = new Set<string>();

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function startDaemon(name: string, dataDir: string, options: NetworkOptions): Promise<DemoDaemon> {
  mkdirSync(join(dataDir, 'jobs'), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(dataDir, 'config.json'),
    JSON.stringify({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      allowPrivateAddresses: true,
      inboundConnectionThreshold: 100,
    }),
  );
  if (options.jobs !== undefined)
    writeFileSync(join(dataDir, 'jobs', 'config.json'), JSON.stringify(options.jobs));
  const child = spawn(process.execPath, [BIN, 'daemon', '--data-dir', dataDir], {
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const deadline = Date.now() + (options.readyMs ?? 60_000);
  const apiFile = join(dataDir, 'api.json');
  for (;;) {
    if (exited(child)) throw new Error(`daemon ${name} exited before it was ready:\n${out}`);
    if (existsSync(apiFile)) {
      try {
        if ((JSON.parse(readFileSync(apiFile, 'utf8')) as { pid?: number }).pid === child.pid) break;
      } catch {
        // being written
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon ${name} not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const client = ApiClient.fromDataDir(dataDir, { timeoutMs: 120_000 });
  const status = await client.status();
  return {
    name,
    dataDir,
    child,
    peerId: status.peerId,
    multiaddrs: status.multiaddrs,
    client,
    output: () => out,
    async stop(ms = 10_000) {
      if (exited(child)) return;
      child.kill('SIGTERM');
      if (!(await waitExit(child, ms))) {
        child.kill('SIGKILL');
        await waitExit(child, 5_000);
      }
    },
    async kill() {
      if (exited(child)) return;
      child.kill('SIGKILL');
      await waitExit(child, 5_000);
    },
  };
}

/**
 * Starts one daemon per name (in parallel) and connects each to the first, so that they form one
 * DHT. On failure, stops whatever started.
 */
export async function startNetwork(
  names: readonly string[],
  options: NetworkOptions = {},
): Promise<DemoNetwork> {
  const ownRoot = options.root === undefined;
  const root = options.root ?? mkdtempSync(join(tmpdir(), 'peermpc-demo-'));
  if (ownRoot) ownedRoots.add(root);
  const started: DemoDaemon[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await Promise.all(started.map((d) => d.stop().catch(() => undefined)));
      if (ownRoot) {
        rmSync(root, { recursive: true, force: true });
        ownedRoots.delete(root);
      }
    })();
    return stopped;
  };
  try {
    const results = await Promise.allSettled(names.map((n) => startDaemon(n, join(root, n), options)));
    for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    const [first, ...rest] = started;
    await Promise.all(rest.map((d) => d.client.connect(first!.multiaddrs[0]!)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    root,
    daemons: started,
    get(name) {
      const d = started.find((x) => x.name === name);
      if (d === undefined) throw new Error(`no daemon named ${name}`);
      return d;
    },
    stop,
  };
}

/** The outcome of one CLI run. */
export interface CliRun {
  /** Exit code. */
  code: number | null;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Runs `peermpc <args>` as a person would; resolves when it exits (killed after `timeoutMs`). */
export function peermpc(
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, FORCE_COLOR: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`peermpc ${args[0] ?? ''} did not finish in time`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Kills every daemon started here (SIGTERM, SIGKILL after `ms`) and removes the temporary roots.
 * For interrupts, when a network may be half started.
 */
export async function cleanupAll(ms = 5_000): Promise<void> {
  const children = [...liveChildren];
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(
    children.map(async (c) => {
      if (!(await waitExit(c, ms))) {
        c.kill('SIGKILL');
        await waitExit(c, 2_000);
      }
    }),
  );
  for (const r of ownedRoots) rmSync(r, { recursive: true, force: true });
  ownedRoots.clear();
}

/**
 * On SIGINT or SIGTERM: calls `onSignal`, cleans up everything started here ({@link cleanupAll}),
 * and exits with 130. Returns a function that removes the handlers.
 */
export function cleanupOnSignals(onSignal?: () => void): () => void {
  let once = false;
  const handler = (): void => {
    if (once) return;
    once = true;
    onSignal?.();
    void cleanupAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
