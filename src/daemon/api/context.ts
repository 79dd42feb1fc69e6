/** What every route handler of the control API can reach. */
import type { Peer } from '../../node/peer.js';

/** The part of the {@link Peer} the control API uses (tests pass a fake). */
export type ApiPeer = Pick<
  Peer,
  'peerId' | 'multiaddrs' | 'status' | 'connectedPeers' | 'dial' | 'ping' | 'datasets' | 'access'
>;

/** Shared state handed to each resource's route registration. */
export interface ApiContext {
  /** The running peer. */
  peer: ApiPeer;
  /** The daemon's data directory (absolute). */
  dataDir: string;
  /** peermpc's version. */
  version: string;
  /** When the daemon started (ms since the epoch). */
  startedAt: number;
  /**
   * Registers cleanup for something a resource started (e.g. a service that answers other peers):
   * the daemon runs the hooks, last registered first, after the API stopped and before the peer stops.
   */
  onStop(hook: () => Promise<void> | void): void;
  /** Prints one line of activity for the operator (jobs received, decided, started, ended). */
  activity?: (line: string) => void;
}
