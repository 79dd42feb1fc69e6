/**
 * One daemon per data directory: a lock file holding the owner's pid.
 *
 * The lock is created exclusively; a lock left by a process that no longer runs is stale and taken
 * over. A second daemon on a directory whose owner still runs is refused with an error saying which
 * pid holds it.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

/** Another live process holds the data directory. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  /** The pid recorded in the lock file. */
  readonly pid: number;
  constructor(dataDir: string, pid: number, lockPath: string) {
    super(
      `another peermpc daemon (pid ${pid}) is already running on data dir ${dataDir}; ` +
        `stop it, or use another --data-dir (if pid ${pid} is not a peermpc daemon, remove ${lockPath})`,
    );
    this.pid = pid;
  }
}

/** True when a process with this pid exists (signal 0 probes without signalling). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A held lock; `release` removes the file if it is still ours. */
export interface DataDirLock {
  /** Removes the lock file; idempotent. */
  release(): void;
}

/**
 * Takes the lock at `lockPath` for this process.
 *
 * @throws DataDirLockedError when a live process holds it.
 */
export function acquireLock(dataDir: string, lockPath: string): DataDirLock {
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = readPid(lockPath);
      const live = pid !== undefined && processAlive(pid);
      // A second EEXIST means another daemon took the stale lock at the same moment.
      if (live || attempt > 0) throw new DataDirLockedError(dataDir, pid ?? 0, lockPath);
      rmIfExists(lockPath); // stale: its owner is gone
    }
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (readPid(lockPath) === process.pid) rmIfExists(lockPath);
    },
  };
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) ? pid : undefined;
  } catch {
    return undefined; // missing or unreadable: no pid to report
  }
}

function rmIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
