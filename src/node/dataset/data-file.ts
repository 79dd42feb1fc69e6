/**
 * The compact on-disk form of a dataset's values: a 16-byte header, then the values row-major as
 * little-endian float64.
 *
 * Header: magic `PMDS` (4 bytes), format version u32 = 1, rows u32, columns u32 (all LE).
 */
import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

const MAGIC = 0x53444d50; // 'PMDS' read as LE u32
const VERSION = 1;
/** Header size in bytes. */
export const HEADER_BYTES = 16;

/** Thrown when a data file does not have the expected layout. */
export class DataFileError extends Error {
  override readonly name = 'DataFileError';
}

/** Streams rows into a new data file; call `finish` to write the header, or `abort` to give up. */
export class DataFileWriter {
  private rows = 0;
  private buf: Buffer;
  private used = 0;
  private offset = HEADER_BYTES;

  private constructor(
    private readonly fh: FileHandle,
    private readonly columns: number,
  ) {
    this.buf = Buffer.alloc(Math.max(8 * columns, 1 << 16));
  }

  /** Creates `path` (must not exist) for `columns` columns. */
  static async create(path: string, columns: number): Promise<DataFileWriter> {
    const fh = await open(path, 'wx', 0o600);
    return new DataFileWriter(fh, columns);
  }

  /** Appends one row. */
  async append(row: Float64Array): Promise<void> {
    if (this.used + 8 * this.columns > this.buf.length) await this.flush();
    for (let c = 0; c < this.columns; c++) {
      this.buf.writeDoubleLE(row[c]!, this.used);
      this.used += 8;
    }
    this.rows++;
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.fh.write(this.buf, 0, this.used, this.offset);
    this.offset += this.used;
    this.used = 0;
  }

  /** Flushes, writes the header, syncs and closes; returns the file size. */
  async finish(): Promise<number> {
    await this.flush();
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(VERSION, 4);
    header.writeUInt32LE(this.rows, 8);
    header.writeUInt32LE(this.columns, 12);
    await this.fh.write(header, 0, HEADER_BYTES, 0);
    await this.fh.sync();
    await this.fh.close();
    return this.offset;
  }

  /** Closes without finishing (the caller deletes the file). */
  async abort(): Promise<void> {
    await this.fh.close().catch(() => {}); // the caller deletes the file: a failed close changes nothing
  }
}

/** Reads a whole data file. @throws {DataFileError} */
export async function readDataFile(
  path: string,
): Promise<{ rows: number; columns: number; values: Float64Array }> {
  const bytes = await readFile(path);
  if (bytes.length < HEADER_BYTES || bytes.readUInt32LE(0) !== MAGIC)
    throw new DataFileError(`${path}: not a data file`);
  if (bytes.readUInt32LE(4) !== VERSION)
    throw new DataFileError(`${path}: unknown version ${bytes.readUInt32LE(4)}`);
  const rows = bytes.readUInt32LE(8);
  const columns = bytes.readUInt32LE(12);
  if (bytes.length !== HEADER_BYTES + 8 * rows * columns) throw new DataFileError(`${path}: truncated`);
  const values = new Float64Array(rows * columns);
  for (let i = 0; i < values.length; i++) values[i] = bytes.readDoubleLE(HEADER_BYTES + 8 * i);
  return { rows, columns, values };
}
