/**
 * Printing for the CLI: human tables and key/value blocks by default, JSON with `--json`.
 *
 * Commands write through an {@link Io} so tests can capture output in-process.
 */

/** Where a command's output goes. */
export interface Io {
  /** Writes a line (or lines) to standard output. */
  out(text: string): void;
  /** Writes a line (or lines) to standard error. */
  err(text: string): void;
}

/** The process's stdout and stderr. */
export const consoleIo: Io = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

/** Prints `value` as indented JSON. */
export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/**
 * Formats rows as a left-aligned table with a header; cells are stringified and newlines removed.
 *
 * @example table(['NAME', 'ROWS'], [['heights', 100]]) // "NAME     ROWS\nheights  100"
 */
export function table(header: string[], rows: unknown[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => cell(c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Formats `[key, value]` pairs as aligned `key  value` lines; array values continue on the next lines. */
export function keyValues(pairs: Array<[string, unknown]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  const lines: string[] = [];
  for (const [key, value] of pairs) {
    const values = Array.isArray(value)
      ? value.length === 0
        ? ['-']
        : value.map((v) => cell(v))
      : [cell(value)];
    values.forEach((v, i) => lines.push(`${(i === 0 ? key : '').padEnd(width)}  ${v}`.trimEnd()));
  }
  return lines.join('\n');
}

/** A duration in ms as `1h 2m`, `3m 4s`, `5.1s` or `120ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.floor(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A byte count as `512 B`, `1.5 KiB`, `3.2 MiB`, ... */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Shortens `text` to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, Math.max(0, max - 1)) + '…';
}

function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.join(',');
  return String(value).replace(/[\r\n\t]+/g, ' ');
}
