/**
 * Loggers of the node layer: libp2p's component logger under `peermpc:<component>`, so
 * `DEBUG=peermpc:*` shows peermpc's messages and `DEBUG=libp2p:*` libp2p's, with the same
 * formatters (`%p` peer id, `%a` multiaddr, `%e` error). Never log a share, a key or a data value.
 */
import '../polyfills.js';
import type { ComponentLogger, Logger } from '@libp2p/interface';
import { defaultLogger } from '@libp2p/logger';

/** The logger of `component`, namespace `peermpc:<component>`. */
export function nodeLogger(component: string): Logger {
  return defaultLogger().forComponent(`peermpc:${component}`);
}

/** A logger that drops everything (one object, shared: its scopes are itself). */
const silent: Logger = Object.assign(() => undefined, {
  error: () => undefined,
  trace: () => undefined,
  enabled: false,
  newScope: () => silent,
});

/**
 * The component logger to give libp2p: libp2p's own when `DEBUG` is set at start, else one that
 * drops everything. libp2p makes three `debug` instances per connection and per stream (each
 * checking whether stderr is a terminal): 4% of the CPU of a simulated peer's connection set-up,
 * for output nobody asked for. `DEBUG` is read once, when the node is built.
 */
export function libp2pLogger(): ComponentLogger {
  const debug = process.env.DEBUG;
  return debug !== undefined && debug.trim() !== '' ? defaultLogger() : { forComponent: () => silent };
}
