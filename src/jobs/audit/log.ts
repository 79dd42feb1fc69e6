/**
 * The audit log: an append-only, hash-chained JSON-lines file of what this peer was asked, by
 * whom, the program hash, the datasets, its decision, and what it released to whom. Never values:
 * events carry ids, hashes, names, shapes and reasons only.
 *
 * Each line is `{ seq, time, event, prev, hash }` where `prev` is the previous line's hash (64
 * zeros for the first) and `hash = sha256(canonicalJson({ seq, time, event, prev }))`. A head file
 * next to it holds the last `{ seq, hash }`, so `verify` detects an edited line (its hash), a
 * deleted or reordered line (the next line's `prev` and `seq`), and deleted last lines (the head).
 * Someone who can rewrite both files and recompute every hash is not detected: the log is evidence
 * of accidents and casual edits, not a defence against a determined administrator of the peer.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson } from '../../node/canonical-json.js';
import { AuditLogError } from '../errors.js';
import { sha256Hex } from '../program/hash.js';
import type { AuditEvent } from './events.js';

/** The `prev` of the first line. */
export const GENESIS_HASH = '0'.repeat(64);

/** One line of the log. */
export interface AuditEntry {
  /** 1, 2, 3... */
  seq: number;
  /** ISO 8601 time of the append. */
  time: string;
  /** What happened. */
  event: AuditEvent;
  /** Hash of the previous entry. */
  prev: string;
  /** Hash of this entry. */
  hash: string;
}

/** One problem `verify` found. */
export interface AuditProblem {
  /** 1-based line number in the file (0 for the head file). */
  line: number;
  /** What is wrong. */
  problem: string;
}

/** The result of {@link AuditLog.verify}. */
export interface AuditVerifyResult {
  /** True when the chain is intact. */
  ok: boolean;
  /** Entries read. */
  entries: number;
  /** Hash of the last entry (the chain's head), or the genesis hash for an empty log. */
  head: string;
  /** Everything wrong, in file order. */
  problems: AuditProblem[];
}

/** Filters of {@link AuditLog.list}. */
export interface AuditListOptions {
  /** Only entries about this job. */
  job?: string;
  /** Only the last `limit` entries (after filtering). */
  limit?: number;
}

/** The hash of an entry's content. */
export function entryHash(e: Pick<AuditEntry, 'seq' | 'time' | 'event' | 'prev'>): string {
  return sha256Hex(canonicalJson({ seq: e.seq, time: e.time, event: e.event, prev: e.prev }));
}

/** An audit log file (one per peer: `<dataDir>/audit.log`). */
export class AuditLog {
  private seq = 0;
  private last = GENESIS_HASH;
  private readonly headPath: string;

  /** Opens (or creates on first append) the log at `path`; its head file is `<path>.head`. */
  constructor(readonly path: string) {
    this.headPath = `${path}.head`;
    const entries = this.readEntries().entries;
    const tail = entries.at(-1);
    if (tail !== undefined) {
      this.seq = tail.entry.seq;
      this.last = tail.entry.hash;
    }
  }

  /** Appends an event; returns the entry written (flushed to disk). */
  append(event: AuditEvent, now: Date = new Date()): AuditEntry {
    const base = { seq: this.seq + 1, time: now.toISOString(), event, prev: this.last };
    const entry: AuditEntry = { ...base, hash: entryHash(base) };
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const fd = openSync(this.path, 'a', 0o600);
      try {
        writeSync(fd, JSON.stringify(entry) + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const tmp = `${this.headPath}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ seq: entry.seq, hash: entry.hash }) + '\n', { mode: 0o600 });
      renameSync(tmp, this.headPath);
    } catch (err) {
      throw new AuditLogError(`cannot append to the audit log ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.seq = entry.seq;
    this.last = entry.hash;
    return entry;
  }

  /** Entries (parsable lines), oldest first, filtered. */
  list(options: AuditListOptions = {}): AuditEntry[] {
    let out = this.readEntries().entries.map((e) => e.entry);
    if (options.job !== undefined) out = out.filter((e) => e.event.job === options.job);
    if (options.limit !== undefined) out = out.slice(-options.limit);
    return out;
  }

  /** Checks the whole chain and the head file (see the module comment). */
  verify(): AuditVerifyResult {
    const { entries, problems } = this.readEntries();
    let prev = GENESIS_HASH;
    let expectSeq = 1;
    for (const { line, entry } of entries) {
      if (entry.seq !== expectSeq) {
        problems.push({
          line,
          problem:
            entry.seq > expectSeq
              ? `entries ${expectSeq}..${entry.seq - 1} are missing (deleted lines)`
              : `sequence number ${entry.seq} out of order (expected ${expectSeq})`,
        });
      }
      if (entry.prev !== prev)
        problems.push({
          line,
          problem: `entry ${entry.seq} does not follow the previous line (a line was deleted, inserted or reordered)`,
        });
      if (entryHash(entry) !== entry.hash)
        problems.push({
          line,
          problem: `entry ${entry.seq} was edited (its hash does not match its content)`,
        });
      prev = entry.hash;
      expectSeq = entry.seq + 1;
    }
    const head = this.readHead();
    if (head === undefined) {
      if (entries.length > 0) problems.push({ line: 0, problem: 'the head file is missing' });
    } else if (head.seq !== expectSeq - 1 || head.hash !== prev) {
      problems.push({
        line: 0,
        problem:
          head.seq > expectSeq - 1
            ? `the log ends at entry ${expectSeq - 1} but the head says ${head.seq} (last lines deleted)`
            : 'the head file does not match the last entry',
      });
    }
    problems.sort((a, b) => a.line - b.line);
    return { ok: problems.length === 0, entries: entries.length, head: prev, problems };
  }

  private readHead(): { seq: number; hash: string } | undefined {
    try {
      const h = JSON.parse(readFileSync(this.headPath, 'utf8')) as { seq?: unknown; hash?: unknown };
      return typeof h.seq === 'number' && typeof h.hash === 'string'
        ? { seq: h.seq, hash: h.hash }
        : { seq: -1, hash: '' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return { seq: -1, hash: '' };
    }
  }

  private readEntries(): { entries: { line: number; entry: AuditEntry }[]; problems: AuditProblem[] } {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] };
      throw new AuditLogError(`cannot read the audit log ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const entries: { line: number; entry: AuditEntry }[] = [];
    const problems: AuditProblem[] = [];
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    lines.forEach((raw, i) => {
      try {
        const e = JSON.parse(raw) as AuditEntry;
        if (
          typeof e.seq !== 'number' ||
          typeof e.hash !== 'string' ||
          typeof e.prev !== 'string' ||
          typeof e.event !== 'object'
        ) {
          throw new Error('not an entry');
        }
        entries.push({ line: i + 1, entry: e });
      } catch {
        problems.push({ line: i + 1, problem: 'not a valid audit entry (edited or corrupt)' });
      }
    });
    return { entries, problems };
  }
}
