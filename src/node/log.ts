/**
 * Loggers of the node layer: libp2p's component logger under `peermpc:<component>`, so
 * `DEBUG=peermpc:*` shows peermpc's messages and `DEBUG=libp2p:*` libp2p's, with the same
 * formatters (`%p` peer id, `%a` multiaddr, `%e` error). Never log a share, a key or a data value.
 */
import '../polyfills.js';
import type { Logger } from '@libp2p/interface';
import { defaultLogger } from '@libp2p/logger';

/** The logger of `component`, namespace `peermpc:<component>`. */
export function nodeLogger(component: string): Logger {
  return defaultLogger().forComponent(`peermpc:${component}`);
}
