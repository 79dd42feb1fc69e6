/**
 * Multiaddr parsing for layers above src/node (the daemon's config) that must not import libp2p's
 * packages themselves.
 */
import { peerIdFromString } from '@libp2p/peer-id';
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

/**
 * Why the `/p2p/<peer id>` parts of a multiaddr string are not peer ids (`/p2p/12D3Koo...` parses
 * as a multiaddr), or undefined when each is one.
 * @throws Error when `addr` is not a valid multiaddr.
 */
export function badPeerIdIn(addr: string): string | undefined {
  for (const c of multiaddr(addr).getComponents()) {
    if (c.name !== 'p2p') continue;
    try {
      peerIdFromString(c.value ?? '');
    } catch (err) {
      return `its /p2p/ part is not a peer id (${(err as Error).message})`;
    }
  }
  return undefined;
}
