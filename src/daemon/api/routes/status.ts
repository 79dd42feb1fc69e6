/** `GET /status`: the daemon's identity, addresses and counters. */
import type { PeerStatus } from '../../../node/types.js';
import type { ApiContext } from '../context.js';
import type { Router } from '../router.js';

/** Body of `GET /status`. */
export interface StatusResponse extends PeerStatus {
  /** peermpc's version. */
  version: string;
  /** The daemon's process id. */
  pid: number;
  /** The daemon's data directory. */
  dataDir: string;
  /** Milliseconds since the daemon started. */
  uptimeMs: number;
}

/** Registers the status route. */
export function statusRoutes(router: Router, ctx: ApiContext): void {
  router.get('/status', async (): Promise<StatusResponse> => ({
    ...ctx.peer.status(),
    version: ctx.version,
    pid: process.pid,
    dataDir: ctx.dataDir,
    uptimeMs: Date.now() - ctx.startedAt,
  }));
}
