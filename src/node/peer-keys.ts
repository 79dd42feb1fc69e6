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

/**
 * Longest peer id string decoded (Ed25519 ids are 52 characters; RSA ones a few hundred at most):
 * base58 decoding takes time quadratic in the length, so a megabyte "peer id" from the wire would
 * hold the event loop for minutes.
 */
export const MAX_PEER_ID_CHARS = 1024;

/** The Ed25519 public key embedded in `peerId`, or undefined when it is not an Ed25519 peer id. */
export function ed25519PublicKeyOf(peerId: unknown): PeerPublicKey | undefined {
  if (typeof peerId !== 'string' || peerId.length > MAX_PEER_ID_CHARS) return undefined;
  try {
    const key = peerIdFromString(peerId).publicKey;
    return key?.type === 'Ed25519' ? key : undefined;
  } catch {
    return undefined; // not a peer id at all
  }
}
