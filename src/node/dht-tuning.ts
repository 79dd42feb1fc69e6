/**
 * Kademlia routing-table admission, patched from the outside (as libp2p-tuning.ts patches Yamux
 * and Noise): which newly learned peers kad-dht may add to its routing table.
 *
 * @libp2p/kad-dht 16 offers every peer it hears of (each peer in every FIND_NODE and GET_PROVIDERS
 * answer, not only the peers it talks to) to its routing table, and a peer with room in its bucket
 * is first "verified" by a ping, which dials it. So every lookup's answers are dialled, and a
 * joining peer's self-lookup connects it to about k x log2(n / k) peers (85 of 200): each with a
 * Noise handshake, identify and a ping, and a connection kept open afterwards. In one process of
 * 50 simulated peers that is a full mesh (49 connections each) within seconds of the start; at 200
 * it is the start time and the memory of the simulation.
 *
 * With {@link admitConnectedContactsOnly}, a new contact is verified only over a connection this
 * peer already has (a peer it queried, that queried it, or that it dialled for another reason);
 * a contact it is not connected to is not added now, and will be when this peer next talks to it.
 * This is how go-libp2p-kad-dht fills its table (peers that answered a query or connected with
 * the DHT protocol), and it is a little harder to poison: a lying answer can no longer make this
 * peer dial and record the peers it names. Lookups are unchanged: they still ask the closer peers
 * an answer names.
 */
import type { PeerNode } from './libp2p-node.js';

/** The kad-dht 16 internals the patch relies on. */
interface RoutingTableInternals {
  kb?: { verify?: (contact: { peerId: unknown }, options?: unknown) => Promise<boolean> };
}

/**
 * Makes `node`'s DHT verify (and so add) only contacts it is connected to. Returns whether the
 * patch applied: false when kad-dht's internals differ from the version this package depends on
 * (then the table behaves as kad-dht's own, and only the saving is lost).
 */
export function admitConnectedContactsOnly(node: PeerNode): boolean {
  const table = (node.services.dht as unknown as { routingTable?: RoutingTableInternals }).routingTable;
  const kb = table?.kb;
  const verify = kb?.verify;
  if (kb === undefined || typeof verify !== 'function') return false;
  kb.verify = async (contact, options) => {
    const connected = node.getConnections(contact.peerId as Parameters<PeerNode['getConnections']>[0]);
    return connected.some((c) => c.status === 'open') ? verify.call(kb, contact, options) : false;
  };
  return true;
}
