/**
 * The console's page shell: head (stylesheet and script by URL only, no inline code), navigation,
 * the peer's id, the logout form (with the session's CSRF token) and the page's content.
 */
import { html, type Html } from './html.js';

/** What a page needs from the shell. */
export interface PageShell {
  /** The page title (text). */
  title: string;
  /** Which navigation entry is current. */
  nav?: 'overview' | 'datasets' | 'jobs' | 'audit';
  /** This peer's id. */
  peerId: string;
  /** The session's CSRF token, for the logout form; absent on pages shown without a session. */
  csrf?: string;
}

const NAV: readonly (readonly [NonNullable<PageShell['nav']>, string, string])[] = [
  ['overview', '/ui/', 'Overview'],
  ['datasets', '/ui/datasets', 'Datasets'],
  ['jobs', '/ui/jobs', 'Jobs'],
  ['audit', '/ui/audit', 'Audit log'],
];

/** A whole page around `content`. */
export function page(shell: PageShell, content: Html): Html {
  const nav =
    shell.csrf === undefined
      ? html``
      : html`<nav aria-label="Console">
          <ul>
            ${NAV.map(
              ([key, href, label]) =>
                html`<li>
                  <a href="${href}" ${shell.nav === key ? html`aria-current="page"` : ''}>${label}</a>
                </li>`,
            )}
          </ul>
          <form method="post" action="/ui/logout" class="logout">
            <input type="hidden" name="csrf" value="${shell.csrf}" />
            <button type="submit">Log out</button>
          </form>
        </nav>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${shell.title} · peermpc console</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/ui/static/app.css" />
        ${shell.csrf === undefined ? '' : html`<script type="module" src="/ui/static/app.js"></script>`}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <p class="brand">peermpc console</p>
          <p class="peer">peer <code>${shell.peerId}</code></p>
          ${nav}
        </header>
        <main id="main" tabindex="-1">
          <h1>${shell.title}</h1>
          ${content}
        </main>
        <div id="live-status" role="status" aria-live="polite" class="live-status"></div>
      </body>
    </html>`;
}

/** An error page's content: the API's typed error name and message. */
export function errorContent(name: string, message: string, hint?: Html): Html {
  return html`<section class="error" role="alert">
    <p><strong>${name}</strong>: ${message}</p>
    ${hint ?? ''}
  </section>`;
}
