/**
 * What an open audit log knows of itself: its files and whose it is ({@link LogFiles}, what
 * verify-log.ts and recover-log.ts work on), and what it keeps in memory ({@link LogState}): the
 * tail of its chain (the last entry's seq, hash and signature), how many entries the live file
 * holds, and whether an archive is under way. The `AuditLog` class (log.ts) owns one state and
 * hands it to the functions it delegates to (archive-log.ts); {@link loadTail} sets it from the
 * files when the log is opened.
 */
import { forEachLine, GENESIS_HASH, parseLine, type AuditEntry } from './entry.js';
import { readLogText } from './files.js';
import type { AuditVerifier } from './keys.js';
import { readSegmentIndex, type SegmentIndex } from './segments.js';

/** The files of a log, whose it is, and what checks its entries' signatures. */
export interface LogFiles {
  /** The live log (`audit.log`). */
  path: string;
  /** Its head file (`audit.log.head`). */
  headPath: string;
  /** Whose log it is, when known. */
  peer: string | undefined;
  /** Checks entries' signatures, when the peer is known. */
  verifier: AuditVerifier | undefined;
}

/** The in-memory state of an open log. */
export interface LogState {
  /** Sequence number of the last entry (0 when empty). */
  seq: number;
  /** Hash of the last entry (the genesis hash when empty). */
  last: string;
  /** Signature of the last entry (undefined when empty or legacy). */
  lastSig: string | undefined;
  /** Entries in the live file. */
  liveCount: number;
  /** An archive or a prune is under way (retention is not applied again from inside it). */
  busy: boolean;
}

/** The state of an empty log. */
export function emptyLogState(): LogState {
  return { seq: 0, last: GENESIS_HASH, lastSig: undefined, liveCount: 0, busy: false };
}

/**
 * Sets `state`'s tail (seq, hash, signature) from the live log at `path`, else from the archive's
 * index, and its count of live entries. A read-only log leaves the tail empty when the index is
 * unreadable.
 * @throws AuditLogError when the log or (not read-only) the index cannot be read.
 */
export function loadTail(state: LogState, path: string, readOnly: boolean): void {
  let tail: AuditEntry | undefined;
  let count = 0;
  forEachLine(readLogText(path), (_line, raw) => {
    const p = parseLine(raw);
    if (p.entry !== undefined) {
      tail = p.entry;
      count++;
    }
  });
  state.liveCount = count;
  if (tail !== undefined) {
    setTail(state, tail.seq, tail.hash, tail.sig);
    return;
  }
  let index: SegmentIndex;
  try {
    index = readSegmentIndex(path);
  } catch (err) {
    if (readOnly) return;
    throw err;
  }
  const s = index.segments.at(-1);
  if (s !== undefined) setTail(state, s.last, s.hash, s.sig);
  else if (index.pruned !== undefined) setTail(state, index.pruned.last, index.pruned.hash, index.pruned.sig);
}

/** Sets the tail of the chain: the last entry's seq, hash and signature. */
export function setTail(state: LogState, seq: number, hash: string, sig: string | undefined): void {
  state.seq = seq;
  state.last = hash;
  state.lastSig = sig;
}
