/**
 * Component loggers for the layers that do not import libp2p (tensor, protocols, jobs).
 *
 * Same shape and the same `DEBUG` environment variable as libp2p's `logger.forComponent`
 * (both use weald, a debug fork): `DEBUG=peermpc:*` shows everything, `DEBUG=peermpc:*,-*:trace`
 * hides traces. Never log a share, a key or a data value: ids, shapes, rounds and byte counts only.
 */
import weald from 'weald';

/** A component logger: call it for info, `.error` for failures, `.trace` for chatty detail. */
export interface Logger {
  (formatter: string, ...args: unknown[]): void;
  /** Failures (namespace `<component>:error`). */
  error(formatter: string, ...args: unknown[]): void;
  /** Chatty detail (namespace `<component>:trace`). */
  trace(formatter: string, ...args: unknown[]): void;
  /** Whether the info namespace is enabled. */
  readonly enabled: boolean;
}

/** Returns the logger for `component`, namespaced `peermpc:<component>`. */
export function logger(component: string): Logger {
  const ns = `peermpc:${component}`;
  const info = weald(ns);
  const error = weald(`${ns}:error`);
  const trace = weald(`${ns}:trace`);
  const log = ((formatter: string, ...args: unknown[]) => info(formatter, ...args)) as Logger;
  log.error = (formatter, ...args) => error(formatter, ...args);
  log.trace = (formatter, ...args) => trace(formatter, ...args);
  Object.defineProperty(log, 'enabled', { get: () => info.enabled });
  return log;
}
