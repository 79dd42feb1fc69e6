/**
 * What the console's mount (`/ui`) and its API route (`POST /console/codes`) share for one daemon:
 * the login codes and sessions, and the base URL the API listens on (known once it listens).
 */
import type { ApiContext } from '../api/context.js';
import { ConsoleAuth, type ConsoleAuthInit } from './session.js';

/** The console's state of one daemon. */
export interface ConsoleState {
  /** Login codes and sessions. */
  readonly auth: ConsoleAuth;
  /** The control API's base URL (`http://127.0.0.1:<port>`), once the console is mounted. */
  baseUrl?: () => string;
}

const states = new WeakMap<ApiContext, ConsoleState>();

/** The console state of the daemon of `ctx` (created on first use, with `init` then). */
export function consoleStateOf(ctx: ApiContext, init?: ConsoleAuthInit): ConsoleState {
  let s = states.get(ctx);
  if (s === undefined) {
    s = { auth: new ConsoleAuth(init) };
    states.set(ctx, s);
  }
  return s;
}
