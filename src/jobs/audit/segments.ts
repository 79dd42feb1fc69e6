/**
 * Archived segments of the audit log: `<log>.segments/<first>-<last>.log.gz` hold the lines of
 * entries `first..last` byte for byte (gzip), and `<log>.segments/index.json` lists them in order
 * with the hash their first entry follows and the signed head of their last entry, so the chain
 * runs from the first segment through the last into the live log:
 *
 * ```json
 * { "v": 1, "segments": [{ "file": "000000000001-000000002000.log.gz", "first": 1, "last": 2000,
 *     "prev": "000…", "hash": "…", "sig": "…", "from": "2025-…", "to": "2025-…" }],
 *   "pruned": { "last": 0, "hash": "…", "sig": "…", "at": "2025-…" } }
 * ```
 *
 * `pruned` (when retention deleted the oldest segments) is the signed head of the last deleted
 * entry: the chain then starts from it, and the log holds a signed `audit.pruned` entry naming it.
 * The index is a convenience, not a trust anchor: every entry it points to is checked by its hash,
 * its signature and the chain.
 */
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AuditLogError } from '../errors.js';
import { writeFileAtomicSync } from './files.js';

/** One archived segment. */
export interface SegmentInfo {
  /** File name inside the segments directory. */
  file: string;
  /** First entry's seq. */
  first: number;
  /** Last entry's seq. */
  last: number;
  /** The hash the first entry follows. */
  prev: string;
  /** The last entry's hash. */
  hash: string;
  /** The last entry's signature (absent when it is a legacy, unsigned entry). */
  sig?: string;
  /** Time of the first entry. */
  from: string;
  /** Time of the last entry. */
  to: string;
}

/** Where the chain starts after retention deleted the oldest segments. */
export interface PrunedAnchor {
  /** The last deleted entry's seq. */
  last: number;
  /** Its hash. */
  hash: string;
  /** Its signature (absent when legacy). */
  sig?: string;
  /** When. */
  at: string;
}

/** The segments index. */
export interface SegmentIndex {
  /** Format version: 1. */
  v: 1;
  /** Segments, oldest first. */
  segments: SegmentInfo[];
  /** The anchor of deleted segments. */
  pruned?: PrunedAnchor;
}

/** Largest decompressed segment read (bytes): a corrupt or hostile file cannot exhaust memory. */
export const MAX_SEGMENT_BYTES = 512 * 1024 * 1024;

/**
 * Generous bound on one entry's line (bytes): an event's strings are cut to 2,000 characters and
 * its lists to 64 items (events.ts), under 800 KB even when every character is JSON-escaped.
 */
export const MAX_ENTRY_BYTES = 2 * 1024 * 1024;

/** The index file's name. */
export const INDEX_FILE = 'index.json';

const HEX64 = /^[0-9a-f]{64}$/;
const SIG = /^[A-Za-z0-9_-]{86}$/;
const FILE = /^\d{12}-\d{12}\.log\.gz$/;

/** The segments directory of the log at `logPath`. */
export function segmentsDir(logPath: string): string {
  return `${logPath}.segments`;
}

/** The file name of the segment of entries `first..last`. */
export function segmentFile(first: number, last: number): string {
  return `${String(first).padStart(12, '0')}-${String(last).padStart(12, '0')}.log.gz`;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const optSig = (v: unknown): boolean => v === undefined || (typeof v === 'string' && SIG.test(v));

function parseSegment(v: unknown, i: number): SegmentInfo {
  const bad = (what: string): never => {
    throw new TypeError(`segment ${i + 1}: ${what}`);
  };
  if (!isObj(v)) return bad('not an object');
  const known = ['file', 'first', 'last', 'prev', 'hash', 'sig', 'from', 'to'];
  for (const k of Object.keys(v))
    if (!known.includes(k)) bad(`unknown field ${JSON.stringify(k.slice(0, 64))}`);
  if (typeof v.file !== 'string' || !FILE.test(v.file)) bad('malformed file name');
  if (!isSeq(v.first) || v.first < 1 || !isSeq(v.last) || v.last < v.first) bad('malformed range');
  if (typeof v.prev !== 'string' || !HEX64.test(v.prev)) bad('malformed prev');
  if (typeof v.hash !== 'string' || !HEX64.test(v.hash)) bad('malformed hash');
  if (!optSig(v.sig)) bad('malformed sig');
  if (typeof v.from !== 'string' || typeof v.to !== 'string') bad('malformed times');
  if (v.file !== segmentFile(v.first as number, v.last as number)) bad('file name does not match its range');
  return v as unknown as SegmentInfo;
}

/**
 * Parses an index file's text strictly.
 * @throws TypeError naming what is wrong.
 */
export function parseSegmentIndex(text: string): SegmentIndex {
  const v: unknown = JSON.parse(text);
  if (!isObj(v)) throw new TypeError('not an object');
  for (const k of Object.keys(v))
    if (!['v', 'segments', 'pruned'].includes(k))
      throw new TypeError(`unknown field ${JSON.stringify(k.slice(0, 64))}`);
  if (v.v !== 1) throw new TypeError('unknown version');
  if (!Array.isArray(v.segments)) throw new TypeError('"segments" is not a list');
  const segments = v.segments.map(parseSegment);
  const out: SegmentIndex = { v: 1, segments };
  if (v.pruned !== undefined) {
    const p = v.pruned;
    if (
      !isObj(p) ||
      !isSeq(p.last) ||
      p.last < 1 ||
      typeof p.hash !== 'string' ||
      !HEX64.test(p.hash) ||
      !optSig(p.sig) ||
      typeof p.at !== 'string' ||
      Object.keys(p).some((k) => !['last', 'hash', 'sig', 'at'].includes(k))
    )
      throw new TypeError('malformed "pruned"');
    out.pruned = p as unknown as PrunedAnchor;
  }
  return out;
}

/**
 * The segments index of the log at `logPath` (empty when there is none).
 * @throws AuditLogError when it is unreadable or malformed.
 */
export function readSegmentIndex(logPath: string): SegmentIndex {
  const path = join(segmentsDir(logPath), INDEX_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { v: 1, segments: [] };
    throw new AuditLogError(`cannot read the audit segments index ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return parseSegmentIndex(text);
  } catch (err) {
    throw new AuditLogError(`the audit segments index ${path} is corrupt: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Writes the index atomically. */
export function writeSegmentIndex(logPath: string, index: SegmentIndex): void {
  const dir = segmentsDir(logPath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(join(dir, INDEX_FILE), JSON.stringify(index, null, 1) + '\n');
}

/** Writes a segment's lines (text ending with a newline) atomically. */
export function writeSegment(logPath: string, file: string, text: string): void {
  const dir = segmentsDir(logPath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(join(dir, file), gzipSync(Buffer.from(text, 'utf8')));
}

/**
 * A segment's text. It may decompress to at most {@link MAX_ENTRY_BYTES} per entry the index gives
 * it (and {@link MAX_SEGMENT_BYTES} in all): a gzip bomb is refused before it is inflated.
 * @throws AuditLogError when it is missing, unreadable, not gzip or larger than that.
 */
export function readSegment(logPath: string, file: string, entries: number): string {
  const path = join(segmentsDir(logPath), file);
  const maxOutputLength = Math.min(MAX_SEGMENT_BYTES, Math.max(1, entries) * MAX_ENTRY_BYTES);
  try {
    return gunzipSync(readFileSync(path), { maxOutputLength }).toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AuditLogError(
      code === 'ENOENT'
        ? `the archived segment ${file} is missing`
        : `the archived segment ${file} is unreadable or corrupt: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Segment files present in the directory (to spot files the index does not list). */
export function segmentFilesOnDisk(logPath: string): string[] {
  try {
    return readdirSync(segmentsDir(logPath)).filter((f) => FILE.test(f));
  } catch {
    return [];
  }
}
