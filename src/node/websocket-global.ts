/**
 * @libp2p/websockets dials with the global `WebSocket`, which Node 22+ has and Node 20 lacks
 * (there it hides behind --experimental-websocket). When it is missing, install the `ws`
 * package's WHATWG-compatible client, resolved through @libp2p/websockets (which depends on it for
 * its server side), so peermpc needs no dependency of its own for it.
 */
import { createRequire } from 'node:module';

/** Makes `globalThis.WebSocket` available (no-op when the runtime has it). */
export function ensureWebSocketGlobal(): void {
  const g = globalThis as { WebSocket?: unknown };
  if (typeof g.WebSocket === 'function') return;
  const require = createRequire(import.meta.resolve('@libp2p/websockets'));
  g.WebSocket = (require('ws') as { WebSocket: unknown }).WebSocket;
}
