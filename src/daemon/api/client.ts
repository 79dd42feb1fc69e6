/**
 * The control API client used by the CLI (and by tests and scripts).
 *
 * `ApiClient.fromDataDir(dir)` finds the daemon of a data directory through its `api.json` and
 * token file. Failures are typed: {@link DaemonNotRunningError} when there is no daemon to talk to,
 * {@link ApiRequestError} (with the server's error name, message and status) when the daemon
 * refused a request.
 */
import { dataDirFile } from '../data-dir.js';
import { readApiAddress } from '../api-file.js';
import { processAlive } from '../lock.js';
import { readToken } from '../token.js';
import type { ApiErrorBody } from './errors.js';
import type { StatusResponse } from './routes/status.js';
import type { ConnectResponse, PeersResponse, PingResponse } from './routes/peers.js';
import type { DatasetListResponse, DatasetRemoveResponse } from './routes/datasets.js';
import type {
  AccessLists,
  DatasetSearchResult,
  LocalDataset,
  SignedDatasetDescription,
} from '../../node/types.js';

/** There is no daemon for this data directory, or it does not answer. */
export class DaemonNotRunningError extends Error {
  override name = 'DaemonNotRunningError';
  constructor(dataDir: string, detail: string) {
    super(
      `no peermpc daemon is running for data dir ${dataDir} (${detail}); start one with: peermpc daemon --data-dir ${dataDir}`,
    );
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
}

/** A typed client of the control API. */
export class ApiClient {
  /** The base URL. */
  readonly url: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly dataDir: string | undefined;

  constructor(init: ApiClientInit) {
    this.url = init.url.replace(/\/+$/, '');
    this.token = init.token;
    this.timeoutMs = init.timeoutMs ?? 130_000;
    this.dataDir = init.dataDir;
  }

  /**
   * A client for the daemon running on `dataDir`.
   *
   * @throws DaemonNotRunningError when the directory has no live daemon.
   * @throws TokenFileError when the token file is missing or too open.
   */
  static fromDataDir(dataDir: string, options: { timeoutMs?: number } = {}): ApiClient {
    const address = readApiAddress(dataDirFile(dataDir, 'api'));
    if (address === undefined) throw new DaemonNotRunningError(dataDir, 'no api.json');
    if (!processAlive(address.pid)) {
      throw new DaemonNotRunningError(dataDir, `api.json names pid ${address.pid}, which is not running`);
    }
    const token = readToken(dataDirFile(dataDir, 'token'));
    return new ApiClient({ url: address.url, token, dataDir, ...options });
  }

  /** Sends one request; resolves with the parsed JSON body of a 2xx response. */
  async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const signals = timeoutMs > 0 ? [AbortSignal.timeout(timeoutMs)] : [];
    if (options.signal !== undefined) signals.push(options.signal);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'ECONNREFUSED' || code === 'ECONNRESET') {
        throw new DaemonNotRunningError(this.dataDir ?? this.url, `${this.url} refused the connection`);
      }
      throw err;
    }
    const text = await res.text();
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

  /** `GET /datasets/search`. */
  searchDatasets(term: string, options: SearchRequestOptions = {}): Promise<DatasetSearchResult> {
    const q = new URLSearchParams({ term });
    if (options.by !== undefined) q.set('by', options.by);
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
}
