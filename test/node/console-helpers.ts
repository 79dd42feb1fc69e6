/**
 * HTTP helpers for the console's tests: log in with a one-time code, fetch pages with the session
 * cookie, post forms, read the server-sent events, and check the headers every response carries.
 */
import { request as httpRequest } from 'node:http';
import * as assert from 'uvu/assert';
import { CONSOLE_CSP } from '../../src/daemon/ui/respond.js';

/** A logged-in browser, as far as the server can tell. */
export interface ConsoleLogin {
  /** The API's base URL. */
  base: string;
  /** `peermpc_console=<id>`. */
  cookie: string;
  /** The session's CSRF token (read from a page). */
  csrf: string;
}

/** Asks the daemon for a login code through the bearer-token API. */
export async function consoleCode(
  base: string,
  token: string,
): Promise<{ code: string; url: string; expiresAt: string }> {
  const res = await fetch(`${base}/console/codes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.is(res.status, 201, await res.clone().text());
  return (await res.json()) as { code: string; url: string; expiresAt: string };
}

/** GET without following redirects. */
export function get(url: string, cookie?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers: { ...headers, ...(cookie ? { cookie } : {}) } });
}

/** POSTs a form without following redirects. */
export function postForm(
  url: string,
  cookie: string | undefined,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
      ...(cookie ? { cookie } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The CSRF token in a page's forms. */
export function csrfOf(page: string): string {
  const m = /name="csrf" value="([A-Za-z0-9_-]+)"/.exec(page);
  assert.ok(m, 'the page has no CSRF field');
  return m![1]!;
}

/** Opens the login URL and returns the session cookie (asserting the cookie's attributes). */
export async function redeem(url: string): Promise<string> {
  const res = await get(url);
  assert.is(res.status, 303, await res.clone().text());
  assert.is(res.headers.get('location'), '/ui/');
  const set = res.headers.get('set-cookie') ?? '';
  assert.match(set, /^peermpc_console=[A-Za-z0-9_-]{43,}; /);
  assert.match(set, /HttpOnly/);
  assert.match(set, /SameSite=Strict/);
  assert.match(set, /Path=\/ui(;|$)/);
  return set.split(';')[0]!;
}

/** Logs in: a code from the API, redeemed, and the CSRF token read from the overview. */
export async function login(base: string, token: string): Promise<ConsoleLogin> {
  const { url } = await consoleCode(base, token);
  const cookie = await redeem(url);
  const page = await get(`${base}/ui/`, cookie);
  assert.is(page.status, 200);
  return { base, cookie, csrf: csrfOf(await page.text()) };
}

/** Asserts the security headers of every console response. */
export function assertSecurityHeaders(res: Response, what: string): void {
  assert.is(res.headers.get('content-security-policy'), CONSOLE_CSP, `CSP of ${what}`);
  assert.is(res.headers.get('x-content-type-options'), 'nosniff', what);
  assert.is(res.headers.get('referrer-policy'), 'no-referrer', what);
  assert.is(res.headers.get('cache-control'), 'no-store', what);
  assert.is(res.headers.get('x-frame-options'), 'DENY', what);
}

/** Asserts a page has no inline script, style or event handler. */
export function assertNoInlineCode(page: string, what: string): void {
  for (const m of page.matchAll(/<script\b[^>]*>/g))
    assert.match(m[0], /\bsrc="\/ui\/static\/app\.js"/, what);
  assert.not.match(page, /<style\b/i, `${what}: inline <style>`);
  assert.not.match(page, /<[a-z][^>]*\sstyle=/i, `${what}: style attribute`);
  assert.not.match(page, /<[a-z][^>]*\son[a-z]+=/i, `${what}: inline event handler`);
}

/** Server-sent events read from `/ui/events` until `stop()`. */
export interface EventReader {
  /** The status of the response. */
  status: Promise<number>;
  /** Resolves with the first event's data that satisfies `test`, or rejects after `ms`. */
  next(test: (data: Record<string, string>) => boolean, ms: number): Promise<Record<string, string>>;
  /** Closes the stream. */
  stop(): void;
}

/** Opens `/ui/events` with `cookie`. */
export function readEvents(base: string, cookie: string): EventReader {
  const seen: Record<string, string>[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let resolveStatus!: (n: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const req = httpRequest(`${base}/ui/events`, { headers: { cookie } }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (data !== '') seen.push(JSON.parse(data) as Record<string, string>);
      }
      for (const w of [...waiters]) w();
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return {
    status,
    next(test, ms) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = seen.find(test);
          if (hit === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${ms} ms (saw ${JSON.stringify(seen)})`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    stop: () => req.destroy(),
  };
}
