/**
 * Writing the console's responses: every one carries the same security headers (a strict
 * Content-Security-Policy, no sniffing, no referrer, no caching, no framing), whatever its kind.
 */
import type { ServerResponse } from 'node:http';
import type { Html } from './html.js';

/** The console's Content-Security-Policy: only its own scripts, styles, images and connections. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The headers of every console response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
});

/** Sets the security headers on `res` (before anything is written). */
export function secure(res: ServerResponse): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
}

/** Sends `body` with `status` and `contentType` (and the security headers). */
export function sendBody(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string | string[]> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  secure(res);
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Sends a page. */
export function sendHtml(
  res: ServerResponse,
  status: number,
  page: Html,
  headers: Record<string, string | string[]> = {},
): void {
  sendBody(res, status, page.value, 'text/html; charset=utf-8', headers);
}

/** Sends a 303 to `location` (a path of the console). */
export function redirect(
  res: ServerResponse,
  location: string,
  headers: Record<string, string | string[]> = {},
): void {
  sendBody(res, 303, '', 'text/plain; charset=utf-8', { ...headers, location });
}
