/**
 * Crash-safe synchronous file writes of the audit log (the log appends synchronously, so a crash
 * never leaves an action without its entry): a temporary file next to the target, fsynced, renamed
 * over it, then the directory fsynced. Also the removal of temporary files a crash left behind, and
 * reading a log file whole.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { AuditLogError } from '../errors.js';

/** The suffix of every temporary file written here. */
export const TMP_SUFFIX = '.tmp';

/**
 * Atomically replaces `path` with `data` (mode 0600). `durable: false` skips the directory fsync:
 * after a crash the file may then hold its previous content (never a partial one).
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, durable = true): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  if (durable) fsyncDir(dirname(path));
}

/** Fsyncs a directory (so a rename in it survives a crash); a no-op where that is not supported. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows and some file systems cannot fsync a directory
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Removes the temporary files a crash left in `dir` whose names start with `prefix` and end with
 * `.tmp`. Returns how many.
 */
export function removeStaleTemps(dir: string, prefix: string): number {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return 0;
  }
  let n = 0;
  for (const f of files) {
    if (f.startsWith(prefix) && f.endsWith(TMP_SUFFIX)) {
      rmSync(join(dir, f), { force: true });
      n++;
    }
  }
  return n;
}

/**
 * The text of the log file at `path` ('' when there is none).
 * @throws AuditLogError when it exists but cannot be read.
 */
export function readLogText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new AuditLogError(`cannot read the audit log ${path}: ${(err as Error).message}`, { cause: err });
  }
}
