/**
 * Row prints: a keyed 64-bit fingerprint of every row of a dataset, so that the owner can tell how
 * many rows two versions of a dataset differ by (the differencing guard of the jobs layer) without
 * keeping old versions of the data.
 *
 * print(row) = first 8 bytes, read big-endian, of HMAC-SHA256(key, row values as little-endian
 * float64, `-0` written as `0`). The key is derived from the peer's private key, never stored. The
 * prints are KEYED on purpose: an unkeyed hash of a row is testable: whoever reads `prints.bin`
 * (a backup, a copy of a released prints set) could hash guessed rows (public records, plausible
 * values) and learn whether they are in the dataset. With the key, only this peer can compute them.
 *
 * File `prints.bin`: the prints sorted ascending, 8 bytes each, unsigned little-endian, no header.
 * Its digest is the hex SHA-256 of those bytes. Never log a print or a value.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** File name of a dataset's sorted row prints, next to its data file. */
/** The sorted row prints of a dataset and the hex SHA-256 of their file form. */
export interface RowPrintSet {
  /** Sorted ascending (see row-prints.ts). */
  prints: BigUint64Array;
  /** Hex SHA-256 of `prints.bin`. */
  digest: string;
}

export const PRINTS_FILE = 'prints.bin';

/** HKDF label (info) of the row-print key; changing it changes every print. */
export const ROW_PRINT_KEY_LABEL = 'peermpc row prints v1';

/** Derives the 32-byte row-print key from the raw private key bytes of the peer (HKDF-SHA256). */
export function rowPrintKey(privateKeyRaw: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', privateKeyRaw, new Uint8Array(0), ROW_PRINT_KEY_LABEL, 32));
}

/** Collects the prints of rows one by one (rows may be reused buffers) and returns them sorted. */
export class RowPrintCollector {
  private prints = new BigUint64Array(1024);
  private count = 0;
  private bytes = Buffer.alloc(0);

  /** @param key the key from {@link rowPrintKey}. */
  constructor(private readonly key: Uint8Array) {}

  /** Adds the print of one row (the values are read now, not kept). */
  add(row: Float64Array): void {
    if (this.bytes.length !== 8 * row.length) this.bytes = Buffer.alloc(8 * row.length);
    for (let i = 0; i < row.length; i++) {
      const v = row[i]!;
      this.bytes.writeDoubleLE(v === 0 ? 0 : v, 8 * i); // -0 === 0: both written as +0
    }
    const mac = createHmac('sha256', this.key).update(this.bytes).digest();
    if (this.count === this.prints.length) {
      const grown = new BigUint64Array(2 * this.prints.length);
      grown.set(this.prints);
      this.prints = grown;
    }
    this.prints[this.count++] = mac.readBigUInt64BE(0);
  }

  /** The prints of every row added, sorted ascending. */
  finish(): BigUint64Array {
    return this.prints.slice(0, this.count).sort();
  }
}

/** Sorted prints of `rows` rows of `columns` values each, stored row-major in `values`. */
export function computeRowPrints(key: Uint8Array, values: Float64Array, columns: number): BigUint64Array {
  const collector = new RowPrintCollector(key);
  const rows = columns === 0 ? 0 : values.length / columns;
  for (let r = 0; r < rows; r++) collector.add(values.subarray(r * columns, (r + 1) * columns));
  return collector.finish();
}

/**
 * Sorted prints of the rows projected on the columns at `pick` (in that order): what a result over
 * those columns can depend on. Row-major `values` of `columns` per row.
 */
export function projectedRowPrints(
  key: Uint8Array,
  values: Float64Array,
  columns: number,
  pick: readonly number[],
): BigUint64Array {
  const collector = new RowPrintCollector(key);
  const row = new Float64Array(pick.length);
  const rows = columns === 0 ? 0 : values.length / columns;
  for (let r = 0; r < rows; r++) {
    pick.forEach((j, k) => (row[k] = values[r * columns + j]!));
    collector.add(row);
  }
  return collector.finish();
}

/** The file form of sorted prints: 8 bytes each, unsigned little-endian. */
export function encodeRowPrints(prints: BigUint64Array): Buffer {
  const out = Buffer.alloc(8 * prints.length);
  for (let i = 0; i < prints.length; i++) out.writeBigUInt64LE(prints[i]!, 8 * i);
  return out;
}

/**
 * Parses the file form; undefined when it is not a whole number of sorted prints (the caller
 * treats that as a missing or unusable file).
 */
export function decodeRowPrints(bytes: Uint8Array): BigUint64Array | undefined {
  if (bytes.length % 8 !== 0) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const prints = new BigUint64Array(bytes.length / 8);
  for (let i = 0; i < prints.length; i++) {
    prints[i] = buf.readBigUInt64LE(8 * i);
    if (i > 0 && prints[i]! < prints[i - 1]!) return undefined;
  }
  return prints;
}

/** Hex SHA-256 of the file form of `prints` (or of the file bytes when given as bytes). */
export function rowPrintsDigest(prints: BigUint64Array | Uint8Array): string {
  const bytes = prints instanceof BigUint64Array ? encodeRowPrints(prints) : prints;
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Size of the symmetric difference of two sorted multisets of prints: the rows in one and not the
 * other, counted with multiplicity (a value twice in `a` and once in `b` counts 1). One linear
 * merge: O(a.length + b.length).
 */
export function symmetricDifferenceSize(a: BigUint64Array, b: BigUint64Array): number {
  let i = 0;
  let j = 0;
  let diff = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      i++;
      j++;
    } else if (x < y) {
      diff++;
      i++;
    } else {
      diff++;
      j++;
    }
  }
  return diff + (a.length - i) + (b.length - j);
}

/**
 * Reads a prints file; undefined when it is missing, malformed or not of `rows` prints (the caller
 * recomputes it from the data file).
 */
export async function readPrintsFile(path: string, rows: number): Promise<RowPrintSet | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const prints = decodeRowPrints(bytes);
  if (prints === undefined || prints.length !== rows) return undefined;
  return { prints, digest: rowPrintsDigest(bytes) };
}
