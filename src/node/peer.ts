/**
 * The peer: the facade the daemon uses. One libp2p node with a persistent identity, a dataset
 * catalog advertised in the DHT, access lists, and MPC sessions over libp2p streams.
 *
 * @example
 * const peer = await createPeer({ dataDir: '/tmp/alice', listen: ['/ip4/127.0.0.1/tcp/0'] });
 * await peer.datasets.add({ csvPath: 'heights.csv', name: 'heights', tags: ['health'] });
 * const { found } = await peer.datasets.search('health');
 * await peer.stop();
 */
import '../polyfills.js';
import { PeerImpl } from './peer-impl.js';

import type { Peer } from './peer-api.js';
import type { AbortOptions, PeerInit } from './types.js';

export type * from './types.js';
export * from './errors.js';
export {
  RequestError,
  type HandleRequestsOptions,
  type RequestHandler,
  type RequestOptions,
} from './request-protocol.js';

export type { AccessControl, DatasetCatalog, Peer } from './peer-api.js';

/** Options of {@link createPeer}. */
export interface CreatePeerOptions extends AbortOptions {
  /** Start the node before resolving. Default true. */
  start?: boolean;
}

/**
 * Creates (and by default starts) a peer from `init`: loads or creates the identity key, opens the
 * on-disk state of `init.dataDir`, builds the libp2p node.
 *
 * @throws {KeyFileError} when the identity key file is readable by others or corrupt.
 * @throws {StateFileError} when the access lists or a stored dataset description are corrupt.
 */
export async function createPeer(init: PeerInit, options: CreatePeerOptions = {}): Promise<Peer> {
  const peer = await PeerImpl.create(init);
  if (options.start !== false) {
    try {
      await peer.start(options);
    } catch (err) {
      await peer.stop().catch(() => {}); // the start error below is what the caller needs
      throw err;
    }
  }
  return peer;
}
