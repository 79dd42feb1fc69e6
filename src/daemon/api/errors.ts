/**
 * Errors of the control API and how any error becomes an HTTP status and a JSON body.
 *
 * Every error response is `{ "error": { "name": ..., "message": ... } }`. Errors raised by the API
 * itself carry their status; errors from the peer are mapped by their fixed `name`.
 */

/** The JSON body of every error response. */
export interface ApiErrorBody {
  /** The error. */
  error: {
    /** A fixed error name, e.g. `NotFoundError`. */
    name: string;
    /** A human-readable message (never a token or a data value). */
    message: string;
  };
}

/** An error with an HTTP status. */
export class HttpError extends Error {
  /** The HTTP status code. */
  readonly status: number;
  constructor(status: number, name: string, message: string) {
    super(message);
    this.status = status;
    this.name = name;
  }
}

/** 400: the request is malformed or a field is invalid. */
export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, 'BadRequestError', message);
  }
}

/** 401: no bearer token, or the wrong one. */
export class UnauthorizedError extends HttpError {
  constructor(message = 'a valid bearer token is required') {
    super(401, 'UnauthorizedError', message);
  }
}

/** 404: no such route or resource. */
export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, 'NotFoundError', message);
  }
}

/** 405: the path exists but not with this method. */
export class MethodNotAllowedError extends HttpError {
  /** The methods the path accepts. */
  readonly allowed: string[];
  constructor(method: string, path: string, allowed: string[]) {
    super(
      405,
      'MethodNotAllowedError',
      `${method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`,
    );
    this.allowed = allowed;
  }
}

/** 413: the request body exceeds the limit. */
export class PayloadTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, 'PayloadTooLargeError', `request body exceeds ${limit} bytes`);
  }
}

/** 415: a body that is not JSON. */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(type: string) {
    super(415, 'UnsupportedMediaTypeError', `expected application/json, got ${type}`);
  }
}

/** 503: the daemon is shutting down. */
export class ShuttingDownError extends HttpError {
  constructor() {
    super(503, 'ShuttingDownError', 'the daemon is shutting down');
  }
}

/** Status codes of the peer's errors (src/node/errors.ts), by their fixed `name`. */
const PEER_ERROR_STATUS: Record<string, number> = {
  CsvImportError: 400,
  InvalidNameError: 400,
  InvalidPeerAddressError: 400,
  AccessDeniedError: 403,
  DatasetNotFoundError: 404,
  DatasetExistsError: 409,
  CatalogRequestError: 502,
  DescriptionVerificationError: 502,
  PeerNotStartedError: 503,
  SessionOpenError: 502,
  TimeoutError: 504,
  AbortError: 503,
};

/** Fallbacks for other errors (libp2p's included), by pattern of their `name`; first match wins. */
const NAME_STATUS: Array<[RegExp, number]> = [
  [
    /^(Dial|Connection\w*|Muxer\w*|Stream\w*|UnexpectedEOF|UnsupportedProtocol|Protocol|Encryption\w*)Error$/,
    502,
  ],
  [/NotFound/i, 404],
  [/Exists|Conflict/i, 409],
  [/Denied|Forbidden/i, 403],
  [/Timeout/i, 504],
  [/Invalid|Validation|Malformed/i, 400],
];

/** The HTTP status for any error: its own for {@link HttpError}, else by name (500 by default). */
export function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  const name = err instanceof Error ? err.name : '';
  const known = PEER_ERROR_STATUS[name];
  if (known !== undefined) return known;
  for (const [pattern, status] of NAME_STATUS) if (pattern.test(name)) return status;
  return 500;
}

/** The JSON body for any error. */
export function errorBody(err: unknown): ApiErrorBody {
  if (err instanceof Error) return { error: { name: err.name || 'Error', message: err.message } };
  return { error: { name: 'Error', message: String(err) } };
}
