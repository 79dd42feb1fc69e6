/**
 * Numeric CSV reading: a header row of column names, then rows of decimal numbers.
 *
 * Streams the file (csv-parse), so large files do not sit in memory. Any problem is a
 * {@link CsvImportError} naming the file, the row (the file's line number; the header is row 1)
 * and the column. Error messages name positions and csv-parse's error code, never cell contents
 * (csv-parse's own messages can quote a cell, so they are not passed on).
 *
 * A cell must lie within ±{@link MAX_CELL_MAGNITUDE} (2^53 − 1), and a file must have at least one
 * data row: see {@link MAX_CELL_MAGNITUDE} for why, and what jobs hold.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { CsvImportError } from '../errors.js';
import type { AbortOptions } from '../types.js';

/** Largest number of columns accepted. */
export const MAX_COLUMNS = 4096;

/**
 * Largest |value| a cell may hold: `Number.MAX_SAFE_INTEGER` (2^53 − 1).
 *
 * Beyond it float64 holds only some integers, so a cell may be stored as another value than the
 * one written (9007199254740993 as 9007199254740992), and beyond about 1.8e308 a cell reads as
 * Infinity. The bound also keeps every column inside what jobs hold: a job scales a column by its
 * published magnitude 2^e, e at most 62 (magnitude.ts MAX_MAGNITUDE), and a value beyond 2^62 would
 * fail every job on it after approval; and the sums behind synthetic mock rows stay finite.
 */
export const MAX_CELL_MAGNITUDE = Number.MAX_SAFE_INTEGER;

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses one cell as a decimal number within ±{@link MAX_CELL_MAGNITUDE}; undefined when it is not
 * a decimal number (see {@link cellProblem} for which problem).
 */
export function parseNumericCell(cell: string): number | undefined {
  const v = decimal(cell);
  return v !== undefined && Math.abs(v) <= MAX_CELL_MAGNITUDE ? v : undefined;
}

/** The number a decimal cell reads as (possibly infinite), or undefined when it is not decimal. */
function decimal(cell: string): number | undefined {
  const s = cell.trim();
  return NUMBER_RE.test(s) ? Number(s) : undefined;
}

/**
 * Why `cell` is not a number a dataset may hold, or undefined when it is one (never quotes the cell:
 * it is data).
 */
export function cellProblem(cell: string): string | undefined {
  const v = decimal(cell);
  if (v === undefined) return 'not a number';
  if (!(Math.abs(v) <= MAX_CELL_MAGNITUDE))
    return `out of range: |x| must be at most ${MAX_CELL_MAGNITUDE} (2^53 - 1, the largest integer held exactly)`;
  return undefined;
}

/** Validates a header row and returns the column names. */
function checkHeader(path: string, header: string[]): string[] {
  const names = header.map((h) => h.trim());
  if (names.length === 0) throw new CsvImportError(`${path}: empty header row`, path, 1, '');
  if (names.length > MAX_COLUMNS) {
    throw new CsvImportError(`${path}: ${names.length} columns (at most ${MAX_COLUMNS})`, path, 1, '');
  }
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (n === '')
      throw new CsvImportError(`${path}: column ${i + 1} has an empty name`, path, 1, String(i + 1));
    if (n.length > 128)
      throw new CsvImportError(`${path}: column ${i + 1} name too long`, path, 1, String(i + 1));
    if (seen.has(n))
      throw new CsvImportError(`${path}: duplicate column name ${JSON.stringify(n)}`, path, 1, n);
    seen.add(n);
  });
  return names;
}

/**
 * Reads `path`, calling `onHeader` once with the column names and `onRow` for each data row
 * (a reused Float64Array: copy it if kept). Resolves with the number of data rows (at least 1).
 *
 * @throws {CsvImportError} for an unreadable file, a bad header, a row of the wrong width, a cell
 * that is not a number or lies beyond ±{@link MAX_CELL_MAGNITUDE} (naming row and column), or a
 * file without data rows.
 */
export async function readNumericCsv(
  path: string,
  onHeader: (columns: string[]) => void,
  onRow: (row: Float64Array, line: number) => void | Promise<void>,
  options: AbortOptions = {},
): Promise<number> {
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    info: true,
    relax_column_count: true, // widths are checked here, to name the row
    max_record_size: 1 << 20,
  });
  const input = createReadStream(path);
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  const onAbort = (): void => {
    parser.destroy(options.signal?.reason as Error);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let columns: string[] | undefined;
  let row: Float64Array | undefined;
  let rows = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      if (columns === undefined) {
        columns = checkHeader(path, record);
        row = new Float64Array(columns.length);
        onHeader(columns);
        continue;
      }
      const line = info.lines;
      if (record.length !== columns.length) {
        throw new CsvImportError(
          `${path}: row ${line} has ${record.length} cells, the header has ${columns.length}`,
          path,
          line,
          '',
        );
      }
      for (let c = 0; c < columns.length; c++) {
        const v = parseNumericCell(record[c]!);
        if (v === undefined) {
          throw new CsvImportError(
            `${path}: row ${line}, column ${JSON.stringify(columns[c])}: ${cellProblem(record[c]!)}`,
            path,
            line,
            columns[c]!,
          );
        }
        row![c] = v;
      }
      rows++;
      await onRow(row!, line);
    }
  } catch (err) {
    if (err instanceof CsvImportError) throw err;
    if (options.signal?.aborted) throw options.signal.reason;
    const e = err as NodeJS.ErrnoException & { lines?: number };
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') {
      throw new CsvImportError(`${path}: cannot read (${e.code})`, path, 0, '', { cause: err });
    }
    // csv-parse's message (and so its error, kept out of `cause`) can quote the offending cell, a
    // data value: name the row and csv-parse's code only.
    throw new CsvImportError(
      `${path}: malformed CSV${e.lines ? ` at row ${e.lines}` : ''} (${e.code ?? 'parse error'})`,
      path,
      e.lines ?? 0,
      '',
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    input.destroy();
  }
  if (columns === undefined) throw new CsvImportError(`${path}: empty file (no header row)`, path, 0, '');
  if (rows === 0) throw new CsvImportError(`${path}: no data rows (only a header)`, path, 0, '');
  return rows;
}
