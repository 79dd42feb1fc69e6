/**
 * Wire codec for ring tensors: a small header, then the words little-endian.
 *
 * Layout (all integers little-endian):
 *   0  u16  magic 0x5052 ("PR")
 *   2  u8   version (1)
 *   3  u8   kind (0 = arithmetic share / ring value, 1 = boolean share)
 *   4  u8   rank r (<= 8)
 *   5  u8[3] reserved (0)
 *   8  u32[r] dimensions
 *   8+4r (padded to a multiple of 8)  u64[n] words, n = product of dimensions
 *
 * The decoder checks every length and bound before allocating and throws a {@link CodecError}
 * with a machine-readable `code`; it never trusts a length it has not checked. When the words are
 * 8-byte aligned in the input buffer it returns a view (no copy).
 */
import { RingTensor } from './ring-tensor.js';
import { sizeOf } from './shape.js';

const MAGIC = 0x5052;
const VERSION = 1;
/** Largest rank the codec accepts. */
export const MAX_RANK = 8;
/** Default largest tensor the decoder accepts: 2^27 words (1 GiB). */
export const DEFAULT_MAX_WORDS = 2 ** 27;

/** What a ring tensor on the wire holds. */
export type RingKind = 'ring' | 'bool';
const KIND_CODES: Record<RingKind, number> = { ring: 0, bool: 1 };

/** Why a buffer could not be decoded. */
export type CodecErrorCode =
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'BAD_VERSION'
  | 'BAD_KIND'
  | 'BAD_RANK'
  | 'TOO_LARGE'
  | 'TRAILING_BYTES'
  | 'BAD_RESERVED';

/** A malformed encoded tensor. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    /** Machine-readable reason. */
    readonly code: CodecErrorCode,
    message: string,
  ) {
    super(`cannot decode ring tensor: ${message}`);
  }
}

function headerBytes(rank: number): number {
  return (8 + 4 * rank + 7) & ~7;
}

/** Encoded size in bytes of a tensor of this shape. */
export function encodedSize(shape: readonly number[]): number {
  return headerBytes(shape.length) + 8 * sizeOf(shape);
}

/** Encodes a ring tensor. */
export function encodeRing(t: RingTensor, kind: RingKind = 'ring'): Uint8Array {
  if (t.rank > MAX_RANK) throw new RangeError(`cannot encode a tensor of rank ${t.rank} (max ${MAX_RANK})`);
  for (const d of t.shape)
    if (d > 0xffffffff) throw new RangeError(`dimension ${d} does not fit the wire format`);
  const h = headerBytes(t.rank);
  const out = new Uint8Array(h + t.data.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, MAGIC, true);
  dv.setUint8(2, VERSION);
  dv.setUint8(3, KIND_CODES[kind]);
  dv.setUint8(4, t.rank);
  t.shape.forEach((d, i) => dv.setUint32(8 + 4 * i, d, true));
  out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), h);
  return out;
}

/** Options for {@link decodeRing}. */
export interface DecodeOptions {
  /** Largest number of words accepted (default {@link DEFAULT_MAX_WORDS}). */
  maxWords?: number;
  /** The kind expected; a different kind is a CodecError. */
  kind?: RingKind;
  /** Always copy the words, even when a view would do. */
  copy?: boolean;
}

/**
 * Decodes a ring tensor from exactly `bytes`.
 * @throws CodecError on any malformed input.
 */
export function decodeRing(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): { tensor: RingTensor; kind: RingKind } {
  const maxWords = options.maxWords ?? DEFAULT_MAX_WORDS;
  if (bytes.length < 8)
    throw new CodecError('TRUNCATED', `${bytes.length} bytes is shorter than the 8-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint16(0, true) !== MAGIC) throw new CodecError('BAD_MAGIC', 'bad magic number');
  const version = dv.getUint8(2);
  if (version !== VERSION) throw new CodecError('BAD_VERSION', `unsupported version ${version}`);
  const kindCode = dv.getUint8(3);
  const kind = (Object.keys(KIND_CODES) as RingKind[]).find((k) => KIND_CODES[k] === kindCode);
  if (kind === undefined) throw new CodecError('BAD_KIND', `unknown kind ${kindCode}`);
  if (options.kind !== undefined && options.kind !== kind)
    throw new CodecError('BAD_KIND', `expected kind ${options.kind}, got ${kind}`);
  const rank = dv.getUint8(4);
  if (rank > MAX_RANK) throw new CodecError('BAD_RANK', `rank ${rank} exceeds ${MAX_RANK}`);
  if (dv.getUint8(5) !== 0 || dv.getUint8(6) !== 0 || dv.getUint8(7) !== 0)
    throw new CodecError('BAD_RESERVED', 'reserved bytes are not zero');
  const h = headerBytes(rank);
  if (bytes.length < h)
    throw new CodecError(
      'TRUNCATED',
      `${bytes.length} bytes is shorter than the ${h}-byte header of a rank-${rank} tensor`,
    );
  const shape: number[] = [];
  let n = 1;
  for (let i = 0; i < rank; i++) {
    const d = dv.getUint32(8 + 4 * i, true);
    shape.push(d);
    n *= d;
    if (n > maxWords) throw new CodecError('TOO_LARGE', `shape exceeds the limit of ${maxWords} words`);
  }
  for (let i = 8 + 4 * rank; i < h; i++)
    if (bytes[i] !== 0) throw new CodecError('BAD_RESERVED', 'header padding is not zero');
  const need = h + 8 * n;
  if (bytes.length < need) throw new CodecError('TRUNCATED', `${bytes.length} bytes, shape needs ${need}`);
  if (bytes.length > need)
    throw new CodecError('TRAILING_BYTES', `${bytes.length - need} bytes after the last word`);
  const start = bytes.byteOffset + h;
  let words: BigUint64Array;
  if (!options.copy && start % 8 === 0) {
    words = new BigUint64Array(bytes.buffer, start, n);
  } else {
    words = new BigUint64Array(n);
    new Uint8Array(words.buffer).set(bytes.subarray(h, need));
  }
  return { tensor: new RingTensor(shape, words), kind };
}
