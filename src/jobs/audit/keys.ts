/**
 * The keys of the audit log: every entry is signed with the peer's Ed25519 identity key (the one in
 * `<dataDir>/peer.key`, whose public half is the peer id), and checked with the public key in the
 * peer id. Appends are synchronous (a crash must never leave an action without its entry), so the
 * signer is synchronous too: Ed25519 in node:crypto.
 */
import '../../polyfills.js';
import {
  createPrivateKey,
  createPublicKey,
  sign as edSign,
  verify as edVerify,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { AuditLogError } from '../errors.js';

/** Signs the log's entries (synchronously) as `peerId`. */
export interface AuditSigner {
  /** Whose key. */
  readonly peerId: string;
  /** The Ed25519 signature of `data`. */
  sign(data: Uint8Array): Uint8Array;
}

/** Checks signatures of one peer's log. */
export interface AuditVerifier {
  /** Whose key. */
  readonly peerId: string;
  /** True when `signature` is the peer's signature of `data`. */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const verifiers = new Map<string, AuditVerifier | null>();

/** The verifier of an Ed25519 peer id, or undefined when `peerId` is not one. Cached. */
export function auditVerifier(peerId: string): AuditVerifier | undefined {
  let v = verifiers.get(peerId);
  if (v === undefined) {
    v = null;
    try {
      const pub = peerIdFromString(peerId).publicKey;
      if (pub?.type === 'Ed25519') {
        const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(pub.raw) }, format: 'jwk' });
        v = {
          peerId,
          verify: (data, signature) => signature.length === 64 && edVerify(null, data, key, signature),
        };
      }
    } catch {
      // not a peer id
    }
    if (verifiers.size > 4096) verifiers.clear();
    verifiers.set(peerId, v);
  }
  return v ?? undefined;
}

/** A raw libp2p Ed25519 private key (64 bytes: seed, then public key). */
interface RawEd25519Key {
  readonly type: string;
  readonly raw: Uint8Array;
}

function isRawEd25519(k: unknown): k is RawEd25519Key {
  const r = k as Partial<RawEd25519Key> | null;
  return r !== null && r.type === 'Ed25519' && r.raw instanceof Uint8Array && r.raw.length === 64;
}

/** A signer over a libp2p Ed25519 private key (`generateKeyPair('Ed25519')`, the peer key). */
export function auditSignerFromKey(key: RawEd25519Key, peerId: string): AuditSigner {
  if (!isRawEd25519(key)) throw new AuditLogError('the audit log needs an Ed25519 key');
  const priv: KeyObject = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: b64u(key.raw.subarray(0, 32)), x: b64u(key.raw.subarray(32)) },
    format: 'jwk',
  });
  const signer: AuditSigner = { peerId, sign: (data) => new Uint8Array(edSign(null, data, priv)) };
  const probe = new TextEncoder().encode('peermpc:audit:probe\n');
  if (auditVerifier(peerId)?.verify(probe, signer.sign(probe)) !== true)
    throw new AuditLogError(`the key given for the audit log is not the key of ${peerId}`);
  return signer;
}

/**
 * The signer of the key file `<dataDir>/peer.key` (libp2p protobuf), checked against `peerId` when
 * given.
 * @throws AuditLogError when the file cannot be read or holds another key.
 */
export function auditSignerFromKeyFile(path: string, peerId?: string): AuditSigner {
  let key;
  try {
    key = privateKeyFromProtobuf(readFileSync(path));
  } catch (err) {
    throw new AuditLogError(
      `cannot read the peer key ${path} to sign the audit log: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const id = peerIdFromPrivateKey(key).toString();
  if (peerId !== undefined && id !== peerId)
    throw new AuditLogError(`the peer key ${path} belongs to ${id}, not to ${peerId}`);
  return auditSignerFromKey(key as unknown as RawEd25519Key, id);
}

/**
 * The peer id of the key file `<dataDir>/peer.key` (for checking a log offline).
 * @throws AuditLogError when it cannot be read.
 */
export function peerIdOfKeyFile(path: string): string {
  try {
    return peerIdFromPrivateKey(privateKeyFromProtobuf(readFileSync(path))).toString();
  } catch (err) {
    throw new AuditLogError(`cannot read the peer key ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * A synchronous audit signer for `self` from what the job service was given: the key itself (an
 * in-process peer), a signer that answers synchronously, or else the key file `keyFile` (a daemon,
 * whose `peer.sign` is asynchronous).
 * @throws AuditLogError when none of these gives `self`'s key.
 */
export function resolveAuditSigner(
  self: string,
  signer: { sign(data: Uint8Array): Uint8Array | Promise<Uint8Array> },
  keyFile: string,
): AuditSigner {
  if (isRawEd25519(signer)) return auditSignerFromKey(signer, self);
  const probe = new TextEncoder().encode('peermpc:audit:probe\n');
  const sig = signer.sign(probe);
  if (sig instanceof Uint8Array) {
    if (auditVerifier(self)?.verify(probe, sig) === true)
      return { peerId: self, sign: (data) => signer.sign(data) as Uint8Array };
  } else void Promise.resolve(sig).catch(() => undefined);
  return auditSignerFromKeyFile(keyFile, self);
}
