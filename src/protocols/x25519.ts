/**
 * X25519 (RFC 7748) for the session set-up: through node:crypto (OpenSSL) where it exists, else
 * @noble/curves, the portable path. Same bytes either way: a 32-byte secret key in RFC 7748's
 * encoding, a 32-byte public u-coordinate, a 32-byte shared secret. node:crypto costs about
 * 0.05 ms per agreement against 1-5 ms for @noble/curves on the development machine, which made
 * a session of n parties spend n - 1 times that per party before its first step (issue 18).
 *
 * Both refuse a peer key that yields the all-zero shared secret (a low-order point, RFC 7748
 * section 6.1): OpenSSL fails the derivation, @noble/curves throws; here both become a
 * RangeError, so a malicious party cannot force a known pair seed.
 */
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { x25519 as noble } from '@noble/curves/ed25519.js';

/** Which implementation runs; node:crypto unless `PEERMPC_X25519=noble` or it is missing. */
export type X25519Impl = 'node' | 'noble';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/**
 * The node:crypto private key of `sk`, imported as a JWK (a DER import costs 0.4 ms, a JWK one
 * 0.03). Node derives the public key from `d` and requires an `x` it does not use: `d` stands in.
 */
function privateKey(sk: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(sk), x: b64(sk) }, format: 'jwk' });
}

function pickImpl(): X25519Impl {
  if (process.env.PEERMPC_X25519 === 'noble') return 'noble';
  try {
    return privateKey(new Uint8Array(randomBytes(32))).asymmetricKeyType === 'x25519' ? 'node' : 'noble';
  } catch {
    return 'noble';
  }
}

/** The implementation chosen at load. */
export const x25519Impl: X25519Impl = pickImpl();

function checkKey(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== 32)
    throw new RangeError(`${what} must be 32 bytes`);
}

const LOW_ORDER = 'the x25519 public key gives no shared secret (a low-order point)';

/** One party's key for a set-up: its public key, and agreement with each peer's. */
export interface X25519Key {
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret with a peer's public key `pk`.
   * @throws {RangeError} when `pk` is not 32 bytes or is a low-order point (all-zero secret)
   */
  shared(pk: Uint8Array): Uint8Array;
}

/**
 * A key from the secret `sk` (32 bytes, RFC 7748 encoding), or a fresh random one; the
 * node:crypto key object is made once and used for every agreement.
 * @throws {RangeError} when `sk` is not 32 bytes
 */
export function x25519Key(sk?: Uint8Array, impl: X25519Impl = x25519Impl): X25519Key {
  const secret = sk ?? (impl === 'node' ? new Uint8Array(randomBytes(32)) : noble.utils.randomSecretKey());
  checkKey(secret, 'an x25519 secret key');
  if (impl === 'noble') {
    const own = Uint8Array.from(secret);
    return {
      publicKey: noble.getPublicKey(own),
      shared: (pk) => agreed(() => noble.getSharedSecret(own, pk), pk),
    };
  }
  const key = privateKey(secret);
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  const publicKey = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  return {
    publicKey,
    shared: (pk) =>
      agreed(() => {
        const theirs = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(pk) }, format: 'jwk' });
        return new Uint8Array(diffieHellman({ privateKey: key, publicKey: theirs }));
      }, pk),
  };
}

function agreed(derive: () => Uint8Array, pk: Uint8Array): Uint8Array {
  checkKey(pk, 'an x25519 public key');
  let shared: Uint8Array;
  try {
    shared = derive();
  } catch {
    throw new RangeError(LOW_ORDER);
  }
  if (shared.every((b) => b === 0)) throw new RangeError(LOW_ORDER);
  return shared;
}

/** The public key of `sk`. @throws {RangeError} when `sk` is not 32 bytes */
export function x25519PublicKey(sk: Uint8Array, impl: X25519Impl = x25519Impl): Uint8Array {
  return x25519Key(sk, impl).publicKey;
}

/**
 * The shared secret of `sk` and a peer's public key `pk`.
 * @throws {RangeError} when a key is not 32 bytes, or `pk` is a low-order point (all-zero secret)
 */
export function x25519Shared(sk: Uint8Array, pk: Uint8Array, impl: X25519Impl = x25519Impl): Uint8Array {
  return x25519Key(sk, impl).shared(pk);
}
