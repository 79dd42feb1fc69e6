/**
 * Noise's X25519 with keys imported as raw bytes instead of DER.
 *
 * @chainsafe/libp2p-noise's node crypto imports both keys of every Diffie-Hellman as DER
 * (PKCS#8, SPKI), which runs OpenSSL 3's decoder framework: 370 us for a private key and 80 us
 * for a public one, against 33 us for the X25519 itself (measured on this 2-core machine,
 * tmp-w/x-cost.mjs in the session notes). Three DH per side make that 1.4 ms of every connection's
 * handshake per side, 9-13% of a simulated peer's CPU. node:crypto's JWK import hands the raw
 * 32 bytes to OpenSSL directly (`initEDRaw`): 29 us and 8 us. Same keys, same X25519, same output;
 * checked against Noise's default at load ({@link selfTest}), or Noise's default is kept.
 *
 * Node requires a private OKP JWK to carry `x` (the public key) but only type-checks it: the key is
 * built from `d` alone (the self-test covers it), so a placeholder is passed.
 */
import type { ICryptoInterface } from '@chainsafe/libp2p-noise';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes } from 'node:crypto';

type NoiseKey = Parameters<ICryptoInterface['generateX25519SharedKey']>[0];

/** The placeholder `x` of a private JWK (node builds the key from `d`). */
const PLACEHOLDER_X = Buffer.alloc(32).toString('base64url');

function bytes(k: NoiseKey): Buffer {
  const u = k instanceof Uint8Array ? k : k.subarray();
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** X25519(privateKey, publicKey) with both keys imported raw (see the module comment). */
function sharedKey(privateKey: NoiseKey, publicKey: NoiseKey): Uint8Array {
  const priv = bytes(privateKey);
  const pub = bytes(publicKey);
  if (priv.byteLength !== 32 || pub.byteLength !== 32) throw new RangeError('X25519 keys are 32 bytes');
  return diffieHellman({
    privateKey: createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: priv.toString('base64url'), x: PLACEHOLDER_X },
      format: 'jwk',
    }),
    publicKey: createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: pub.toString('base64url') },
      format: 'jwk',
    }),
  });
}

/** Whether {@link sharedKey} gives Noise's default's bytes, both ways round, for fresh key pairs. */
function selfTest(): boolean {
  try {
    for (let i = 0; i < 3; i++) {
      const a = defaultCrypto.generateX25519KeyPairFromSeed(randomBytes(32));
      const b = defaultCrypto.generateX25519KeyPair();
      const expected = Buffer.from(defaultCrypto.generateX25519SharedKey(a.privateKey, b.publicKey));
      if (!expected.equals(Buffer.from(sharedKey(a.privateKey, b.publicKey)))) return false;
      if (!expected.equals(Buffer.from(sharedKey(b.privateKey, a.publicKey)))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

let passed: boolean | undefined;

/**
 * `base` (Noise's crypto) with its X25519 shared-key computation importing keys raw: same bytes,
 * about 1.4 ms less per handshake side. `base` itself when the self-test fails, or when
 * `PEERMPC_NOISE_CRYPTO=node`.
 */
export function withFastX25519(base: ICryptoInterface): ICryptoInterface {
  if (process.env.PEERMPC_NOISE_CRYPTO === 'node') return base;
  passed ??= selfTest();
  // sharedKey uses no `this`, however Noise calls it
  return passed ? { ...base, generateX25519SharedKey: sharedKey } : base;
}
