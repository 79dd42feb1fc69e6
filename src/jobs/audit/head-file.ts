/**
 * The head file of the audit log (`audit.log.head`): the signed head of the last entry,
 * `{ v, peer, seq, hash, sig }` (a v0.1 log's is `{ seq, hash }`). It catches deleted last lines
 * that nobody rewrote the head for. Written after every append (not durably: a head a crash rolls
 * back is one entry behind, which the next open repairs, recover-log.ts).
 */
import { readFileSync } from 'node:fs';
import { AUDIT_LINE_VERSION, type AuditEntry } from './entry.js';
import { writeFileAtomicSync } from './files.js';

/** A head file as read: its seq, hash and signature, or `malformed`. */
export interface HeadFile {
  /** The last entry's seq (-1 when malformed). */
  seq: number;
  /** Its hash ('' when malformed). */
  hash: string;
  /** Its signature (absent on a v0.1 head). */
  sig?: string;
  /** True when the file is not a head of this peer's log (corrupt, too long, another peer's). */
  malformed?: boolean;
}

/** Longest head file read (characters); a real one is under 300. */
export const MAX_HEAD_FILE_CHARS = 4_096;

const MALFORMED: Readonly<HeadFile> = Object.freeze({ seq: -1, hash: '', malformed: true });

/** The head file of the log at `logPath`. */
export function headFilePath(logPath: string): string {
  return `${logPath}.head`;
}

/**
 * Parses a head file's text strictly: exact fields; a signed head must be `peer`'s when `peer` is
 * known. Never throws: anything else is `malformed`.
 */
export function parseHeadFile(text: string, peer: string | undefined): HeadFile {
  try {
    // A head is a few hundred bytes; anything larger, or not an object, is not one (a long
    // JSON string would otherwise give Object.keys one key per character to sort).
    if (text.length > MAX_HEAD_FILE_CHARS) throw new Error('too long');
    const h = JSON.parse(text) as Record<string, unknown>;
    if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new Error('not an object');
    const keys = Object.keys(h).sort().join();
    if (keys === 'hash,seq' && Number.isSafeInteger(h.seq) && typeof h.hash === 'string')
      return { seq: h.seq as number, hash: h.hash };
    if (
      keys === 'hash,peer,seq,sig,v' &&
      h.v === AUDIT_LINE_VERSION &&
      Number.isSafeInteger(h.seq) &&
      typeof h.hash === 'string' &&
      typeof h.sig === 'string' &&
      (peer === undefined || h.peer === peer)
    )
      return { seq: h.seq as number, hash: h.hash, sig: h.sig };
  } catch {
    // below
  }
  return { ...MALFORMED };
}

/**
 * The head file at `headPath` of `peer`'s log: undefined when there is none, `malformed` when it
 * cannot be read or parsed.
 */
export function readHeadFile(headPath: string, peer: string | undefined): HeadFile | undefined {
  let text: string;
  try {
    text = readFileSync(headPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { ...MALFORMED };
  }
  return parseHeadFile(text, peer);
}

/**
 * Replaces the head file at `headPath` with the head of `entry`: signed when the entry is and the
 * peer is known, else a v0.1 `{ seq, hash }`.
 */
export function writeHeadFile(headPath: string, peer: string | undefined, entry: AuditEntry): void {
  const head =
    entry.sig !== undefined && peer !== undefined
      ? { v: AUDIT_LINE_VERSION, peer, seq: entry.seq, hash: entry.hash, sig: entry.sig }
      : { seq: entry.seq, hash: entry.hash };
  // not durable: a head that a crash rolls back is one entry behind, which the next open repairs
  writeFileAtomicSync(headPath, JSON.stringify(head) + '\n', false);
}
