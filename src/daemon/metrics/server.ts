/**
 * The optional metrics listener (`metricsPort` in the daemon config): `GET /metrics` on
 * 127.0.0.1:<port>, without the bearer token, for a Prometheus scraper on the same host that
 * should not hold the control API's token. Anyone on the host can read it: it carries counts and
 * timings only (docs/METRICS.md), never a data value, an id or a token. Any other path is 404, any
 * other method 405; nothing else of the daemon is reachable here. A Host header other than
 * `127.0.0.1:<port>` or `localhost:<port>` is 421, so that a web page rebinding its own DNS name
 * to 127.0.0.1 cannot read the metrics from the owner's browser.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { logger } from '../../util/log.js';
import { listenLoopback, loopbackPort, trackSockets } from '../loopback-http.js';
import type { DaemonMetrics } from './index.js';

const log = logger('daemon:metrics');

/** The metrics listener; see the module comment. */
export class MetricsServer {
  private readonly server: Server;
  private readonly sockets: Set<Socket>;

  constructor(private readonly metrics: Pick<DaemonMetrics, 'text' | 'contentType'>) {
    this.server = createServer((req, res) => {
      if (!ownHost(req.headers.host, req.socket.localPort))
        return reply(res, 421, 'misdirected request: the metrics answer at 127.0.0.1 or localhost only\n');
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (path !== '/metrics') return reply(res, 404, 'not found: the metrics are at /metrics\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return reply(res, 405, 'method not allowed\n');
      }
      this.metrics.text().then(
        (text) => reply(res, 200, req.method === 'HEAD' ? '' : text, this.metrics.contentType),
        (err: Error) => {
          log.error('metrics failed: %s', err.message);
          reply(res, 500, 'metrics failed\n');
        },
      );
    });
    this.sockets = trackSockets(this.server);
    this.server.requestTimeout = 30_000;
  }

  /** Listens on 127.0.0.1:`port` (0 picks a free port); resolves with the metrics URL. */
  async listen(port: number): Promise<string> {
    await listenLoopback(this.server, port);
    return this.url;
  }

  /** The metrics URL, e.g. `http://127.0.0.1:9464/metrics` (after {@link MetricsServer.listen}). */
  get url(): string {
    return `http://127.0.0.1:${loopbackPort(this.server, 'the metrics server')}/metrics`;
  }

  /** Stops listening and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

/**
 * Whether `host` (a request's Host header) names this listener: `127.0.0.1:<port>` or
 * `localhost:<port>`. A web page whose own DNS name an attacker rebinds to 127.0.0.1 sends its own
 * name: refused, so the page's script cannot read the metrics as same-origin (DNS rebinding).
 */
export function ownHost(host: string | undefined, port: number | undefined): boolean {
  const h = (host ?? '').toLowerCase();
  return port !== undefined && (h === `127.0.0.1:${port}` || h === `localhost:${port}`);
}

function reply(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}
