/**
 * Per-message costs of @chainsafe/libp2p-noise 17 cut from the outside ({@link leanNoise}), as
 * patches of its encrypted message stream's internals; each checks the internals it relies on
 * first and leaves the connection as it is when they differ (another version), so a mismatch only
 * loses the saving. The wire format is unchanged: peers with and without them interoperate.
 *
 * - Writes: Noise hands the connection each message as two buffers (2-byte length, ciphertext),
 *   which @libp2p/tcp writes with two `socket.write` calls: two syscalls and, with TCP_NODELAY,
 *   two TCP segments. A message of up to {@link COALESCE_NOISE_BYTES} is copied into one buffer;
 *   a larger one whose ciphertext the native crypto sealed with room before it (noise-crypto.ts)
 *   gets its length written there, one buffer without a copy; others are written as they are.
 * - Lengths: Noise's length-prefixed decoder learns that a read ended on a message boundary from a
 *   RangeError, thrown with a new stack trace at the end of every read (3 to 5 µs each). The length
 *   decoder here throws one preallocated RangeError instead.
 * - Reads, with the native crypto ({@link LeanNoiseOptions.crypto}): Noise collects every read
 *   in a byte list, and a message cut between two socket reads (with 64 KiB reads and 64 KiB
 *   messages, nearly every one) is first joined into a new buffer, then decrypted in place there.
 *   The reader here cuts the reads into messages without a list: a message whole in one read is a
 *   view of it, decrypted in place; a cut one is decrypted in place in each of its parts, and its
 *   plaintext is the list of those (no join copy, no buffer of its own: the reads are this reader's
 *   alone, each byte belongs to one message).
 *   Same checks as Noise's: a message shorter than the tag is refused, an empty one skipped; every
 *   message is still authenticated and decrypted by the same cipher state (nonce) as before.
 */
import type { ICryptoInterface } from '@chainsafe/libp2p-noise';
import type { ConnectionEncrypter } from '@libp2p/interface';
import { Uint8ArrayList } from 'uint8arraylist';
import { DECRYPT_IN_PLACE, fastNoiseCrypto, prefixedCiphertext } from './noise-crypto.js';

/** Noise messages (length prefix and ciphertext) up to this size are written as one buffer. */
export const COALESCE_NOISE_BYTES = 16 * 1024;

/** The Poly1305 tag length. */
const TAG_BYTES = 16;

/** A byte list as Noise hands it around (its own uint8arraylist version: only these members). */
interface ByteList {
  readonly byteLength: number;
  readonly bufs: Uint8Array[];
  subarray(): Uint8Array;
  getUint16(offset: number): number;
  [Symbol.iterator](): Iterator<Uint8Array>;
}
type Bytes = Uint8Array | ByteList;

/** What {@link leanNoise} relies on in @chainsafe/libp2p-noise 17.x's encrypted message stream. */
interface NoiseStreamInternals {
  encrypt(chunk: Bytes): Bytes;
  decoder: { lengthDecoder: (data: Bytes) => number };
}

/** What the in-place reads rely on besides. */
interface NoiseReadInternals {
  decrypt(chunk: Bytes | Uint8ArrayList): Bytes | Uint8Array;
  decoder: {
    decode(data: Bytes): Iterable<Uint8Array | Uint8ArrayList>;
    /** What Noise's decoder holds of a message not yet whole. */
    buffer: { readonly byteLength: number; slice(): Uint8Array; consume(bytes: number): void };
  };
  handshake: { decrypt(ciphertext: unknown, dst?: Uint8Array): Uint8Array | ByteList };
}

function isNoiseStream(c: unknown): c is NoiseStreamInternals {
  const v = c as Partial<NoiseStreamInternals> | null;
  return typeof v?.encrypt === 'function' && typeof v.decoder?.lengthDecoder === 'function';
}

function hasReadInternals(c: NoiseStreamInternals): c is NoiseStreamInternals & NoiseReadInternals {
  const v = c as unknown as Partial<NoiseReadInternals>;
  return (
    typeof v.decrypt === 'function' &&
    typeof v.decoder?.decode === 'function' &&
    typeof v.decoder.buffer?.byteLength === 'number' &&
    typeof v.decoder.buffer.slice === 'function' &&
    typeof v.decoder.buffer.consume === 'function' &&
    typeof v.handshake?.decrypt === 'function'
  );
}

/** Thrown when fewer than two bytes are buffered: the decoder only checks it is a RangeError. */
const SHORT_LENGTH = new RangeError('Could not decode int16BE');

/** Noise's big-endian u16 length prefix, throwing {@link SHORT_LENGTH} when it is not all there. */
function decodeNoiseLength(data: Bytes): number {
  if (data.byteLength < 2) throw SHORT_LENGTH;
  if (data instanceof Uint8Array) return (data[0]! << 8) | data[1]!;
  return data.getUint16(0);
}

/** A message in more pieces than this (a peer trickling bytes) is copied into one buffer. */
export const MAX_MESSAGE_PARTS = 2;

/**
 * Cuts socket reads into Noise messages (u16 big-endian length, then that many bytes): a message
 * whole in one read is a view of it; one cut between two reads is a list of its two parts; one
 * that arrives in more pieces is copied into a buffer of its own as they come (so a peer sending a
 * message a byte at a time costs one copy, not a list of thousands of views for every layer above).
 * Holds at most one unfinished message (under 64 KiB + 2 bytes).
 */
export class NoiseMessageReader {
  /** Length of the message in progress; -1 while its prefix is not all in. */
  private len = -1;
  /** The first byte of a prefix cut between reads; -1 if none. */
  private hi = -1;
  private parts: Uint8Array[] = [];
  /** The message's own buffer, once it came in more than {@link MAX_MESSAGE_PARTS} pieces. */
  private joined: Uint8Array | undefined;
  private got = 0;

  /** Bytes held of an unfinished message (prefix included). */
  get buffered(): number {
    return this.got + (this.hi >= 0 ? 1 : 0) + (this.len >= 0 ? 2 : 0);
  }

  /** The messages `data` completes (empty ones skipped, as Noise does). */
  decode(data: Bytes | Uint8ArrayList): (Uint8Array | Uint8ArrayList)[] {
    const out: (Uint8Array | Uint8ArrayList)[] = [];
    if (data instanceof Uint8Array) this.feed(data, out);
    else for (const piece of data) this.feed(piece, out);
    return out;
  }

  private feed(piece: Uint8Array, out: (Uint8Array | Uint8ArrayList)[]): void {
    const n = piece.length;
    let at = 0;
    while (at < n) {
      if (this.len < 0) {
        if (this.hi >= 0) {
          this.len = (this.hi << 8) | piece[at]!;
          this.hi = -1;
          at++;
          if (this.len === 0) this.len = -1;
          continue;
        }
        if (n - at < 2) {
          this.hi = piece[at]!;
          return;
        }
        const len = (piece[at]! << 8) | piece[at + 1]!;
        if (n - at - 2 >= len) {
          if (len > 0) out.push(piece.subarray(at + 2, at + 2 + len));
          at += 2 + len;
          continue;
        }
        this.len = len;
        at += 2;
        continue;
      }
      const take = Math.min(this.len - this.got, n - at);
      this.keep(take === n ? piece : piece.subarray(at, at + take));
      this.got += take;
      at += take;
      if (this.got === this.len) {
        const parts = this.parts;
        out.push(this.joined ?? (parts.length === 1 ? parts[0]! : new Uint8ArrayList(...parts)));
        this.parts = [];
        this.joined = undefined;
        this.got = 0;
        this.len = -1;
      }
    }
  }

  /** Keeps `bytes` of the message in progress (at offset `got`): as a part, or copied once in more pieces. */
  private keep(bytes: Uint8Array): void {
    if (this.joined !== undefined) {
      this.joined.set(bytes, this.got);
      return;
    }
    if (this.parts.length < MAX_MESSAGE_PARTS) {
      this.parts.push(bytes);
      return;
    }
    const joined = new Uint8Array(this.len);
    let at = 0;
    for (const p of this.parts) {
      joined.set(p, at);
      at += p.length;
    }
    joined.set(bytes, at);
    this.parts = [];
    this.joined = joined;
  }
}

/** Options of {@link leanNoise}. */
export interface LeanNoiseOptions {
  /**
   * The crypto given to Noise (`noise({ crypto })`). When it is {@link fastNoiseCrypto}'s, messages
   * are read and decrypted in place (see the module comment); any other crypto (Noise's default
   * would refuse the in-place marker) leaves the reads as Noise does them.
   */
  crypto?: ICryptoInterface;
}

function readInPlace(connection: NoiseStreamInternals & NoiseReadInternals): void {
  const reader = new NoiseMessageReader();
  const handshake = connection.handshake;
  // Bytes that came in with the last handshake message reached Noise's own decoder before this
  // patch (the stream hands them over in a microtask that runs first): the start of a message it
  // holds goes to the reader first, or the reader would take ciphertext for a length prefix.
  // Noise's decoder yields every whole message, so it holds less than one: none comes out here.
  const held = connection.decoder.buffer;
  if (held.byteLength > 0 && reader.decode(held.slice()).length > 0)
    // a copy: the reader's own
    throw new Error('leanNoise: Noise held a whole message at the end of its handshake');
  held.consume(held.byteLength);
  connection.decoder.decode = (data) => reader.decode(data);
  connection.decrypt = (msg) => {
    const n = msg.byteLength - TAG_BYTES;
    if (n < 0) throw new Error('Invalid chunk'); // Noise's own refusal
    if (msg instanceof Uint8Array) return handshake.decrypt(msg, msg.subarray(0, n));
    return handshake.decrypt(msg, DECRYPT_IN_PLACE); // in each of its parts
  };
}

function leanConnection(connection: unknown, options: LeanNoiseOptions): void {
  if (!isNoiseStream(connection)) return;
  const encrypt = connection.encrypt.bind(connection);
  connection.encrypt = (chunk: Bytes): Bytes => {
    const out = encrypt(chunk);
    if (out instanceof Uint8Array || out.bufs.length < 2) return out;
    if (out.byteLength <= COALESCE_NOISE_BYTES) return out.subarray(); // one copy, one socket write
    return joinPrefixes(out);
  };
  connection.decoder.lengthDecoder = decodeNoiseLength;
  const native = options.crypto !== undefined && options.crypto === fastNoiseCrypto();
  if (native && hasReadInternals(connection)) readInPlace(connection);
}

/**
 * Noise's [length, ciphertext, length, ciphertext, ...] with each ciphertext the native crypto
 * sealed with room before it turned into one buffer per message, without a copy.
 */
function joinPrefixes(out: ByteList): Bytes {
  const bufs = out.bufs;
  if (bufs.length % 2 !== 0) return out;
  const joined: Uint8Array[] = [];
  for (let i = 0; i < bufs.length; i += 2) {
    const whole = prefixedCiphertext(bufs[i]!, bufs[i + 1]!);
    if (whole === undefined) joined.push(bufs[i]!, bufs[i + 1]!);
    else joined.push(whole);
  }
  if (joined.length === bufs.length) return out;
  return joined.length === 1 ? joined[0]! : (new Uint8ArrayList(...joined) as unknown as ByteList);
}

/**
 * Wraps a Noise factory (`noise(...)`) so that its connections write each message with one socket
 * write, end each read without a new exception, and (with the native `crypto`) read without joining
 * (see the module comment).
 * @example
 * ```ts
 * connectionEncrypters: [leanNoise(noise({ crypto }), { crypto })]
 * ```
 */
export function leanNoise<A extends unknown[], E extends ConnectionEncrypter>(
  factory: (...args: A) => E,
  options: LeanNoiseOptions = {},
): (...args: A) => E {
  return (...args) => {
    const encrypter = factory(...args);
    const inbound = encrypter.secureInbound.bind(encrypter);
    const outbound = encrypter.secureOutbound.bind(encrypter);
    encrypter.secureInbound = async (...a) => {
      const secured = await inbound(...a);
      leanConnection(secured.connection, options);
      return secured;
    };
    encrypter.secureOutbound = async (...a) => {
      const secured = await outbound(...a);
      leanConnection(secured.connection, options);
      return secured;
    };
    return encrypter;
  };
}
