/**
 * Finding a daemon that is starting: its data directory's lock names a live process, but it has not
 * written `api.json` yet; the client waits for it, a few seconds at most.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataDirFile } from '../data-dir.js';
import { readApiAddress, type ApiAddress } from '../api-file.js';
import { processAlive } from '../lock.js';
import { readToken } from '../token.js';
import { DaemonNotRunningError, DaemonStartingError } from './client-errors.js';

/** How long a client waits by default for a daemon that is starting (ms). */
export const DAEMON_START_WAIT_MS = 10_000;

/** How often a waiting client looks for `api.json` (ms). */
const START_POLL_MS = 100;

/** The pid in the data directory's lock file, if it holds one. */
export function lockPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(dataDirFile(dataDir, 'lock'), 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // no lock file (or unreadable): no daemon claims the directory
  }
}

/**
 * Waits until the starting daemon `pid` of `dataDir` has written `api.json` (with its token), at
 * most `waitMs`.
 *
 * @throws DaemonNotRunningError when `pid` exits first.
 * @throws DaemonStartingError when `waitMs` passes first.
 */
export async function waitForApi(
  dataDir: string,
  pid: number,
  waitMs: number,
): Promise<{ address: ApiAddress; token: string }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const address = readApiAddress(dataDirFile(dataDir, 'api'));
    if (address !== undefined && processAlive(address.pid))
      return { address, token: readToken(dataDirFile(dataDir, 'token')) };
    if (!processAlive(pid))
      throw new DaemonNotRunningError(dataDir, `pid ${pid} exited while starting; see its log`);
    if (Date.now() >= deadline) throw new DaemonStartingError(dataDir, pid, waitMs);
    await sleep(START_POLL_MS);
  }
}
