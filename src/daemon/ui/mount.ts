/**
 * The owner's console: a {@link WebMount} that owns `/ui` and everything under it (docs/CONSOLE.md).
 *
 * `GET /ui/login?code=<code>` redeems a one-time code from `POST /console/codes` for a session
 * cookie (HttpOnly, SameSite=Strict, Path=/ui) and redirects to `/ui/`. Every other path needs that
 * session (401 otherwise, static files and the event stream included). Pages are server-rendered
 * HTML; state changes (`POST /ui/jobs/:id/approve|reject`, `POST /ui/logout`) are forms carrying
 * the session's CSRF token, refused from another origin, and go through the job service as the
 * API's routes do (so they are audited alike). Every response carries the console's security
 * headers; errors are the API's typed errors rendered as a page with their status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { boundText } from '../../util/bound.js';
import { logger } from '../../util/log.js';
import type { ApiContext } from '../api/context.js';
import {
  errorBody,
  HttpError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  statusOf,
  UnauthorizedError,
} from '../api/errors.js';
import type { WebMount } from '../api/server.js';
import { streamEvents } from './events.js';
import {
  checkCsrf,
  checkOrigin,
  clearSessionCookie,
  ownHost,
  readForm,
  sessionCookie,
  sessionSetCookie,
} from './guard.js';
import { html, type Html } from './html.js';
import { errorContent, page, type PageShell } from './layout.js';
import { auditPage } from './pages/audit.js';
import { jobsOf, type PageRequest } from './pages/common.js';
import { datasetPage, datasetsPage } from './pages/datasets.js';
import { findJob, jobPage, MAX_REASON_CHARS } from './pages/job.js';
import { jobsPage } from './pages/jobs.js';
import { overviewPage } from './pages/overview.js';
import { redirect, sendBody, sendHtml } from './respond.js';
import type { ConsoleAuthInit, ConsoleSession } from './session.js';
import { consoleStateOf } from './state.js';
import { staticFile } from './static-files.js';

const log = logger('daemon:console');

/** Options of {@link consoleMount}. */
export interface ConsoleMountInit extends ConsoleAuthInit {
  /** The control API's base URL, e.g. `http://127.0.0.1:41234` (read once it listens). */
  baseUrl: () => string;
}

/** Statuses of the job service's errors, as the API's job routes give them. */
const JOB_STATUS: Record<string, number> = {
  InvalidTransitionError: 409,
  JobNotFoundError: 404,
  JobReplayError: 409,
  PolicyDeniedError: 403,
  JobFailedError: 502,
  TypeError: 400,
  RangeError: 400,
};

function statusOfError(err: unknown): number {
  if (!(err instanceof HttpError) && err instanceof Error && JOB_STATUS[err.name] !== undefined)
    return JOB_STATUS[err.name]!;
  return statusOf(err);
}

const REUSED_MESSAGE =
  'this login link was already used, and the session opened with it has now been ended. If you did ' +
  'not open it twice, someone else on this machine may have read it (for example from the process ' +
  'list) and used it first: check the audit log for decisions you did not make';

const LOGIN_HINT = html`<p>Run <code>peermpc ui</code> for a new login link (valid for a minute, once).</p>`;

/** The console mount of the daemon of `ctx`; registers its base URL for `POST /console/codes`. */
export function consoleMount(ctx: ApiContext, init: ConsoleMountInit): WebMount {
  const state = consoleStateOf(ctx, init);
  state.baseUrl = init.baseUrl;
  const auth = state.auth;
  const shell = (title: string, session?: ConsoleSession, nav?: PageShell['nav']): PageShell => ({
    title,
    peerId: ctx.peer.peerId,
    ...(session === undefined ? {} : { csrf: session.csrf }),
    ...(nav === undefined ? {} : { nav }),
  });

  const sendError = (res: ServerResponse, err: unknown, session?: ConsoleSession): void => {
    const status = statusOfError(err);
    if (status >= 500) log.error('console: %s', (err as Error).message);
    const { name, message } = errorBody(err).error;
    const hint = err instanceof UnauthorizedError ? LOGIN_HINT : undefined;
    const title = status === 404 ? 'Not found' : status === 401 ? 'Not logged in' : 'Error';
    sendHtml(res, status, page(shell(title, session), errorContent(name, boundText(message, 600), hint)));
  };

  const show = async (
    res: ServerResponse,
    session: ConsoleSession,
    nav: PageShell['nav'],
    build: () => Promise<{ title: string; content: Html }>,
  ): Promise<void> => {
    const { title, content } = await build();
    sendHtml(res, 200, page(shell(title, session, nav), content));
  };

  const login = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const redeemed = auth.redeem(url.searchParams.get('code') ?? '');
    if (redeemed === undefined || redeemed === 'reused') {
      if (redeemed === 'reused')
        log.error('console: a login code was used twice; the session it opened is ended');
      sendHtml(
        res,
        401,
        page(
          shell('Login failed'),
          errorContent(
            'UnauthorizedError',
            redeemed === 'reused' ? REUSED_MESSAGE : 'this login link is invalid, expired or already used',
            LOGIN_HINT,
          ),
        ),
      );
      return;
    }
    auth.end(sessionCookie(req)); // the session this browser held, if any: its cookie is replaced
    log('console session opened');
    redirect(res, '/ui/', { 'set-cookie': sessionSetCookie(redeemed.id) });
  };

  /** A state change: session, origin, bounded form, CSRF token; then `act`. */
  const change = async (
    req: IncomingMessage,
    host: string,
    session: ConsoleSession,
    act: (form: URLSearchParams) => Promise<void>,
  ): Promise<void> => {
    checkOrigin(req, host);
    const form = await readForm(req);
    checkCsrf(form, session);
    await act(form);
  };

  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    signal: AbortSignal,
    host: string,
    session: ConsoleSession,
  ): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const parts = path
      .split('/')
      .filter((s) => s !== '')
      .slice(1); // after "ui"
    const pageReq: PageRequest = { ctx, query: url.searchParams, csrf: session.csrf, signal };
    const only = (allowed: string): void => {
      if (method !== allowed) throw new MethodNotAllowedError(method, path, [allowed]);
    };
    const decode = (s: string): string => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new NotFoundError(`no page ${boundText(path, 100)}`);
      }
    };
    const [first, second, third] = parts;
    if (parts.length === 0) {
      only('GET');
      if (path === '/ui') return redirect(res, '/ui/');
      return show(res, session, 'overview', async () => ({
        title: 'Overview',
        content: await overviewPage(pageReq),
      }));
    }
    if (first === 'static' && parts.length === 2) {
      only('GET');
      const file = staticFile(second!);
      if (file === undefined) throw new NotFoundError(`no file ${boundText(second!, 100)}`);
      return sendBody(res, 200, file.body, file.type);
    }
    if (first === 'events' && parts.length === 1) {
      only('GET');
      return streamEvents(res, jobsOf(ctx), signal, () => auth.alive(session));
    }
    if (first === 'logout' && parts.length === 1) {
      only('POST');
      const id = sessionCookie(req);
      await change(req, host, session, async () => auth.end(id));
      log('console session closed');
      return sendHtml(
        res,
        200,
        page(
          shell('Logged out'),
          html`<p>You are logged out. Run <code>peermpc ui</code> to log in again.</p>`,
        ),
        { 'set-cookie': clearSessionCookie() },
      );
    }
    if (first === 'datasets' && parts.length === 1) {
      only('GET');
      return show(res, session, 'datasets', async () => ({
        title: 'Datasets',
        content: await datasetsPage(pageReq),
      }));
    }
    if (first === 'datasets' && parts.length === 2) {
      only('GET');
      return show(res, session, 'datasets', () => datasetPage(pageReq, decode(second!)));
    }
    if (first === 'jobs' && parts.length === 1) {
      only('GET');
      return show(res, session, 'jobs', async () => ({ title: 'Jobs', content: await jobsPage(pageReq) }));
    }
    if (first === 'jobs' && parts.length === 2) {
      only('GET');
      return show(res, session, 'jobs', () => jobPage(pageReq, decode(second!)));
    }
    if (first === 'jobs' && parts.length === 3 && (third === 'approve' || third === 'reject')) {
      only('POST');
      const id = decode(second!);
      await change(req, host, session, async (form) => {
        const { svc } = findJob(pageReq, id);
        if (third === 'approve') await svc.approve(id);
        else {
          const reason = (form.get('reason') ?? '').trim();
          await svc.reject(id, reason === '' ? undefined : boundText(reason, MAX_REASON_CHARS));
        }
      });
      return redirect(res, `/ui/jobs/${id}`);
    }
    if (first === 'audit' && parts.length === 1) {
      only('GET');
      return show(res, session, 'audit', async () => ({
        title: 'Audit log',
        content: await auditPage(pageReq),
      }));
    }
    throw new NotFoundError(`no page ${boundText(path, 100)}`);
  };

  return {
    owns: (path) => path === '/ui' || path.startsWith('/ui/'),
    async handle(req, res, url, signal) {
      let session: ConsoleSession | undefined;
      try {
        const host = ownHost(req);
        if (url.pathname === '/ui/login') {
          if ((req.method ?? 'GET') !== 'GET')
            throw new MethodNotAllowedError(req.method ?? '', url.pathname, ['GET']);
          return login(req, res, url);
        }
        session = auth.session(sessionCookie(req));
        if (session === undefined) throw new UnauthorizedError('no console session (or it ended)');
        await route(req, res, url, signal, host, session);
      } catch (err) {
        if (!res.headersSent && err instanceof MethodNotAllowedError)
          res.setHeader('allow', err.allowed.join(', '));
        if (!res.headersSent && err instanceof PayloadTooLargeError) res.setHeader('connection', 'close');
        sendError(res, err, session);
      }
    },
  };
}
