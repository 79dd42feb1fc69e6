/**
 * Synthetic mock rows: same columns as the real data, values drawn independently per column from a
 * triangular distribution over a plausible range, so a scientist sees the shape of the data without
 * any real row.
 *
 * Only aggregates of the real data are used (per-column min, max, mean and whether all values are
 * integers); rows are never sampled from the real data. The range is rounded outward to two
 * significant digits, which hides the exact extremes only where they have more digits than that:
 * an extreme with at most two significant digits (an age of 25, a count of 7, a 0/1 flag) is its
 * own rounding and can appear in the mock rows as the end of the range. The mean shapes the
 * distribution (its mode). Values in a mock row can coincide with a real row by chance.
 */
import { CsvImportError } from '../errors.js';
import type { AbortOptions } from '../types.js';
import { readNumericCsv } from './csv.js';
import { MAX_MOCK_ROWS } from './description.js';

/** Running per-column aggregates over the real rows. */
export class ColumnStats {
  /** Smallest value per column. */
  readonly min: Float64Array;
  /** Largest value per column. */
  readonly max: Float64Array;
  /** Sum per column. */
  readonly sum: Float64Array;
  /** Whether every value of the column is an integer. */
  readonly integer: boolean[];
  /** Rows added. */
  count = 0;

  constructor(readonly columns: number) {
    this.min = new Float64Array(columns).fill(Infinity);
    this.max = new Float64Array(columns).fill(-Infinity);
    this.sum = new Float64Array(columns);
    this.integer = Array.from({ length: columns }, () => true);
  }

  /** Adds one row. */
  add(row: Float64Array): void {
    for (let c = 0; c < this.columns; c++) {
      const v = row[c]!;
      if (v < this.min[c]!) this.min[c] = v;
      if (v > this.max[c]!) this.max[c] = v;
      this.sum[c]! += v;
      if (this.integer[c] && !Number.isInteger(v)) this.integer[c] = false;
    }
    this.count++;
  }
}

/** A source of uniform numbers in [0, 1); injectable for deterministic tests. */
export type Rng = () => number;

/** Rounds `x` down (`dir` -1) or up (+1) to two significant digits. */
function roundOut(x: number, dir: -1 | 1): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const mag = Math.pow(10, Math.floor(Math.log10(Math.abs(x))) - 1);
  const r = (dir < 0 ? Math.floor(x / mag) : Math.ceil(x / mag)) * mag;
  return Number(r.toPrecision(2));
}

/** Rounds to 4 significant digits for display. */
function tidy(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(4));
}

/** Draws from a triangular distribution on [lo, hi] with mode `mode`. */
function triangular(lo: number, hi: number, mode: number, rng: Rng): number {
  if (hi <= lo) return lo;
  const u = rng();
  const f = (mode - lo) / (hi - lo);
  return u < f
    ? lo + Math.sqrt(u * (hi - lo) * (mode - lo))
    : hi - Math.sqrt((1 - u) * (hi - lo) * (hi - mode));
}

/** `count` synthetic rows from the aggregates in `stats` (empty when the data has no rows). */
export function syntheticMockRows(stats: ColumnStats, count: number, rng: Rng = Math.random): number[][] {
  if (stats.count === 0) return [];
  const rows: number[][] = [];
  for (let r = 0; r < count; r++) {
    const row: number[] = [];
    for (let c = 0; c < stats.columns; c++) {
      const lo = roundOut(stats.min[c]!, -1);
      const hi = roundOut(stats.max[c]!, 1);
      const mean = stats.sum[c]! / stats.count;
      const mode = Math.min(hi, Math.max(lo, mean));
      const v = triangular(lo, hi, mode, rng);
      row.push(stats.integer[c] ? Math.round(v) : tidy(v));
    }
    rows.push(row);
  }
  return rows;
}

/** Reads a mock CSV: same header as the data, at most {@link MAX_MOCK_ROWS} rows. */
export async function readMockCsv(
  path: string,
  columns: string[],
  options: AbortOptions,
): Promise<number[][]> {
  const rows: number[][] = [];
  await readNumericCsv(
    path,
    (cols) => {
      if (cols.length !== columns.length || cols.some((c, i) => c !== columns[i])) {
        throw new CsvImportError(`${path}: mock header differs from the data's header`, path, 1, '');
      }
    },
    (row, line) => {
      if (rows.length >= MAX_MOCK_ROWS) {
        throw new CsvImportError(`${path}: more than ${MAX_MOCK_ROWS} mock rows`, path, line, '');
      }
      rows.push(Array.from(row));
    },
    options,
  );
  return rows;
}
