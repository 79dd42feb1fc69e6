/**
 * The control API client used by the CLI (and by tests and scripts).
 *
 * `ApiClient.fromDataDir(dir)` finds the daemon of a data directory through its `api.json` and
 * token file; when the directory's lock names a live process but `api.json` is not written yet, the
 * daemon is starting and the client waits for it (a few seconds) before its first request.
 * Failures are typed: a {@link DaemonUnavailableError} when no daemon answers (not running, still
 * starting, or it refused or dropped the connection), {@link DaemonTimeoutError} when it did not
 * answer in time, {@link ApiRequestError} (with the server's error name, message and status) when
 * the daemon refused a request.
 */
import { boundText } from '../../util/bound.js';
import { dataDirFile } from '../data-dir.js';
import { readApiAddress } from '../api-file.js';
import { processAlive } from '../lock.js';
import { readToken } from '../token.js';
import {
  ApiRequestError,
  CLOSED_CODES,
  DaemonConnectionError,
  DaemonNotRunningError,
  DaemonStartingError,
  DaemonTimeoutError,
  errorCode,
  REFUSED_CODES,
  TIMEOUT_CODES,
} from './client-errors.js';
import { DAEMON_START_WAIT_MS, lockPid, waitForApi } from './client-start.js';
import type { ApiErrorBody } from './errors.js';
import type { StatusResponse } from './routes/status.js';
import type { ConsoleCodeResponse } from './routes/console.js';
import type { ConnectResponse, PeersResponse, PingResponse } from './routes/peers.js';
import type { DatasetListResponse, DatasetRemoveResponse } from './routes/datasets.js';
import type {
  AccessLists,
  DatasetSearchResult,
  DatasetUpdate,
  LocalDataset,
  SignedDatasetDescription,
} from '../../node/types.js';

// the failures and the start-up wait live in their own files; importers of client.ts keep working
export * from './client-errors.js';
export { DAEMON_START_WAIT_MS } from './client-start.js';

/** Options of a request. */
export interface RequestOptions {
  /** Aborts the request. */
  signal?: AbortSignal;
  /** Time budget in ms (0: none). Default: the client's. */
  timeoutMs?: number;
}

/** Options of {@link ApiClient}. */
export interface ApiClientInit {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Bearer token; omit only to test that the server refuses. */
  token?: string;
  /** Default time budget of a request in ms (0: none). Default 130 000. */
  timeoutMs?: number;
  /** The data directory, for error messages. */
  dataDir?: string;
}

/** What `datasets.add` sends: paths must be absolute (the daemon reads them). */
export interface AddDatasetRequest {
  /** Absolute path of the CSV file. */
  csvPath: string;
  /** Dataset name. */
  name: string;
  /** Free text. */
  description?: string;
  /** Tags. */
  tags?: string[];
  /** Absolute path of a CSV of mock rows. */
  mockPath?: string;
  /** Declared magnitude bounds by column (e with |x| <= 2^e, each at least the data's). */
  magnitudes?: Record<string, number>;
  /**
   * Declared public bounds by column ([lo, hi], lo < hi): every value of the column must lie
   * within; a bounded column publishes the magnitude of its bounds.
   */
  bounds?: Record<string, [number, number]>;
  /** Synthetic mock rows to publish (default none: they disclose approximate ranges and means). */
  mockRows?: number;
  /** Replace an existing dataset of that name. */
  replace?: boolean;
}

/** Options of a dataset search. */
export interface SearchRequestOptions extends RequestOptions {
  /** Search by name, tag, or both (default). */
  by?: 'name' | 'tag' | 'any';
  /** The daemon's search budget in ms. */
  searchTimeoutMs?: number;
  /** Only names (or tags) equal to the term (DatasetSearchOptions.exact). */
  exact?: boolean;
}

/** Options of {@link ApiClient.fromDataDir}. */
export interface FromDataDirOptions {
  /** Default time budget of a request in ms (0: none). Default 130 000. */
  timeoutMs?: number;
  /**
   * How long the first request waits for a daemon that is starting (its lock is held by a live
   * process, `api.json` is not written yet), in ms. Default {@link DAEMON_START_WAIT_MS}; 0 fails at once.
   */
  startWaitMs?: number;
  /** Called once, when a request starts waiting for a starting daemon (`pid`: the lock's). */
  onStarting?: (pid: number, waitMs: number) => void;
}

/** A typed client of the control API. */
export class ApiClient {
  private base: string;
  private token: string | undefined;
  private readonly timeoutMs: number;
  private readonly dataDir: string | undefined;
  /** For a daemon that is starting: resolves once its control API is up (run on first use). */
  private starting: (() => Promise<void>) | undefined;
  private ready: Promise<void> | undefined;

  constructor(init: ApiClientInit) {
    this.base = init.url.replace(/\/+$/, '');
    this.token = init.token;
    this.timeoutMs = init.timeoutMs ?? 130_000;
    this.dataDir = init.dataDir;
  }

  /** The base URL (empty while waiting for a daemon that is starting). */
  get url(): string {
    return this.base;
  }

  /**
   * A client for the daemon running on `dataDir`. When the daemon is starting (the directory's lock
   * names a live process but `api.json` is not written yet) the client is returned at once and its
   * first request waits up to `options.startWaitMs` for the control API.
   *
   * @throws DaemonNotRunningError when the directory has no live daemon.
   * @throws DaemonStartingError when it is starting and `startWaitMs` is 0.
   * @throws TokenFileError when the token file is missing or too open.
   * @throws ApiAddressFileError when `api.json` is not a valid address.
   */
  static fromDataDir(dataDir: string, options: FromDataDirOptions = {}): ApiClient {
    const address = readApiAddress(dataDirFile(dataDir, 'api'));
    const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
    if (address !== undefined && processAlive(address.pid)) {
      const token = readToken(dataDirFile(dataDir, 'token'));
      return new ApiClient({ url: address.url, token, dataDir, ...timeout });
    }
    // A live process holding the lock without a (live) api.json is a daemon that is still starting.
    const pid = lockPid(dataDir);
    if (pid === undefined || pid === address?.pid || !processAlive(pid)) {
      throw new DaemonNotRunningError(
        dataDir,
        address === undefined ? 'no api.json' : `api.json names pid ${address.pid}, which is not running`,
      );
    }
    const waitMs = options.startWaitMs ?? DAEMON_START_WAIT_MS;
    if (waitMs <= 0) throw new DaemonStartingError(dataDir, pid, 0);
    const client = new ApiClient({ url: '', dataDir, ...timeout });
    client.starting = async () => {
      options.onStarting?.(pid, waitMs);
      const up = await waitForApi(dataDir, pid, waitMs);
      client.base = up.address.url.replace(/\/+$/, '');
      client.token = up.token;
    };
    return client;
  }

  /**
   * Sends one request; resolves with the parsed JSON body of a 2xx response.
   *
   * @throws ApiRequestError when the daemon answered with an error.
   * @throws DaemonConnectionError when the daemon refused the connection or dropped it unanswered.
   * @throws DaemonTimeoutError when it did not answer within the time budget.
   * @throws DaemonStartingError / DaemonNotRunningError when a starting daemon did not come up.
   */
  async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    if (this.starting !== undefined) await (this.ready ??= this.starting());
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const signals = timeout === undefined ? [] : [timeout];
    if (options.signal !== undefined) signals.push(options.signal);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    // Only the route, bounded: a query or a path segment may hold a user's text.
    const request = `${method} ${boundText(path.split('?')[0] ?? '', 100)}`;
    const failed = (err: unknown, phase: 'connect' | 'response'): unknown => {
      if (options.signal?.aborted === true) return err; // the caller's abort: theirs to report
      if (timeout?.aborted === true)
        return new DaemonTimeoutError(this.base, request, timeoutMs, this.dataDir);
      const code = errorCode(err);
      if (code === undefined) return err;
      if (TIMEOUT_CODES.has(code)) return new DaemonTimeoutError(this.base, request, timeoutMs, this.dataDir);
      // A refusal after the connection was open (a reset while reading) is a drop, not a refusal.
      if (REFUSED_CODES.has(code) && phase === 'connect')
        return new DaemonConnectionError(this.base, 'refused', code, request, this.dataDir, { cause: err });
      if (CLOSED_CODES.has(code) || REFUSED_CODES.has(code))
        return new DaemonConnectionError(this.base, 'closed', code, request, this.dataDir, { cause: err });
      return err;
    };
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      throw failed(err, 'connect');
    }
    try {
      text = await res.text();
    } catch (err) {
      throw failed(err, 'response');
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ApiRequestError(
        res.status,
        'InvalidResponseError',
        `the daemon sent a non-JSON response (${res.status})`,
      );
    }
    if (!res.ok) {
      const e = (parsed as Partial<ApiErrorBody> | undefined)?.error;
      throw new ApiRequestError(res.status, e?.name ?? 'HttpError', e?.message ?? `HTTP ${res.status}`);
    }
    return parsed as T;
  }

  /** `GET /status`. */
  status(options?: RequestOptions): Promise<StatusResponse> {
    return this.request('GET', '/status', undefined, options);
  }

  /** `GET /peers`. */
  peers(options?: RequestOptions): Promise<PeersResponse> {
    return this.request('GET', '/peers', undefined, options);
  }

  /** `POST /peers/connect`: dials a multiaddr or peer id. */
  connect(target: string, options?: RequestOptions): Promise<ConnectResponse> {
    return this.request('POST', '/peers/connect', { target }, options);
  }

  /** `POST /peers/ping`. */
  ping(target: string, options?: RequestOptions): Promise<PingResponse> {
    return this.request('POST', '/peers/ping', { target }, options);
  }

  /** `GET /access`: the allow and deny lists. */
  access(options?: RequestOptions): Promise<AccessLists> {
    return this.request('GET', '/access', undefined, options);
  }

  /** `POST /access/allow|deny|clear`: changes the lists; resolves with the new lists. */
  changeAccess(
    action: 'allow' | 'deny' | 'clear',
    peerIds: string[],
    options?: RequestOptions,
  ): Promise<AccessLists> {
    return this.request('POST', `/access/${action}`, { peerIds }, options);
  }

  /** `GET /datasets`: local datasets. */
  listDatasets(options?: RequestOptions): Promise<DatasetListResponse> {
    return this.request('GET', '/datasets', undefined, options);
  }

  /** `POST /datasets`: imports and advertises a dataset. */
  addDataset(input: AddDatasetRequest, options?: RequestOptions): Promise<LocalDataset> {
    return this.request('POST', '/datasets', input, options);
  }

  /**
   * `PATCH /datasets/:name`: new tags, description and/or column bounds (null removes a column's)
   * for a local dataset.
   */
  updateDataset(name: string, change: DatasetUpdate, options?: RequestOptions): Promise<LocalDataset> {
    return this.request('PATCH', `/datasets/${encodeURIComponent(name)}`, change, options);
  }

  /** `GET /datasets/search`. */
  searchDatasets(term: string, options: SearchRequestOptions = {}): Promise<DatasetSearchResult> {
    const q = new URLSearchParams({ term });
    if (options.by !== undefined) q.set('by', options.by);
    if (options.exact === true) q.set('exact', 'true');
    if (options.searchTimeoutMs !== undefined) q.set('timeoutMs', String(options.searchTimeoutMs));
    return this.request('GET', `/datasets/search?${q}`, undefined, options);
  }

  /** `GET /datasets/:owner/:name`: a verified description from its owner. */
  showDataset(owner: string, name: string, options?: RequestOptions): Promise<SignedDatasetDescription> {
    return this.request(
      'GET',
      `/datasets/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`,
      undefined,
      options,
    );
  }

  /** `DELETE /datasets/:name`. */
  removeDataset(name: string, options?: RequestOptions): Promise<DatasetRemoveResponse> {
    return this.request('DELETE', `/datasets/${encodeURIComponent(name)}`, undefined, options);
  }

  /** `POST /console/codes`: a one-time login code for the owner's console and its login URL. */
  consoleCode(options?: RequestOptions): Promise<ConsoleCodeResponse> {
    return this.request('POST', '/console/codes', undefined, options);
  }
}
