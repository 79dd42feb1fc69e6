/**
 * A small router for the control API: method + path pattern (`/datasets/:owner/:name`) to handler.
 *
 * Each resource registers its routes from its own file under `routes/` (see `routes/index.ts`), so
 * adding a resource (e.g. `/jobs`) is one new file and one line. Static segments are matched
 * literally, `:name` segments capture one URL-decoded segment. Routes are tried in registration
 * order; a path that matches with another method gives 405.
 */
import { MethodNotAllowedError, NotFoundError } from './errors.js';

/** HTTP methods the API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a handler gets. */
export interface RouteRequest {
  /** Values of the `:name` segments. */
  params: Record<string, string>;
  /** The query string. */
  query: URLSearchParams;
  /** Reads and parses the JSON body (size-limited); `undefined` when there is none. */
  body(): Promise<unknown>;
  /** Aborted when the client goes away, the request times out or the daemon shuts down. */
  signal: AbortSignal;
}

/**
 * A handler's explicit response; returning any other value sends it as JSON with status 200. With
 * a `contentType`, `body` is a string sent as it is (e.g. Prometheus's text format); else JSON.
 */
export class RouteResponse {
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** JSON body, or the text of a `contentType` response. */
    readonly body: unknown,
    /** The content type of a text body (`text/plain; version=0.0.4; charset=utf-8`). */
    readonly contentType?: string,
  ) {}
}

/** Handles one route; its result is sent as JSON (see {@link RouteResponse}). */
export type RouteHandler = (req: RouteRequest) => Promise<unknown>;

/** Per-route settings. */
export interface RouteOptions {
  /** Time budget of the handler in ms, instead of the server's default; 0 means none (e.g. a job that streams progress). */
  timeoutMs?: number;
}

interface Route {
  method: Method;
  segments: string[];
  handler: RouteHandler;
  options: RouteOptions;
}

/** A route that matched, with its captured params. */
export interface RouteMatch {
  /** The handler. */
  handler: RouteHandler;
  /** The captured `:name` segments. */
  params: Record<string, string>;
  /** The route's settings. */
  options: RouteOptions;
}

/** Method + pattern routing; see the module comment. */
export class Router {
  private readonly routes: Route[] = [];

  /** Registers `handler` for `method` on `pattern` (e.g. `/datasets/:name`). */
  add(method: Method, pattern: string, handler: RouteHandler, options: RouteOptions = {}): this {
    if (!pattern.startsWith('/')) throw new TypeError(`route pattern must start with /: ${pattern}`);
    this.routes.push({ method, segments: split(pattern), handler, options });
    return this;
  }

  /** Shorthand for `add('GET', ...)`. */
  get(pattern: string, handler: RouteHandler, options?: RouteOptions): this {
    return this.add('GET', pattern, handler, options);
  }

  /** Shorthand for `add('POST', ...)`. */
  post(pattern: string, handler: RouteHandler, options?: RouteOptions): this {
    return this.add('POST', pattern, handler, options);
  }

  /** Shorthand for `add('DELETE', ...)`. */
  delete(pattern: string, handler: RouteHandler, options?: RouteOptions): this {
    return this.add('DELETE', pattern, handler, options);
  }

  /**
   * Finds the route for `method` and `path` (without query string).
   *
   * @throws NotFoundError when no route has this path; MethodNotAllowedError when none has this method.
   */
  match(method: string, path: string): RouteMatch {
    const parts = split(path);
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (params === undefined) continue;
      if (route.method === method) return { handler: route.handler, params, options: route.options };
      allowed.add(route.method);
    }
    if (allowed.size > 0) throw new MethodNotAllowedError(method, path, [...allowed]);
    throw new NotFoundError(`no route ${method} ${path}`);
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const v = parts[i]!;
    if (p.startsWith(':')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(v);
      } catch {
        return undefined; // a malformed %-escape matches no route (404)
      }
      params[p.slice(1)] = decoded;
    } else if (p !== v) {
      return undefined;
    }
  }
  return params;
}
