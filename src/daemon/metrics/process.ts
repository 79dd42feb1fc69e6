/**
 * The process's own metrics (CPU, resident memory, heap, event loop lag, GC, handles: prom-client's
 * default metrics, `process_*` and `nodejs_*`), in one registry per process: several daemons of one
 * process report the same process, and prom-client's collectors (a GC observer, an event loop
 * monitor) are started once, not once per daemon.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/** The process's registry, created with its collectors on first use. */
export function processRegistry(): Registry {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
