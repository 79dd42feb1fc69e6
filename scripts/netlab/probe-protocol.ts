/**
 * The messages of the NAT checks' helper (probe.ts): the calls it reads on stdin, the answers it
 * writes on stdout, and each mode's request and result. Shared by the helper and probe-client.ts.
 */

/** A helper's modes. */
export type ProbeMode = 'serve' | 'whoami' | 'dial' | 'punch';

/** One call, a JSON line on the helper's stdin. */
export interface ProbeCall {
  /** Chosen by the caller (from 1), repeated in the answer. */
  id: number;
  /** What to do. */
  mode: ProbeMode;
  /** The mode's request. */
  request: unknown;
}

/** One answer, a JSON line on the helper's stdout; id 0 says the helper is ready. */
export interface ProbeAnswer {
  /** The call's id. */
  id: number;
  /** The mode's result. */
  result?: unknown;
  /** Why the call failed. */
  error?: string;
}

/** Result of `serve`. */
export interface ServeResult {
  /** The ports it listens on. */
  listening: number[];
}

/** An ip:port. */
export interface Endpoint {
  /** IPv4 address. */
  host: string;
  /** TCP port. */
  port: number;
}

/** Request of `serve`. */
export interface ServeRequest {
  /** Ports to listen on (all addresses). */
  ports: number[];
}

/** Request of `whoami`. */
export interface WhoamiRequest {
  /** The local port every connection is made from. */
  localPort: number;
  /** `serve` servers to ask. */
  targets: Endpoint[];
  /** Per connection (ms). */
  timeoutMs: number;
  /** How long to keep the connections (and so the NAT's mappings) open after reporting (ms). */
  holdMs?: number;
}

/** What one `whoami` server saw, or why it could not be asked. */
export interface Seen {
  /** The server asked. */
  target: Endpoint;
  /** The source address the server saw. */
  ip?: string;
  /** The source port the server saw. */
  port?: number;
  /** Why it failed. */
  error?: string;
}

/** Result of `whoami`. */
export interface WhoamiResult {
  /** One per target, in order. */
  seen: Seen[];
}

/** Request of `dial`. */
export interface DialRequest extends Endpoint {
  /** How long to wait (ms). */
  timeoutMs: number;
}

/** How a connection attempt ended. */
export type DialOutcome = 'connected' | 'refused' | 'unreachable' | 'timeout' | 'error';

/** Result of `dial` and `punch`. */
export interface DialResult {
  /** How it ended. */
  outcome: DialOutcome;
  /** The error code, for `error`, `refused` and `unreachable`. */
  code?: string;
  /** Time from the attempt to its end (ms). */
  elapsedMs: number;
}

/** Request of `punch`. */
export interface PunchRequest extends Endpoint {
  /** The local port to connect from (nothing listens on it). */
  localPort: number;
  /** Epoch ms at which to start, so both sides start together. */
  startAt: number;
  /** How long to try (ms), from `startAt`. */
  timeoutMs: number;
  /** The line to send once connected. */
  hello: string;
}

/** Result of `punch`: `connected` only when the peer's hello arrived. */
export interface PunchResult extends DialResult {
  /** The peer's hello line. */
  peerSaid?: string;
}
