/**
 * The console's request checks: the Host a browser addressed (DNS rebinding), the session cookie,
 * and for state changes the form body (bounded), its CSRF token (constant time) and its origin.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError, PayloadTooLargeError } from '../api/errors.js';
import { constantTimeEqual, type ConsoleSession } from './session.js';

/** The session cookie's name. */
export const COOKIE_NAME = 'peermpc_console';

/** Largest form body of a state change (bytes). */
export const MAX_FORM_BYTES = 16 * 1024;

/** 403: a state change without the right CSRF token, or from another site. */
export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, 'ForbiddenError', message);
  }
}

/** 421: a request for another host name (a DNS-rebinding page), which the console does not serve. */
export class MisdirectedRequestError extends HttpError {
  constructor(message: string) {
    super(421, 'MisdirectedRequestError', message);
  }
}

/**
 * The host the browser addressed, when it is this server's own (`127.0.0.1:<port>` or
 * `localhost:<port>`, the port it listens on).
 * @throws MisdirectedRequestError for any other Host header (a page on another name resolved to 127.0.0.1).
 */
export function ownHost(req: IncomingMessage): string {
  const host = (req.headers.host ?? '').toLowerCase();
  const port = req.socket.localPort;
  if (host === `127.0.0.1:${port}` || host === `localhost:${port}`) return host;
  throw new MisdirectedRequestError('the console answers only at 127.0.0.1 or localhost on its own port');
}

/** The value of the session cookie, if any. */
export function sessionCookie(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === COOKIE_NAME) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The `Set-Cookie` value that holds session `id`. */
export function sessionSetCookie(id: string): string {
  return `${COOKIE_NAME}=${id}; HttpOnly; SameSite=Strict; Path=/ui`;
}

/** The `Set-Cookie` value that removes the session cookie. */
export function clearSessionCookie(): string {
  return `${COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/ui; Max-Age=0`;
}

/**
 * Refuses a state change that another site started: an `Origin` other than the console's own, or
 * `Sec-Fetch-Site: cross-site` / `same-site` (another port). Browsers send `Origin: null` for a
 * form posted from a page under `Referrer-Policy: no-referrer` (the console's own pages, by the
 * Fetch standard) as they do for sandboxed frames: `null` passes only with the browser's own
 * `Sec-Fetch-Site: same-origin`, which no page can set. A request with neither header is not a
 * browser's (a script on this machine, which could read the token anyway): the CSRF token decides.
 * @throws ForbiddenError
 */
export function checkOrigin(req: IncomingMessage, host: string): void {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site')
    throw new ForbiddenError('the request comes from another site');
  if (origin === 'null' && site !== 'same-origin')
    throw new ForbiddenError('the request comes from an opaque origin');
  if (origin !== undefined && origin !== 'null' && origin !== `http://${host}`)
    throw new ForbiddenError('the request comes from another origin');
}

/**
 * Reads an `application/x-www-form-urlencoded` body of at most {@link MAX_FORM_BYTES}.
 * @throws PayloadTooLargeError; an HttpError 415 (`UnsupportedMediaTypeError`) for another type.
 */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_FORM_BYTES) throw new PayloadTooLargeError(MAX_FORM_BYTES);
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type))
    throw new HttpError(
      415,
      'UnsupportedMediaTypeError',
      `expected application/x-www-form-urlencoded, got ${type.slice(0, 100) || 'no content type'}`,
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new PayloadTooLargeError(MAX_FORM_BYTES);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Checks a form's `csrf` field against the session's token (constant time).
 * @throws ForbiddenError when it is missing or wrong.
 */
export function checkCsrf(form: URLSearchParams, session: ConsoleSession): void {
  const token = form.get('csrf');
  if (token === null || !constantTimeEqual(token, session.csrf))
    throw new ForbiddenError('missing or wrong CSRF token: reload the page and try again');
}
