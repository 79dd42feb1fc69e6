/**
 * The release ledger's file format: parsing and checking one line, and the small file helpers
 * (fsynced appends) that releases.ts builds on.
 */
import { open, stat } from 'node:fs/promises';
import type { ReleaseEntry } from './releases.js';

/** Parses one ledger line. */
export function parseLine(text: string): { entry?: ReleaseEntry; problem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  const problem = entryProblem(value);
  return problem === undefined ? { entry: value as ReleaseEntry } : { problem };
}

const isStrList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s !== '');

/** What is wrong with a ledger entry, or undefined. */
export function entryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const e = value as Record<string, unknown>;
  for (const key of ['job', 'requester', 'dataset', 'time'] as const) {
    if (typeof e[key] !== 'string' || e[key] === '') return `"${key}" is not a non-empty string`;
  }
  if (!Number.isSafeInteger(e.rows) || (e.rows as number) < 0) return '"rows" is not a count';
  const sets = e.sets;
  if (
    !Array.isArray(sets) ||
    !sets.every(
      (x: unknown) =>
        typeof x === 'object' &&
        x !== null &&
        isStrList((x as { columns?: unknown }).columns) &&
        isDigest((x as { digest?: unknown }).digest),
    )
  )
    return '"sets" is not a list of { columns, digest }';
  const hs = e.histograms;
  if (
    hs !== undefined &&
    !(
      Array.isArray(hs) &&
      hs.every(
        (h: unknown) =>
          typeof h === 'object' &&
          h !== null &&
          typeof (h as { column?: unknown }).column === 'string' &&
          Array.isArray((h as { edges?: unknown }).edges) &&
          (h as { edges: unknown[] }).edges.every((x) => typeof x === 'number'),
      )
    )
  )
    return '"histograms" is not a list of { column, edges }';
  return undefined;
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Appends `text` to `path` (created 0600) and fsyncs it. */
export async function appendSynced(path: string, text: string): Promise<void> {
  const fh = await open(path, 'a', 0o600);
  try {
    await fh.write(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A SHA-256 digest in hex (tested as a string only: String() of a deep array overflows). */
function isDigest(v: unknown): boolean {
  return typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
}
