/**
 * The owner's console over HTTP, with a daemon on a fake peer (no jobs): one-time login codes,
 * the session cookie, 401 on every path without it, CSRF and origin checks on state changes, the
 * security headers on every response, no bearer token anywhere the browser sees, escaped text
 * from outside, and the DNS-rebinding guard. Expiry runs on a console with an injected clock.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiContext } from '../../src/daemon/api/context.js';
import { consoleRoutes } from '../../src/daemon/api/routes/console.js';
import { Router } from '../../src/daemon/api/router.js';
import { ApiServer } from '../../src/daemon/api/server.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { consoleMount } from '../../src/daemon/ui/mount.js';
import { CODE_TTL_MS, SESSION_IDLE_MS } from '../../src/daemon/ui/session.js';
import type { PeerInit } from '../../src/node/types.js';
import {
  assertNoInlineCode,
  assertSecurityHeaders,
  consoleCode,
  csrfOf,
  get,
  login,
  postForm,
  redeem,
} from './console-helpers.js';
import { fakePeer, type FakePeer } from './daemon-fake-peer.js';

const JOB = 'ab'.repeat(16);
const GET_PATHS = [
  '/ui',
  '/ui/',
  '/ui/datasets',
  '/ui/datasets/heights',
  '/ui/jobs',
  `/ui/jobs/${JOB}`,
  '/ui/audit?q=job',
  '/ui/static/app.js',
  '/ui/static/app.css',
  '/ui/events',
  '/ui/nothing-here',
];
const POST_PATHS = ['/ui/logout', `/ui/jobs/${JOB}/approve`, `/ui/jobs/${JOB}/reject`];
const XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>';

let dir: string;
let daemon: RunningDaemon;
let peer: FakePeer;
let token: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peermpc-console-auth-'));
  daemon = await startDaemon({ dataDir: dir, createPeer: async (init) => (peer = fakePeer(init)) });
  token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
  await peer.datasets.add({ csvPath: '/tmp/heights.csv', name: 'heights', description: XSS });
});

test.after(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('POST /console/codes needs the bearer token; gives a 256-bit code and its login URL', async () => {
  const refused = await fetch(`${daemon.apiUrl}/console/codes`, { method: 'POST' });
  assert.is(refused.status, 401);
  const before = Date.now();
  const c = await consoleCode(daemon.apiUrl, token);
  assert.match(c.code, /^[A-Za-z0-9_-]{43}$/);
  assert.is(c.url, `${daemon.apiUrl}/ui/login?code=${c.code}`);
  const expires = Date.parse(c.expiresAt);
  assert.ok(expires >= before + CODE_TTL_MS - 1000 && expires <= Date.now() + CODE_TTL_MS + 1000);
  assert.is.not((await consoleCode(daemon.apiUrl, token)).code, c.code);
});

test('a login code works once; a reused or unknown code is a 401 page', async () => {
  const { url } = await consoleCode(daemon.apiUrl, token);
  const cookie = await redeem(url);
  const home = await get(`${daemon.apiUrl}/ui/`, cookie);
  assert.is(home.status, 200);
  assert.match(home.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await home.text(), peer.peerId);
  for (const bad of [url, `${daemon.apiUrl}/ui/login?code=nope`, `${daemon.apiUrl}/ui/login`]) {
    const again = await get(bad);
    assert.is(again.status, 401, bad);
    assert.is(again.headers.get('set-cookie'), null);
    // a second use of a live code also ends the session of the first (console-review.test.ts)
    assert.match(
      await again.text(),
      bad === url ? /already used, and the session/ : /invalid, expired or already used/,
    );
    assertSecurityHeaders(again, bad);
  }
});

test('without a session every /ui path answers 401, with the security headers', async () => {
  for (const cookie of [undefined, 'peermpc_console=forged', 'other=1']) {
    for (const path of GET_PATHS) {
      const res = await get(daemon.apiUrl + path, cookie);
      assert.is(res.status, 401, `GET ${path} with ${cookie}`);
      assertSecurityHeaders(res, `GET ${path}`);
      assert.match(await res.text(), /UnauthorizedError/);
    }
    for (const path of POST_PATHS) {
      const res = await postForm(daemon.apiUrl + path, cookie, { csrf: 'x', reason: 'r' });
      assert.is(res.status, 401, `POST ${path}`);
      assertSecurityHeaders(res, `POST ${path}`);
    }
  }
});

test('pages, assets and errors carry the headers; no inline code; the bearer token nowhere', async () => {
  const s = await login(daemon.apiUrl, token);
  assert.not.ok(s.cookie.includes(token));
  for (const path of GET_PATHS.filter((p) => p !== '/ui/events')) {
    const res = await get(daemon.apiUrl + path, s.cookie);
    const body = await res.text();
    assertSecurityHeaders(res, path);
    assert.not.ok(body.includes(token), `the token in ${path}`);
    for (const [k, v] of res.headers) assert.not.ok(v.includes(token), `the token in header ${k} of ${path}`);
    if ((res.headers.get('content-type') ?? '').startsWith('text/html')) assertNoInlineCode(body, path);
  }
  const statuses = await Promise.all(
    [
      '/ui',
      '/ui/',
      '/ui/static/app.js',
      '/ui/static/app.css',
      '/ui/nothing-here',
      `/ui/jobs/${JOB}`,
      '/ui/jobs/xyz',
    ].map(async (p) => [p, (await get(daemon.apiUrl + p, s.cookie)).status] as const),
  );
  assert.equal(Object.fromEntries(statuses), {
    '/ui': 303,
    '/ui/': 200,
    '/ui/static/app.js': 200,
    '/ui/static/app.css': 200,
    '/ui/nothing-here': 404,
    [`/ui/jobs/${JOB}`]: 404, // this peer runs no jobs: no such job
    '/ui/jobs/xyz': 400,
  });
  const js = await get(`${daemon.apiUrl}/ui/static/app.js`, s.cookie);
  assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
  const wrong = await fetch(`${daemon.apiUrl}/ui/`, { method: 'DELETE', headers: { cookie: s.cookie } });
  assert.is(wrong.status, 405);
  assertSecurityHeaders(wrong, 'a 405');
});

test('text from outside is escaped: a dataset description with <script>', async () => {
  const s = await login(daemon.apiUrl, token);
  const page = await (await get(`${daemon.apiUrl}/ui/datasets/heights`, s.cookie)).text();
  assert.not.ok(page.includes(XSS));
  assert.not.match(page, /<script>alert/);
  assert.not.match(page, /<img src=x/);
  assert.match(page, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
  assertNoInlineCode(page, 'dataset page');
  const missing = await get(`${daemon.apiUrl}/ui/datasets/${encodeURIComponent('<b>x</b>')}`, s.cookie);
  assert.is(missing.status, 404);
  const text = await missing.text();
  assert.not.match(text, /<b>x<\/b>/);
  assert.match(text, /NotFoundError/);
});

test('logout needs the CSRF token and the console own origin; then the session is gone', async () => {
  const s = await login(daemon.apiUrl, token);
  const logout = `${daemon.apiUrl}/ui/logout`;
  const refused: [Record<string, string>, Record<string, string>][] = [
    [{}, {}],
    [{ csrf: 'A'.repeat(43) }, {}],
    [{ csrf: s.csrf.slice(0, -1) }, {}],
    [{ csrf: s.csrf }, { origin: 'http://evil.example' }],
    [{ csrf: s.csrf }, { origin: 'http://127.0.0.1:1' }],
    [{ csrf: s.csrf }, { 'sec-fetch-site': 'cross-site' }],
    [{ csrf: s.csrf }, { 'sec-fetch-site': 'same-site' }],
    [{ csrf: s.csrf }, { origin: 'null' }], // a sandboxed frame
    [{ csrf: s.csrf }, { origin: 'null', 'sec-fetch-site': 'cross-site' }],
  ];
  for (const [fields, headers] of refused) {
    const res = await postForm(logout, s.cookie, fields, headers);
    assert.is(res.status, 403, JSON.stringify([fields, headers]));
    assertSecurityHeaders(res, 'a refused logout');
    assert.is((await get(`${daemon.apiUrl}/ui/`, s.cookie)).status, 200, 'the session survives');
  }
  const json = await fetch(logout, {
    method: 'POST',
    headers: { cookie: s.cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ csrf: s.csrf }),
  });
  assert.is(json.status, 415);
  const big = await postForm(logout, s.cookie, { csrf: s.csrf, pad: 'x'.repeat(20_000) });
  assert.is(big.status, 413);
  assert.is((await get(`${daemon.apiUrl}/ui/`, s.cookie)).status, 200);
  // the console's own form under Referrer-Policy: no-referrer: Origin null, same-origin fetch
  const ok = await postForm(
    logout,
    s.cookie,
    { csrf: s.csrf },
    { origin: 'null', 'sec-fetch-site': 'same-origin' },
  );
  assert.is(ok.status, 200);
  assert.match(ok.headers.get('set-cookie') ?? '', /Max-Age=0/);
  assert.is((await get(`${daemon.apiUrl}/ui/`, s.cookie)).status, 401);
});

test('a page requested under another host name (DNS rebinding) is refused', async () => {
  const s = await login(daemon.apiUrl, token);
  const url = new URL(`${daemon.apiUrl}/ui/`);
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: url.port,
        path: '/ui/',
        headers: { host: `evil.example:${url.port}`, cookie: s.cookie },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.is(status, 421);
  const local = await get(`${daemon.apiUrl.replace('127.0.0.1', 'localhost')}/ui/`, s.cookie);
  assert.ok(
    local.status === 200 || local.status === 401,
    'localhost is the console too (cookies are per host)',
  );
});

test('codes expire after 60 s; sessions after 12 h idle (injected clock)', async () => {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const d = mkdtempSync(join(tmpdir(), 'peermpc-console-clock-'));
  const ctx: ApiContext = {
    peer: fakePeer({ dataDir: d } as PeerInit),
    dataDir: d,
    version: 'test',
    startedAt: now,
    onStop: () => undefined,
  };
  const router = new Router();
  consoleRoutes(router, ctx);
  const server: ApiServer = new ApiServer({
    router,
    token: 't'.repeat(64),
    mounts: [consoleMount(ctx, { baseUrl: () => server.url, now: () => now })],
  });
  const base = await server.listen(0);
  try {
    const late = await consoleCode(base, 't'.repeat(64));
    now += CODE_TTL_MS;
    assert.is((await get(late.url)).status, 401, 'an expired code');
    const fresh = await consoleCode(base, 't'.repeat(64));
    now += CODE_TTL_MS - 1;
    const cookie = await redeem(fresh.url);
    now += SESSION_IDLE_MS - 1;
    const page = await get(`${base}/ui/jobs`, cookie);
    assert.is(page.status, 200, 'used within 12 h: still valid');
    csrfOf(await page.text());
    now += SESSION_IDLE_MS;
    assert.is((await get(`${base}/ui/jobs`, cookie)).status, 401, 'idle 12 h: gone');
  } finally {
    await server.close();
    rmSync(d, { recursive: true, force: true });
  }
});

test.run();
