/**
 * The control API client's typed failures: no daemon answers (not running, still starting, it
 * refused or dropped the connection), it did not answer in time, or it refused the request; and
 * the socket error codes that tell them apart.
 */
import { dataDirFile } from '../data-dir.js';

/** Socket error codes meaning the daemon's port has no listener. */
export const REFUSED_CODES = new Set(['ECONNREFUSED']);

/** Socket error codes meaning the daemon closed or reset the connection before it answered. */
export const CLOSED_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** Error codes of undici's own timeouts. */
export const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** `peermpc <command>` with the data directory's flag, for the advice in messages. */
function advise(command: string, dataDir: string | undefined): string {
  return dataDir === undefined ? `peermpc ${command}` : `peermpc ${command} --data-dir ${dataDir}`;
}

/**
 * No daemon answers for the data directory: not running, still starting, or its control API
 * refused or dropped the connection. The CLI exits with code 3 on any of these.
 */
export class DaemonUnavailableError extends Error {
  override name = 'DaemonUnavailableError';
}

/** There is no daemon for this data directory. */
export class DaemonNotRunningError extends DaemonUnavailableError {
  override name = 'DaemonNotRunningError';
  constructor(dataDir: string, detail: string) {
    super(
      `no peermpc daemon is running for data dir ${dataDir} (${detail}); start one with: peermpc daemon --data-dir ${dataDir}`,
    );
  }
}

/** The data directory's daemon holds its lock but has not opened its control API within the wait. */
export class DaemonStartingError extends DaemonUnavailableError {
  override name = 'DaemonStartingError';
  /** The pid in the data directory's lock file. */
  readonly pid: number;
  constructor(dataDir: string, pid: number, waitedMs: number) {
    super(
      `the peermpc daemon for data dir ${dataDir} (pid ${pid}) is starting, and its control API is ` +
        `not up yet${waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : ''}; retry in a moment, check the daemon's log ` +
        `(the output of peermpc daemon), or, if pid ${pid} is not a peermpc daemon, ` +
        `remove ${dataDirFile(dataDir, 'lock')}`,
    );
    this.pid = pid;
  }
}

/** What happened to a connection to the daemon. */
export type DaemonConnectionFailure = 'refused' | 'closed';

/** The daemon's control API refused the connection, or closed it before it answered. */
export class DaemonConnectionError extends DaemonUnavailableError {
  override name = 'DaemonConnectionError';
  /** The control API's base URL. */
  readonly url: string;
  /** `refused`: nothing listens there; `closed`: the daemon dropped a request it had accepted. */
  readonly failure: DaemonConnectionFailure;
  /** The socket error code, e.g. `ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`. */
  readonly code: string;
  constructor(
    url: string,
    failure: DaemonConnectionFailure,
    code: string,
    request: string,
    dataDir: string | undefined,
    options?: { cause?: unknown },
  ) {
    const check = `check it with: ${advise('status', dataDir)}, and see the daemon's log (the output of peermpc daemon)`;
    super(
      failure === 'refused'
        ? `the peermpc daemon at ${url} refused the connection (${code}): it has stopped or is stopping; ${check}`
        : `the peermpc daemon at ${url} stopped answering: it closed the connection during ${request} (${code}), ` +
            `so it may have crashed or been stopped, and the request may or may not have taken effect; ${check}`,
      options,
    );
    this.url = url;
    this.failure = failure;
    this.code = code;
  }
}

/** The daemon accepted a request but did not answer it within the request's time budget. */
export class DaemonTimeoutError extends Error {
  override name = 'DaemonTimeoutError';
  /** The control API's base URL. */
  readonly url: string;
  constructor(url: string, request: string, timeoutMs: number, dataDir: string | undefined) {
    super(
      `the peermpc daemon at ${url} did not answer ${request} within ${Math.round(timeoutMs / 1000)} s; ` +
        `it may be busy or hung: check it with: ${advise('status', dataDir)}, and see its log`,
    );
    this.url = url;
  }
}

/** The daemon answered with an error; `name` and `message` are the server's. */
export class ApiRequestError extends Error {
  /** HTTP status. */
  readonly status: number;
  constructor(status: number, name: string, message: string) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

/** The first `code` on `err` or its chain of causes (fetch puts the socket's under `cause`). */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (e as { errors?: unknown }).errors; // AggregateError of several attempts
    if (Array.isArray(inner) && inner.length > 0) {
      const first = errorCode(inner[0]);
      if (first !== undefined) return first;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
