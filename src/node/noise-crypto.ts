/**
 * Noise's ChaCha20-Poly1305 through the native addon native/aead.cc (OpenSSL's EVP API of the node
 * binary itself), for libp2p connection encryption.
 *
 * Noise's default crypto builds a node:crypto cipher object per 65,519-byte chunk and copies its
 * outputs together; decryption ignores Noise's `dst` and allocates. Here the addon reuses one cipher
 * context per thread and writes straight into the output: ciphertexts are carved from 1 MiB slabs
 * (one ArrayBuffer per slab, not per chunk), each with 2 bytes free before it for Noise's length
 * prefix ({@link prefixedCiphertext}: one socket write per message, no copy), plaintexts are
 * decrypted in place ({@link DECRYPT_IN_PLACE}: a message cut between two socket reads in each of
 * its parts, so no plaintext needs a buffer of its own; noise-tuning.ts).
 * Same cipher, same bytes (RFC 8439 ChaCha20-Poly1305, 12-byte nonce, 16-byte tag): peers using
 * either implementation interoperate. Hashing, HKDF and X25519 stay Noise's default.
 *
 * Optional: when the addon is not built, does not load or fails its self-test against the default
 * at load, or when `PEERMPC_NOISE_CRYPTO=node`, {@link fastNoiseCrypto} returns undefined and Noise
 * uses its default crypto.
 */
import type { ICryptoInterface } from '@chainsafe/libp2p-noise';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Uint8ArrayList } from 'uint8arraylist';
import { largeUnfilledBuffer } from '../util/large-buffers.js';
import { packageRoot } from '../util/paths.js';

/**
 * What Noise hands its crypto: a Uint8Array or a Uint8ArrayList of Noise's own uint8arraylist
 * version (2.x, not the 3.x this package depends on; both iterate over their buffers).
 */
type NoiseBytes = Parameters<ICryptoInterface['chaCha20Poly1305Encrypt']>[0];

/** The exports of native/aead.cc. */
interface AeadAddon {
  /** Writes ciphertext || tag of the concatenated `parts` into `out` (exactly their length + 16). */
  seal(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    parts: Uint8Array | Uint8Array[],
    out: Uint8Array,
  ): void;
  /** Verifies and decrypts ciphertext || tag into `out` (may alias the ciphertext); false, `out` zeroed, on a bad tag. */
  open(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    parts: Uint8Array | Uint8Array[],
    out: Uint8Array,
  ): boolean;
  /** As `open`, each part's ciphertext bytes decrypted where they are; false, those bytes zeroed, on a bad tag. */
  openInPlace?(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, parts: Uint8Array[]): boolean;
}

/** The Poly1305 tag length. */
const TAG_BYTES = 16;
/** Ciphertexts are carved from slabs of this size. */
const SLAB_BYTES = 1 << 20;
/** Ciphertexts start on this boundary inside a slab. */
const SLAB_ALIGN = 64;

/** A ciphertext or its tag did not verify (tampered, wrong key, nonce or associated data). */
export class NoiseDecryptError extends Error {
  override readonly name = 'NoiseDecryptError';
  constructor(message = 'Invalid chacha20poly1305 decryption') {
    super(message);
  }
}

let addon: AeadAddon | null | undefined;
let nativeNoise: ICryptoInterface | undefined;
let slab: Buffer = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

/**
 * `n` bytes of fresh output. A slab is only ever carved forward, so a returned view is never handed
 * out again; a slab is freed when the last view into it is.
 */
function carve(n: number): Buffer {
  if (n > SLAB_BYTES / 4) return largeUnfilledBuffer(n);
  if (slabUsed + n > slab.byteLength) {
    slab = largeUnfilledBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed = Math.min(slab.byteLength, (slabUsed + n + SLAB_ALIGN - 1) & ~(SLAB_ALIGN - 1));
  return out;
}

/** Bytes sealed before each ciphertext for Noise's u16 length prefix. */
const PREFIX_BYTES = 2;

/** Ciphertexts sealed with {@link PREFIX_BYTES} of their slab free before them, not yet joined. */
const withRoom = new WeakSet<Uint8Array>();

/**
 * `prefix` (Noise's 2-byte length) and `ciphertext` as one buffer without a copy, when
 * `ciphertext` was sealed here with room for it before (once per ciphertext); else undefined.
 */
export function prefixedCiphertext(prefix: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  if (prefix.length !== PREFIX_BYTES || !withRoom.delete(ciphertext)) return undefined;
  const whole = new Uint8Array(
    ciphertext.buffer,
    ciphertext.byteOffset - PREFIX_BYTES,
    ciphertext.length + PREFIX_BYTES,
  );
  whole[0] = prefix[0]!;
  whole[1] = prefix[1]!;
  return whole;
}

/**
 * Noise's `dst` that asks for a message to be decrypted where it is: a whole message into its own
 * first bytes, a message in parts (cut between socket reads) in each part, the plaintext then being
 * a list of the parts' bytes before the tag (noise-tuning.ts). The parts must be the reader's own
 * (no one else reads them). Without the addon's in-place open, or in more than its 16 parts, a
 * message in parts is decrypted into a buffer of its own.
 */
export const DECRYPT_IN_PLACE = new Uint8Array(0);

/** Parts the addon decrypts in place (its limit); a message in more goes into a buffer of its own. */
const MAX_IN_PLACE_PARTS = 16;

/** The first `n` bytes across `parts`, as views. */
function firstBytes(parts: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = n;
  for (const b of parts) {
    if (left === 0) break;
    const take = Math.min(b.length, left);
    if (take > 0) out.push(take === b.length ? b : b.subarray(0, take));
    left -= take;
  }
  return out;
}

/**
 * Decrypts a message in parts where they lie (see {@link DECRYPT_IN_PLACE}): its plaintext as
 * views of them. Throws NoiseDecryptError on a bad tag.
 */
function openParts(
  openInPlace: NonNullable<AeadAddon['openInPlace']>,
  parts: Uint8Array[],
  nonce: Uint8Array,
  ad: Uint8Array,
  k: Uint8Array,
  n: number,
): Uint8Array | Uint8ArrayList {
  if (!openInPlace(k, nonce, ad, parts)) throw new NoiseDecryptError();
  const text = firstBytes(parts, n);
  return text.length === 1 ? text[0]! : new Uint8ArrayList(...text);
}

function partsOf(data: NoiseBytes): Uint8Array | Uint8Array[] {
  return data instanceof Uint8Array ? data : [...data];
}

function nativeCrypto(aead: AeadAddon): ICryptoInterface {
  // Noise calls these detached from the object (wrapCrypto): no `this`.
  return {
    ...defaultCrypto,
    chaCha20Poly1305Encrypt(plaintext, nonce, ad, k) {
      const n = plaintext.byteLength + TAG_BYTES;
      const out = carve(PREFIX_BYTES + n).subarray(PREFIX_BYTES);
      aead.seal(k, nonce, ad, partsOf(plaintext), out);
      withRoom.add(out);
      return out;
    },
    chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst) {
      const n = ciphertext.byteLength - TAG_BYTES;
      if (n < 0) throw new NoiseDecryptError('Invalid chacha20poly1305 decryption: shorter than the tag');
      const input = partsOf(ciphertext);
      let target = dst;
      if (dst === DECRYPT_IN_PLACE) {
        if (input instanceof Uint8Array) target = input.subarray(0, n);
        else if (aead.openInPlace !== undefined && input.length <= MAX_IN_PLACE_PARTS)
          // a list of parts is of this package's uint8arraylist version, not Noise's: Noise only hands it on
          return openParts(aead.openInPlace, input, nonce, ad, k, n) as Uint8Array;
      }
      const out = target !== undefined && target.byteLength === n ? target : Buffer.allocUnsafe(n);
      if (!aead.open(k, nonce, ad, input, out)) throw new NoiseDecryptError();
      return out;
    },
  };
}

function bytesEqual(a: NoiseBytes, b: NoiseBytes): boolean {
  return Buffer.from(a.subarray()).equals(Buffer.from(b.subarray()));
}

/**
 * Checks the native functions against Noise's default at load: sizes on both sides of the default's
 * 1200-byte switch between its two implementations and past the addon's 4 KiB update pieces,
 * single- and multi-part input, in-place decryption (whole and in parts), and a rejected tampered tag.
 */
function selfTest(c: ICryptoInterface): boolean {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
  const nonce = Uint8Array.from({ length: 12 }, (_, i) => 255 - i);
  const ad = Uint8Array.from({ length: 32 }, (_, i) => i ^ 0x5a);
  for (const size of [0, 77, 5000]) {
    const plain = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 3) & 255);
    const cut = Math.floor(size / 3);
    const expected = defaultCrypto.chaCha20Poly1305Encrypt(plain, nonce, ad, key);
    const sealed = c.chaCha20Poly1305Encrypt(plain, nonce, ad, key);
    const parts = [plain.subarray(0, cut), plain.subarray(cut)];
    const sealedParts = c.chaCha20Poly1305Encrypt(
      new Uint8ArrayList(...parts) as unknown as NoiseBytes,
      nonce,
      ad,
      key,
    );
    if (!bytesEqual(sealed, expected) || !bytesEqual(sealedParts, expected)) return false;
    const ct = Uint8Array.from(sealed.subarray());
    const opened = c.chaCha20Poly1305Decrypt(ct, nonce, ad, key, ct.subarray(0, size));
    if (!bytesEqual(opened, plain)) return false;
    // in place in parts, one cut inside the tag
    const inParts = Uint8Array.from(sealed.subarray());
    const cuts = [cut, inParts.length - 5];
    const list = new Uint8ArrayList(
      inParts.subarray(0, cuts[0]),
      inParts.subarray(cuts[0], cuts[1]),
      inParts.subarray(cuts[1]),
    );
    const openedParts = c.chaCha20Poly1305Decrypt(
      list as unknown as NoiseBytes,
      nonce,
      ad,
      key,
      DECRYPT_IN_PLACE,
    );
    if (!bytesEqual(openedParts, plain)) return false;
    const bad = Uint8Array.from(sealed.subarray());
    bad[bad.length - 1]! ^= 1;
    try {
      c.chaCha20Poly1305Decrypt(bad, nonce, ad, key);
      return false;
    } catch (err) {
      if (!(err instanceof NoiseDecryptError)) return false;
    }
  }
  return true;
}

function loadAddon(): AeadAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const path = join(packageRoot(), 'build', 'Release', 'peermpc_aead.node');
  if (!existsSync(path)) return addon;
  try {
    const loaded = createRequire(import.meta.url)(path) as AeadAddon;
    const candidate = nativeCrypto(loaded);
    if (selfTest(candidate)) {
      addon = loaded;
      nativeNoise = candidate;
    }
  } catch {
    addon = null; // does not load (or throws in the self-test): Noise's default serves instead
  }
  return addon;
}

/**
 * Noise crypto whose ChaCha20-Poly1305 runs in the native addon, the rest being Noise's default;
 * pass it as `noise({ crypto })`. The same object on every call.
 * @returns undefined when the addon is unavailable or failed its self-test, or when
 * `PEERMPC_NOISE_CRYPTO=node`: then Noise's default crypto is to be used.
 * @example
 * ```ts
 * connectionEncrypters: [noise({ crypto: fastNoiseCrypto() })]
 * ```
 */
export function fastNoiseCrypto(): ICryptoInterface | undefined {
  if (process.env.PEERMPC_NOISE_CRYPTO === 'node') return undefined;
  return loadAddon() === null ? undefined : nativeNoise;
}

/** Which ChaCha20-Poly1305 {@link fastNoiseCrypto} gives Noise, for diagnostics. */
export function noiseCryptoName(): 'native' | 'node:crypto' {
  return fastNoiseCrypto() === undefined ? 'node:crypto' : 'native';
}
