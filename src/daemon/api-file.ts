/**
 * `api.json` in the data directory: where a running daemon's control API listens.
 *
 * Written (atomically) once the daemon is ready, removed on shutdown; its presence is how the CLI
 * finds a daemon. It holds no secret (the token is in its own 0600 file).
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/** Contents of `api.json`. */
export interface ApiAddress {
  /** Base URL of the control API, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The daemon's process id. */
  pid: number;
  /** The daemon's peer id. */
  peerId: string;
  /** ISO 8601 start time. */
  startedAt: string;
}

/** Writes `address` to `path` atomically. */
export function writeApiAddress(path: string, address: ApiAddress): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(address, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** `api.json` exists but does not hold a control API address (not JSON, or no 127.0.0.1 URL). */
export class ApiAddressFileError extends Error {
  override readonly name = 'ApiAddressFileError';
  constructor(
    /** The file. */
    readonly path: string,
  ) {
    super(`${path} does not hold a valid control API address`);
  }
}

/**
 * Reads `api.json`; undefined when it does not exist.
 * @throws {ApiAddressFileError} when it exists but is not valid.
 */
export function readApiAddress(path: string): ApiAddress | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let v: Partial<ApiAddress> | null;
  try {
    v = JSON.parse(text) as Partial<ApiAddress> | null;
  } catch {
    throw new ApiAddressFileError(path);
  }
  if (typeof v?.url !== 'string' || !v.url.startsWith('http://127.0.0.1:'))
    throw new ApiAddressFileError(path);
  return v as ApiAddress;
}

/**
 * Removes `api.json` if it belongs to process `pid` (or unconditionally when `pid` is undefined).
 * An invalid file is not `pid`'s (the daemon writes it atomically): it is left alone, so a shutdown
 * still removes the token and releases the lock.
 */
export function removeApiAddress(path: string, pid?: number): void {
  try {
    if (pid !== undefined && readApiAddress(path)?.pid !== pid) return;
    unlinkSync(path);
  } catch (err) {
    if (err instanceof ApiAddressFileError) return;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
