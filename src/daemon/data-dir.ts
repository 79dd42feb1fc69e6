/**
 * The data directory: where a daemon keeps its config, identity, state, API address and token.
 *
 * Every command takes `--data-dir`; without it the `PEERMPC_HOME` environment variable, then
 * `~/.peermpc`. Several daemons on one machine simply use several data directories.
 */
import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Names of the files the daemon and CLI share inside a data directory. */
export const DATA_DIR_FILES = {
  /** The JSON config written by `peermpc init`. */
  config: 'config.json',
  /** Written by a running daemon: where its control API listens (removed on shutdown). */
  api: 'api.json',
  /** The control API's bearer token, mode 0600, created at daemon start. */
  token: 'api-token',
  /** Holds the pid of the daemon that owns this directory. */
  lock: 'daemon.lock',
} as const;

/** Resolves the data directory: the flag, else `PEERMPC_HOME`, else `~/.peermpc`; always absolute. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return resolve(flag);
  const fromEnv = env.PEERMPC_HOME;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return join(homedir(), '.peermpc');
}

/** The path of one of the shared files inside `dataDir`. */
export function dataDirFile(dataDir: string, file: keyof typeof DATA_DIR_FILES): string {
  return join(dataDir, DATA_DIR_FILES[file]);
}

/**
 * Creates `dataDir` (mode 0700) if missing.
 *
 * @throws Error when the path exists and is not a directory.
 */
export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!statSync(dataDir).isDirectory()) throw new Error(`data dir ${dataDir} is not a directory`);
}
