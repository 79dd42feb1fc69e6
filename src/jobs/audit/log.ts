/**
 * The audit log: an append-only, hash-chained, signed JSON-lines file of what this peer was asked,
 * by whom, the program hash, the datasets, its decision, and what it released to whom. Never
 * values: events carry ids, hashes, names, shapes and reasons only.
 *
 * Files (next to each other in the data directory):
 * - `audit.log`: the live log, one entry per line (entry.ts: exactly the hashed fields, each entry
 *   signed with the peer's Ed25519 key).
 * - `audit.log.head`: the signed head of the last entry `{ v, peer, seq, hash, sig }`; it catches
 *   deleted last lines that nobody rewrote the head for.
 * - `audit.log.segments/`: archived entries (segments.ts), so the live log stays short.
 *
 * `verify` walks the archived segments and the live log: an edited line (its hash), a forged or
 * recomputed one (its signature), a deleted, inserted or reordered line (`seq` and `prev`), a line
 * with a missing or extra field or a malformed event, deleted last lines (the head). The signatures
 * make a rewrite impossible without the peer's key; what they cannot show locally is a truncation
 * with the head rewritten to an earlier genuine entry, or a rewrite by someone holding the key:
 * other peers catch those with the signed heads they keep (exchange.ts, `verify({ held })`).
 *
 * Crash safety: an append writes and fsyncs the line, then replaces the head. Opening the log (not
 * read-only) repairs what a crash can leave: a torn last line (removed), a head one entry behind
 * (advanced), an archive cut between its steps (finished), temporary files (removed); each repair
 * is recorded as a signed `audit.repaired` entry. A read-only log (`audit verify --offline`) reports
 * them as notes, not as tampering.
 *
 * Logs from v0.1 (unsigned lines) stay readable: their hash chain is checked as before, and the
 * first open by this version appends a signed `audit.signed` entry chained to the last of them,
 * which anchors them all from then on.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuditLogError } from '../errors.js';
import { archiveLog, applyRetention, type ArchiveTarget } from './archive-log.js';
import {
  AUDIT_LINE_VERSION,
  entryHash,
  headSigningBytes,
  type AuditEntry,
  type SignedAuditHead,
} from './entry.js';
import { auditEventProblem, boundEvent, type AuditEvent } from './events.js';
import { headFilePath, writeHeadFile } from './head-file.js';
import { auditVerifier, type AuditSigner, type AuditVerifier } from './keys.js';
import { listLog } from './list-log.js';
import { recoverLog } from './recover-log.js';
import type { AuditRetention } from './retention.js';
import { emptyLogState, loadTail, setTail, type LogFiles, type LogState } from './state.js';
import { verifyLog } from './verify-log.js';

export { GENESIS_HASH, entryHash, type AuditEntry, type SignedAuditHead } from './entry.js';
export { MAX_PROBLEMS } from './chain-walk.js';
export type * from './results.js'; // the result types moved there; importers of log.ts keep working
import type {
  AuditVerifyResult,
  HeldHeads,
  AuditListOptions,
  AuditListing,
  ArchiveResult,
} from './results.js';

/** Options of {@link AuditLog}. */
export interface AuditLogOptions {
  /** Signs appended entries; without it the log is read-only for appends. */
  signer?: AuditSigner;
  /** Whose log it is (to check signatures); default the signer's peer id. */
  peer?: string;
  /** Archive and prune automatically (src/jobs/audit/retention.ts). */
  retention?: AuditRetention;
  /** Change nothing on disk: no repair, no clean-up, no append (`audit verify --offline`). */
  readOnly?: boolean;
  /** Clock (tests). */
  now?: () => Date;
}

/**
 * An audit log file (one per peer: `<dataDir>/audit.log`). It holds the log's state and appends;
 * listing (list-log.ts), verifying (verify-log.ts), archiving and retention (archive-log.ts) and
 * crash recovery (recover-log.ts) are functions it hands its files and state to.
 */
export class AuditLog {
  /** Whose log it is, when known. */
  readonly peer: string | undefined;
  /** What opening the log repaired (each also recorded as an `audit.repaired` entry). */
  readonly repairs: string[] = [];
  /** The tail of the chain, the live count and the busy flag. */
  private readonly state: LogState = emptyLogState();
  private readonly headPath: string;
  private readonly verifier: AuditVerifier | undefined;
  /** Why the last automatic archive failed, if it did (retention never blocks an append). */
  retentionError: string | undefined;

  /**
   * Opens the log at `path` (created on first append); its head file is `<path>.head`. Unless
   * read-only, repairs what a crash left (see the module comment), signs a v0.1 log's tail and
   * applies the retention.
   * @throws AuditLogError when the log cannot be read or repaired.
   */
  constructor(
    readonly path: string,
    private readonly options: AuditLogOptions = {},
  ) {
    this.headPath = headFilePath(path);
    this.peer = options.peer ?? options.signer?.peerId;
    if (options.signer !== undefined && options.peer !== undefined && options.signer.peerId !== options.peer)
      throw new AuditLogError(
        `the audit log of ${options.peer} cannot be signed by ${options.signer.peerId}`,
      );
    this.verifier = this.peer === undefined ? undefined : auditVerifier(this.peer);
    if (!options.readOnly) this.repairs.push(...recoverLog(this.files()));
    loadTail(this.state, path, options.readOnly === true);
    if (options.readOnly || options.signer === undefined) return;
    const seq = this.state.seq;
    if (seq > 0 && this.state.lastSig === undefined) {
      this.append({
        type: 'audit.signed',
        entries: { first: 1, last: seq },
        reason: `the ${seq} entries before this one were written unsigned (peermpc 0.1); this entry chains to the last of them and is signed, as is every entry after it`,
      });
    }
    if (this.repairs.length > 0) this.append({ type: 'audit.repaired', reason: this.repairs.join('; ') });
    this.applyRetention(this.now());
  }

  /** Sequence number of the last entry (0 when empty). */
  get lastSeq(): number {
    return this.state.seq;
  }

  /** The signed head of the last entry, or undefined (empty log, or its last entry is unsigned). */
  head(): SignedAuditHead | undefined {
    const { seq, last, lastSig } = this.state;
    if (this.peer === undefined || lastSig === undefined) return undefined;
    return { peer: this.peer, seq, hash: last, sig: lastSig };
  }

  /**
   * Appends an event, signed; returns the entry written (flushed to disk).
   * @throws AuditLogError when the log is read-only, the event malformed, or the write fails.
   */
  append(event: AuditEvent, now: Date = this.now()): AuditEntry {
    const signer = this.writableSigner();
    const problem = auditEventProblem(event);
    if (problem !== undefined) throw new AuditLogError(`not appending a malformed audit event: ${problem}`);
    const base = {
      seq: this.state.seq + 1,
      time: now.toISOString(),
      event: boundEvent(event),
      prev: this.state.last,
    };
    const hash = entryHash(base);
    const sig = Buffer.from(signer.sign(headSigningBytes(base.seq, hash))).toString('base64url');
    const entry: AuditEntry = { v: AUDIT_LINE_VERSION, ...base, hash, sig };
    this.writeLine(JSON.stringify(entry) + '\n');
    // the entry is written: the chain goes on from it whatever happens to the head
    setTail(this.state, entry.seq, entry.hash, entry.sig);
    try {
      writeHeadFile(this.headPath, this.peer, entry);
    } catch (err) {
      throw new AuditLogError(
        `cannot update the audit head ${this.headPath} (repaired at the next open): ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      this.state.liveCount++;
    }
    if (!this.state.busy) this.applyRetention(now);
    return entry;
  }

  /** Valid entries, oldest first, filtered (lines that are not valid entries are left out). */
  list(options: AuditListOptions = {}): AuditEntry[] {
    return this.listing(options).entries;
  }

  /**
   * Valid entries, oldest first, filtered, and the lines that are not valid entries: every line is
   * parsed strictly, and the hash and signature of each entry returned are checked (with `limit`,
   * only the last entries are, so a short listing of a long log stays fast); the chain is
   * `verify`'s.
   */
  listing(options: AuditListOptions = {}): AuditListing {
    return listLog(this.path, this.verifier, options);
  }

  /**
   * Checks the archived segments, the live log and the head (see the module comment); with `held`,
   * also that the log still contains every entry other peers hold a signed head of.
   */
  verify(options: { held?: HeldHeads[] } = {}): AuditVerifyResult {
    return verifyLog(this.files(), options.held ?? []);
  }

  /**
   * Moves all but the last `keep` entries of the live log to a new archived segment (the chain is
   * unchanged: the live log's first entry follows the segment's last, whose signed head the index
   * keeps), records it as an `audit.archived` entry, then deletes segments older than the
   * retention's `segmentDays`.
   * @throws AuditLogError when the log is read-only or its live part has invalid lines.
   */
  archive(options: { keep?: number; now?: Date } = {}): ArchiveResult {
    this.writableSigner();
    return archiveLog(this.archiveTarget(), options.keep, options.now ?? this.now());
  }

  // ---------------------------------------------------------------- internals

  /** The clock. */
  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** The signer. @throws AuditLogError when the log is read-only (or has no key). */
  private writableSigner(): AuditSigner {
    const signer = this.options.signer;
    if (this.options.readOnly || signer === undefined)
      throw new AuditLogError(`the audit log ${this.path} is open read-only (no signing key)`);
    return signer;
  }

  /** Appends `line` to the live file and flushes it. @throws AuditLogError */
  private writeLine(line: string): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const fd = openSync(this.path, 'a', 0o600);
      try {
        writeSync(fd, line);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw new AuditLogError(`cannot append to the audit log ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** The log's files and whose it is, for the functions it delegates to. */
  private files(): LogFiles {
    return { path: this.path, headPath: this.headPath, peer: this.peer, verifier: this.verifier };
  }

  /** What archive-log.ts works on: the files, the retention, the state and the append. */
  private archiveTarget(): ArchiveTarget {
    return {
      path: this.path,
      verifier: this.verifier,
      retention: this.options.retention,
      state: this.state,
      append: (event, now) => this.append(event, now),
    };
  }

  /** Archives or prunes per the retention (archive-log.ts); a failure is kept in `retentionError`. */
  private applyRetention(now: Date): void {
    const error = applyRetention(this.archiveTarget(), this.options.readOnly === true, now);
    if (error !== undefined) this.retentionError = error;
  }
}
