/**
 * Public keys behind peer ids, for layers above src/node that verify signatures (jobs) without
 * importing libp2p themselves.
 */
import '../polyfills.js';
import { peerIdFromString } from '@libp2p/peer-id';

/** An Ed25519 public key that can check a signature. */
export interface PeerPublicKey {
  /** True when `signature` is this key's signature of `data`. */
  verify(data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
}

/** The Ed25519 public key embedded in `peerId`, or undefined when it is not an Ed25519 peer id. */
export function ed25519PublicKeyOf(peerId: unknown): PeerPublicKey | undefined {
  if (typeof peerId !== 'string') return undefined;
  try {
    const key = peerIdFromString(peerId).publicKey;
    return key?.type === 'Ed25519' ? key : undefined;
  } catch {
    return undefined; // not a peer id at all
  }
}
