/**
 * Peers: `GET /peers` (open connections), `POST /peers/connect` `{ target }` (dial a multiaddr or
 * peer id), `POST /peers/ping` `{ target }`.
 */
import type { ConnectedPeer } from '../../../node/types.js';
import type { ApiContext } from '../context.js';
import type { Router } from '../router.js';
import { objectBody, requiredString } from '../validate.js';

/** Body of `GET /peers`. */
export interface PeersResponse {
  /** Open connections, sorted by peer id. */
  peers: ConnectedPeer[];
}

/** Body of `POST /peers/connect`. */
export interface ConnectResponse {
  /** The peer id that answered. */
  peerId: string;
}

/** Body of `POST /peers/ping`. */
export interface PingResponse {
  /** The peer id pinged. */
  peerId: string;
  /** Round-trip time in ms. */
  rttMs: number;
}

/** Registers the peer routes. */
export function peerRoutes(router: Router, ctx: ApiContext): void {
  router.get('/peers', async (): Promise<PeersResponse> => {
    const peers = [...ctx.peer.connectedPeers()].sort((a, b) => a.peerId.localeCompare(b.peerId));
    return { peers };
  });

  router.post('/peers/connect', async (req): Promise<ConnectResponse> => {
    const target = requiredString(objectBody(await req.body()), 'target');
    return { peerId: await ctx.peer.dial(target, { signal: req.signal }) };
  });

  router.post('/peers/ping', async (req): Promise<PingResponse> => {
    const target = requiredString(objectBody(await req.body()), 'target');
    const rttMs = await ctx.peer.ping(target, { signal: req.signal });
    return { peerId: target, rttMs };
  });
}
