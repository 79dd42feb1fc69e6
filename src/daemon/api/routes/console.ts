/**
 * The owner's console's login codes: `POST /console/codes` (bearer token, like every route) issues
 * a one-time code, valid 60 s, and answers 201 `{ code, url, expiresAt }` where `url` is
 * `<api url>/ui/login?code=<code>`: opening it in a browser logs it into the console (a session
 * cookie; the bearer token never reaches the browser). `peermpc ui` prints it. 503
 * `ConsoleUnavailableError` when the daemon serves no console.
 */
import { consoleStateOf } from '../../ui/state.js';
import type { ApiContext } from '../context.js';
import { HttpError } from '../errors.js';
import { RouteResponse, type Router } from '../router.js';

/** Body of `POST /console/codes`. */
export interface ConsoleCodeResponse {
  /** The one-time code (base64url, 256 bits). */
  code: string;
  /** The login URL to open in a browser. */
  url: string;
  /** When the code stops being valid (ISO 8601). */
  expiresAt: string;
}

/** Registers the console route. */
export function consoleRoutes(router: Router, ctx: ApiContext): void {
  router.post('/console/codes', async () => {
    const state = consoleStateOf(ctx);
    if (state.baseUrl === undefined)
      throw new HttpError(503, 'ConsoleUnavailableError', 'this daemon serves no console');
    const { code, expiresAt } = state.auth.issueCode();
    const body: ConsoleCodeResponse = {
      code,
      url: `${state.baseUrl()}/ui/login?code=${code}`,
      expiresAt: new Date(expiresAt).toISOString(),
    };
    return new RouteResponse(201, body);
  });
}
