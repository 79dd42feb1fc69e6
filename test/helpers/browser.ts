/**
 * A real headless browser for the tests: the system's Chromium (Debian's `chromium` package, which
 * `.ci/run` installs) driven by `playwright-core`, and a page wrapper that records everything that
 * went wrong in the page (console errors, uncaught errors, failed or refused requests to `/ui`,
 * Content-Security-Policy violations, responses without a strict CSP) so that a test can assert that
 * nothing did, and saves screenshots under `test-artifacts/console/`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** The repository's root. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where the console's screenshots go (a test artifact; ignored by git). */
export const CONSOLE_ARTIFACTS = join(ROOT, 'test-artifacts', 'console');

/** Where Chromium is looked for when `PEERMPC_CHROMIUM` is not set, in order. */
export const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * The Chromium executable: `PEERMPC_CHROMIUM` when set, else the first of {@link CHROMIUM_PATHS}
 * that exists.
 * @throws Error saying to install Debian's `chromium` package when there is none (never a skip).
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.PEERMPC_CHROMIUM;
  if (given !== undefined && given !== '') {
    if (existsSync(given)) return given;
    throw new Error(
      `PEERMPC_CHROMIUM is ${given}, which does not exist: point it to a Chromium executable, or ` +
        "unset it and install Debian's chromium package (.ci/run installs it in CI)",
    );
  }
  const found = CHROMIUM_PATHS.find((p) => existsSync(p));
  if (found !== undefined) return found;
  throw new Error(
    `the browser tests need Chromium and found none at ${CHROMIUM_PATHS.join(' or ')}: install ` +
      "Debian's chromium package (`apt-get install --no-install-recommends chromium`; .ci/run " +
      'installs it in CI) or set PEERMPC_CHROMIUM to a Chromium executable',
  );
}

/** Launches the system Chromium headless (`--no-sandbox`: CI runs as root). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: 30_000,
  });
}

/** The prefix of the console's CSP violation reports (see {@link REPORT_CSP_VIOLATIONS}). */
export const CSP_VIOLATION = 'CSP violation:';

/**
 * Runs in every document before its own scripts: reports each `securitypolicyviolation` event on
 * the console as an error, so that the page's console listener records it.
 */
const REPORT_CSP_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error(${JSON.stringify(CSP_VIOLATION)} + ' ' + e.effectiveDirective + ' blocked ' +
    (e.blockedURI || '(inline)') + ' in ' + e.documentURI + (e.sample ? ' (' + e.sample + ')' : ''));
}, true);`;

/** Whether `url` is a console URL (path under `/ui`). */
function isConsoleUrl(url: string): boolean {
  try {
    const path = new URL(url).pathname;
    return path === '/ui' || path.startsWith('/ui/');
  } catch {
    return false;
  }
}

/**
 * What is wrong with a Content-Security-Policy header for a page that must run no inline code: it
 * is missing, or it lets scripts or styles run inline or from `eval`, or from anywhere.
 */
export function cspProblem(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return 'no Content-Security-Policy header';
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '' && !directives.has(name.toLowerCase()))
      directives.set(name.toLowerCase(), values);
  }
  for (const kind of ['script-src', 'style-src']) {
    const values = directives.get(kind) ?? directives.get('default-src');
    if (values === undefined) return `the CSP "${header}" limits neither ${kind} nor default-src`;
    const loose = values.find((v) => ["'unsafe-inline'", "'unsafe-eval'", '*', 'data:'].includes(v));
    if (loose !== undefined) return `the CSP "${header}" allows ${loose} for ${kind}`;
  }
  return undefined;
}

/** A page whose problems are recorded as they happen. */
export interface WatchedPage {
  /** The page. */
  page: Page;
  /** Everything that went wrong so far, one line each. */
  problems: string[];
  /** Navigations of the main frame so far (a live update must not add one). */
  navigations(): number;
  /** Saves a full-page screenshot as `test-artifacts/console/<name>.png`; returns its path. */
  screenshot(name: string): Promise<string>;
  /** Throws, listing them, when anything went wrong (`what`: where the test is). */
  assertClean(what: string): void;
  /**
   * For a failed test: saves a screenshot `failed-<name>.png` and returns what the page shows (its
   * URL, the problems so far, the start of its text), to add to the error.
   */
  describe(name: string): Promise<string>;
}

/** Options of {@link watchPage}. */
export interface WatchOptions {
  /**
   * Requests to `/ui` that may fail with `net::ERR_ABORTED`, besides the page's own `fetch`es and
   * event streams (which a navigation away aborts): by URL. Default: none.
   */
  abortable?: (url: string) => boolean;
}

/**
 * Opens a page in `context` (a laptop-sized viewport is the context's) that records console errors,
 * uncaught page errors, CSP violations (through an init script), failed requests and HTTP errors
 * to `/ui`, and `/ui` responses without a strict CSP ({@link cspProblem}).
 */
export async function watchPage(context: BrowserContext, options: WatchOptions = {}): Promise<WatchedPage> {
  const abortable = options.abortable ?? (() => false);
  const problems: string[] = [];
  let navigations = 0;
  const page = await context.newPage();
  await page.addInitScript({ content: REPORT_CSP_VIOLATIONS });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error on ${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) =>
    problems.push(`uncaught error on ${page.url()}: ${err.stack ?? err.message}`),
  );
  page.on('requestfailed', (req) => {
    const failure = req.failure()?.errorText ?? 'failed';
    if (!isConsoleUrl(req.url())) return;
    // leaving a page aborts what its scripts still fetch (a live refresh, the event stream)
    const script = ['fetch', 'xhr', 'eventsource'].includes(req.resourceType());
    if (failure.includes('ERR_ABORTED') && (script || abortable(req.url()))) return;
    problems.push(`request failed: ${req.method()} ${req.url()}: ${failure}`);
  });
  page.on('response', async (res) => {
    if (!isConsoleUrl(res.url())) return;
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
    const csp = cspProblem(
      ((await res.allHeaders().catch(() => ({}))) as Record<string, string>)['content-security-policy'],
    );
    if (csp !== undefined) problems.push(`${res.request().method()} ${res.url()} (${res.status()}): ${csp}`);
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  const watched: WatchedPage = {
    page,
    problems,
    navigations: () => navigations,
    async screenshot(name) {
      mkdirSync(CONSOLE_ARTIFACTS, { recursive: true });
      const path = join(CONSOLE_ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async describe(name) {
      const shot = await watched
        .screenshot(`failed-${name}`)
        .catch((e: Error) => `(no screenshot: ${e.message})`);
      const text = await page
        .locator('body')
        .innerText({ timeout: 2_000 })
        .catch((e: Error) => `(no text: ${e.message})`);
      return [
        `page ${page.url()} (screenshot ${shot})`,
        ...problems.map((p) => `problem: ${p}`),
        `its text: ${text.replace(/\s+/g, ' ').slice(0, 1_500)}`,
      ].join('\n  ');
    },
    assertClean(what) {
      if (problems.length > 0)
        throw new Error(`${what}: ${problems.length} problem(s) in the browser:\n  ${problems.join('\n  ')}`);
    },
  };
  return watched;
}

/**
 * Waits until `locator`'s text (trimmed) is `expected` (or matches it), polling; the error says
 * what it was instead. Needs no `eval` in the page, so a strict CSP does not get in the way.
 */
export async function waitForText(
  locator: Locator,
  expected: string | RegExp,
  timeoutMs = 15_000,
): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    last =
      (
        await locator
          .first()
          .textContent({ timeout: 1_000 })
          .catch(() => null)
      )?.trim() ?? undefined;
    if (last !== undefined && (typeof expected === 'string' ? last === expected : expected.test(last)))
      return last;
    if (Date.now() > end)
      throw new Error(
        `${locator.toString()}: text ${last === undefined ? '(no such element)' : JSON.stringify(last)}, ` +
          `not ${String(expected)}, after ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
