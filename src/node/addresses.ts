/**
 * Multiaddr parsing for layers above src/node (the daemon's config) that must not import libp2p's
 * packages themselves.
 */
import { multiaddr } from '@multiformats/multiaddr';

/**
 * The protocol names of a multiaddr string, outermost first (e.g. ['ip4', 'tcp', 'p2p']).
 * @throws Error when `addr` is not a valid multiaddr (the message says why).
 */
export function multiaddrProtocols(addr: string): string[] {
  return multiaddr(addr)
    .getComponents()
    .map((c) => c.name);
}
