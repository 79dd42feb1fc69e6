/**
 * The control API's HTTP server: 127.0.0.1 only, bearer token, JSON in and out.
 *
 * Every request must carry `Authorization: Bearer <token>` (compared in constant time); bodies
 * must be JSON and at most `maxBodyBytes`; every handler gets an AbortSignal that fires when the
 * client goes away, after `handlerTimeoutMs`, or when the server closes. Errors are sent as
 * `{ error: { name, message } }` with a status from {@link statusOf}. The log shows method, path,
 * status and duration: never the token, a body or a data value.
 *
 * A {@link WebMount} (the owner's console under `/ui`) answers its own paths before the bearer
 * check, with its own authentication (a session cookie); everything else needs the token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { logger } from '../../util/log.js';
import { listenLoopback, loopbackPort, trackSockets } from '../loopback-http.js';
import { tokensEqual } from '../token.js';
import {
  BadRequestError,
  PayloadTooLargeError,
  ShuttingDownError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  errorBody,
  statusOf,
  MethodNotAllowedError,
} from './errors.js';
import { RouteResponse, type Router } from './router.js';

const log = logger('daemon:api');

/**
 * Paths the server hands over whole, before the bearer token is checked: the mount authenticates
 * its requests itself. An error it throws before sending anything is sent as the API's JSON error.
 */
export interface WebMount {
  /** True when the mount answers `path` (e.g. `/ui` and everything under it). */
  owns(path: string): boolean;
  /** Answers one request; `signal` fires when the client goes away or the server closes. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, signal: AbortSignal): Promise<void>;
}

/** Options of {@link ApiServer}. */
export interface ApiServerInit {
  /** The routes. */
  router: Router;
  /** The bearer token clients must present. */
  token: string;
  /** Largest request body in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Time budget of one handler in ms. Default 120 000. */
  handlerTimeoutMs?: number;
  /** Paths answered with their own authentication (the console); none by default. */
  mounts?: WebMount[];
}

/** The control API server; see the module comment. */
export class ApiServer {
  private readonly server: Server;
  private readonly init: Required<ApiServerInit>;
  private readonly closing = new AbortController();
  private readonly sockets: Set<Socket>;

  constructor(init: ApiServerInit) {
    this.init = { maxBodyBytes: 1024 * 1024, handlerTimeoutMs: 120_000, mounts: [], ...init };
    this.server = createServer((req, res) => void this.handle(req, res));
    this.sockets = trackSockets(this.server);
    // Receiving a request (headers and body) is bounded; handlers are bounded by their own signal.
    this.server.requestTimeout = 60_000;
  }

  /** Listens on 127.0.0.1:`port` (0 picks a free port); resolves with the base URL. */
  async listen(port: number): Promise<string> {
    await listenLoopback(this.server, port);
    return this.url;
  }

  /** The base URL, e.g. `http://127.0.0.1:41234` (after {@link listen}). */
  get url(): string {
    return `http://127.0.0.1:${loopbackPort(this.server, 'the API server')}`;
  }

  /** Stops accepting requests, aborts running handlers and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (!this.closing.signal.aborted) this.closing.abort(new ShuttingDownError());
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // Give in-flight responses (now aborted) a moment to be written, then cut what is left.
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, 500);
    await closed;
    clearTimeout(timer);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    let path = '/';
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      path = url.pathname;
      if (this.closing.signal.aborted) throw new ShuttingDownError();
      const clientGone = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) clientGone.abort(new Error('client closed the connection'));
      });
      const mount = this.init.mounts.find((m) => m.owns(path));
      if (mount !== undefined) {
        await mount.handle(req, res, url, AbortSignal.any([clientGone.signal, this.closing.signal]));
        return;
      }
      this.authorize(req);
      const { handler, params, options } = this.init.router.match(method, path);
      const timeoutMs = options.timeoutMs ?? this.init.handlerTimeoutMs;
      const signals = [clientGone.signal, this.closing.signal];
      if (timeoutMs > 0) signals.push(AbortSignal.timeout(timeoutMs));
      const signal = AbortSignal.any(signals);
      const result = await handler({
        params,
        query: url.searchParams,
        body: () => this.readBody(req),
        signal,
      });
      if (result instanceof RouteResponse && result.contentType !== undefined)
        sendText(res, result.status, String(result.body), result.contentType);
      else if (result instanceof RouteResponse) send(res, result.status, result.body);
      else send(res, 200, result ?? {});
    } catch (err) {
      const status = statusOf(err);
      if (status >= 500) log.error('%s %s failed: %s', method, path, (err as Error).message);
      if (err instanceof UnauthorizedError) res.setHeader('www-authenticate', 'Bearer');
      if (err instanceof MethodNotAllowedError) res.setHeader('allow', err.allowed.join(', '));
      if (err instanceof PayloadTooLargeError) res.setHeader('connection', 'close');
      send(res, status, errorBody(err));
    } finally {
      log('%s %s %d %dms', method, path, res.statusCode, Math.round(performance.now() - started));
    }
  }

  private authorize(req: IncomingMessage): void {
    const header = req.headers.authorization;
    if (header === undefined)
      throw new UnauthorizedError('missing bearer token (Authorization: Bearer <token>)');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null || !tokensEqual(m[1]!, this.init.token))
      throw new UnauthorizedError('invalid bearer token');
  }

  private async readBody(req: IncomingMessage): Promise<unknown> {
    const limit = this.init.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) throw new PayloadTooLargeError(limit);
    const type = req.headers['content-type'];
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new PayloadTooLargeError(limit);
      chunks.push(chunk);
    }
    if (size === 0) return undefined;
    if (type !== undefined && !/^application\/json\b/i.test(type)) throw new UnsupportedMediaTypeError(type);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      throw new BadRequestError('request body is not valid JSON');
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

function sendText(res: ServerResponse, status: number, text: string, contentType: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}
