/**
 * The token-less metrics listener (`metricsPort`) against a web page in the owner's browser that
 * rebinds its own DNS name to 127.0.0.1 (DNS rebinding): the page's script then reads
 * `http://evil.example:<port>/metrics` as same-origin, unless the listener refuses requests for a
 * host name other than its own. A scraper on the host (Host `127.0.0.1:<port>` or
 * `localhost:<port>`) is served as before.
 */
import { request as httpRequest } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MetricsServer } from '../../src/daemon/metrics/server.js';

const BODY = '# HELP a_total A.\n# TYPE a_total counter\na_total 1\n';

let server: MetricsServer;
let port: string;

test.before(async () => {
  server = new MetricsServer({ text: async () => BODY, contentType: 'text/plain; version=0.0.4' });
  port = new URL(await server.listen(0)).port;
});

test.after(async () => {
  await server?.close();
});

/** GET /metrics on the listener with `host` as the Host header (undefined: none at all). */
function getWithHost(host: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/metrics',
        setHost: host !== undefined,
        headers: host ? { host } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('a scraper on the host is served (127.0.0.1 or localhost, its port)', async () => {
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
    const res = await getWithHost(host);
    assert.is(res.status, 200, host);
    assert.is(res.body, BODY);
  }
});

test('a request for another host name (a rebinding page) is refused, and learns nothing', async () => {
  for (const host of [
    `evil.example:${port}`,
    'evil.example',
    `127.0.0.1.evil.example:${port}`,
    `sub.localhost:${port}`,
  ]) {
    const res = await getWithHost(host);
    assert.is(res.status, 421, host);
    assert.not.ok(res.body.includes('a_total'), host);
  }
});

test.run();
