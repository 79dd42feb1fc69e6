/**
 * peermpc daemons inside the lab: one per host, started in the host's namespace from this
 * checkout's bin/peermpc.js with its own data directory, and driven through the CLI run in the
 * same namespace (a daemon's control API listens on its namespace's 127.0.0.1 only).
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab.js';

/** The CLI. */
export const BIN = fileURLToPath(new URL('../../bin/peermpc.js', import.meta.url));

/** The libp2p port every lab daemon listens on. */
export const LAB_P2P_PORT = 7341;

/** How a lab daemon is configured. */
export interface LabDaemonOptions {
  /** Serve as a relay. */
  relay?: boolean;
  /** `public` for hosts on the public network; sites learn theirs (`auto`). */
  reachability?: 'auto' | 'public' | 'private';
  /** Bootstrap multiaddrs. */
  bootstrap?: string[];
  /** Peer ids to deny. */
  deny?: string[];
}

/** A daemon running in a lab host. */
export interface LabDaemon {
  /** The host. */
  readonly host: string;
  /** Its data directory (on the host's file system, shared by all namespaces). */
  readonly dataDir: string;
  /** Its peer id. */
  readonly peerId: string;
  /** Its address on its own network, with `/p2p`. */
  readonly addr: string;
  /** The daemon process. */
  readonly child: ChildProcess;
  /** Runs `peermpc <args> --data-dir <dir> --json` in the host's namespace; resolves with the parsed output. */
  cli<T = unknown>(args: readonly string[], timeoutMs?: number): Promise<T>;
  /** What the daemon printed. */
  output(): string;
}

/** Where the lab's data directories go. */
export function labDataRoot(lab: Lab): string {
  return join(tmpdir(), `peermpc-netlab-${lab.prefix.replace(/-$/, '')}`);
}

/** Starts a daemon on `host` and waits until its control API answers. */
export async function startLabDaemon(
  lab: Lab,
  host: string,
  options: LabDaemonOptions = {},
): Promise<LabDaemon> {
  const dataDir = join(labDataRoot(lab), host);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(dataDir, 'config.json'),
    JSON.stringify({
      listen: [`/ip4/0.0.0.0/tcp/${LAB_P2P_PORT}`],
      bootstrap: options.bootstrap ?? [],
      allowPrivateAddresses: true,
      inboundConnectionThreshold: 100,
      relay: options.relay === true,
      reachability: options.reachability ?? 'auto',
      deny: options.deny ?? [],
    }),
  );
  const child = lab.spawn(host, process.execPath, [BIN, 'daemon', '--data-dir', dataDir], {
    env: {
      ...process.env,
      FORCE_COLOR: '0',
      ...(process.env.NETLAB_DEBUG ? { DEBUG: process.env.NETLAB_DEBUG } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // NETLAB_LOG_DIR: each daemon's whole output also goes to <dir>/<lab prefix><host>.log
  const logDir = process.env.NETLAB_LOG_DIR;
  const logFile = logDir === undefined ? undefined : join(logDir, `${lab.prefix}${host}.log`);
  const take = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20_000);
    if (logFile !== undefined) appendFileSync(logFile, d);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const apiFile = join(dataDir, 'api.json');
  const deadline = Date.now() + 60_000;
  const ready = (): boolean => {
    try {
      return (JSON.parse(readFileSync(apiFile, 'utf8')) as { pid?: number }).pid === child.pid;
    } catch {
      return false; // not there yet, or being written
    }
  };
  while (!ready()) {
    if (child.exitCode !== null) throw new Error(`daemon on ${host} exited:\n${out}`);
    if (Date.now() > deadline) throw new Error(`daemon on ${host} not ready in 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const cli = async <T>(args: readonly string[], timeoutMs = 120_000): Promise<T> => {
    const stdout = await lab.exec(host, process.execPath, [BIN, ...args, '--data-dir', dataDir, '--json'], {
      timeoutMs,
    });
    return JSON.parse(stdout) as T;
  };
  const { peerId } = await cli<{ peerId: string }>(['status']);
  return {
    host,
    dataDir,
    peerId,
    addr: `/ip4/${lab.address(host)}/tcp/${LAB_P2P_PORT}/p2p/${peerId}`,
    child,
    cli,
    output: () => out,
  };
}

/** Polls `cond` every 250 ms until it holds; throws naming `what` after `ms`. */
export async function until(what: string, cond: () => Promise<boolean>, ms = 60_000): Promise<number> {
  const t0 = Date.now();
  let polls = 0;
  let lastError: string | undefined;
  const check = (): Promise<boolean> => {
    polls++;
    return cond().catch((err: Error) => {
      lastError = err.message.slice(0, 500);
      return false;
    });
  };
  while (!(await check())) {
    if (Date.now() - t0 > ms) {
      const last = lastError === undefined ? '' : `; the last failed poll: ${lastError}`;
      throw new Error(`timed out after ${ms} ms (${polls} polls) waiting for ${what}${last}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return Date.now() - t0;
}
