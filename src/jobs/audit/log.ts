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
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { AuditLogError } from '../errors.js';
import {
  AUDIT_LINE_VERSION,
  entryHash,
  entryProblem,
  GENESIS_HASH,
  headSignatureValid,
  headSigningBytes,
  parseLine,
  type AuditEntry,
  type SignedAuditHead,
} from './entry.js';
import { auditEventProblem, boundEvent, type AuditEvent } from './events.js';
import { removeStaleTemps, writeFileAtomicSync } from './files.js';
import { auditVerifier, type AuditSigner, type AuditVerifier } from './keys.js';
import type { AuditRetention } from './retention.js';
import {
  readSegment,
  readSegmentIndex,
  segmentFile,
  segmentFilesOnDisk,
  segmentsDir,
  writeSegment,
  writeSegmentIndex,
  type SegmentIndex,
} from './segments.js';

export { GENESIS_HASH, entryHash, type AuditEntry, type SignedAuditHead } from './entry.js';
export type * from './results.js'; // the result types moved there; importers of log.ts keep working
import type {
  AuditProblem,
  PeerHeadsCheck,
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

interface ReadHead {
  seq: number;
  hash: string;
  sig?: string;
  malformed?: boolean;
}

const MAX_INVALID_LISTED = 100;

/** Most problems `verify` reports one by one (a file of garbage is summed up after these). */
export const MAX_PROBLEMS = 1_000;

/** Longest head file read (characters); a real one is under 300. */
const MAX_HEAD_FILE_CHARS = 4_096;

/**
 * Calls `fn` for each line of `text`: its 1-based number, its text, whether a newline ended it,
 * and the offset after it; stops when `fn` returns false. Allocates nothing per line but its text.
 */
function forEachLine(
  text: string,
  fn: (line: number, raw: string, terminated: boolean, end: number) => boolean | void,
): void {
  let start = 0;
  let n = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    n++;
    if (nl < 0) {
      fn(n, text.slice(start), false, text.length);
      return;
    }
    if (fn(n, text.slice(start, nl), true, nl + 1) === false) return;
    start = nl + 1;
  }
}

/** The chain walk's state across segments and the live log. */
interface Walk {
  prev: string;
  expect: number;
  signedSeen: boolean;
  entries: number;
  legacy: number;
  last?: AuditEntry;
  beforeLast?: AuditEntry;
  /** Hashes at the seqs held heads name. */
  wanted: Set<number>;
  found: Map<number, string>;
  /** `audit.pruned` events seen: entries.last -> anchor. */
  prunedEvents: Map<number, string>;
  problems: AuditProblem[];
  /** Problems beyond {@link MAX_PROBLEMS}, counted only. */
  moreProblems: number;
  notes: string[];
}

function addProblem(w: Walk, p: AuditProblem): void {
  if (w.problems.length < MAX_PROBLEMS) w.problems.push(p);
  else w.moreProblems++;
}

/** An audit log file (one per peer: `<dataDir>/audit.log`). */
export class AuditLog {
  /** Whose log it is, when known. */
  readonly peer: string | undefined;
  /** What opening the log repaired (each also recorded as an `audit.repaired` entry). */
  readonly repairs: string[] = [];
  private seq = 0;
  private last = GENESIS_HASH;
  private lastSig: string | undefined;
  /** Entries in the live file. */
  private liveCount = 0;
  private readonly headPath: string;
  private readonly verifier: AuditVerifier | undefined;
  private busy = false;
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
    this.headPath = `${path}.head`;
    this.peer = options.peer ?? options.signer?.peerId;
    if (options.signer !== undefined && options.peer !== undefined && options.signer.peerId !== options.peer)
      throw new AuditLogError(
        `the audit log of ${options.peer} cannot be signed by ${options.signer.peerId}`,
      );
    this.verifier = this.peer === undefined ? undefined : auditVerifier(this.peer);
    if (!options.readOnly) this.recover();
    this.loadTail();
    if (options.readOnly || options.signer === undefined) return;
    if (this.seq > 0 && this.lastSig === undefined) {
      this.append({
        type: 'audit.signed',
        entries: { first: 1, last: this.seq },
        reason: `the ${this.seq} entries before this one were written unsigned (peermpc 0.1); this entry chains to the last of them and is signed, as is every entry after it`,
      });
    }
    if (this.repairs.length > 0) this.append({ type: 'audit.repaired', reason: this.repairs.join('; ') });
    this.applyRetention();
  }

  /** Sequence number of the last entry (0 when empty). */
  get lastSeq(): number {
    return this.seq;
  }

  /** The signed head of the last entry, or undefined (empty log, or its last entry is unsigned). */
  head(): SignedAuditHead | undefined {
    if (this.peer === undefined || this.lastSig === undefined) return undefined;
    return { peer: this.peer, seq: this.seq, hash: this.last, sig: this.lastSig };
  }

  /**
   * Appends an event, signed; returns the entry written (flushed to disk).
   * @throws AuditLogError when the log is read-only, the event malformed, or the write fails.
   */
  append(event: AuditEvent, now: Date = this.options.now?.() ?? new Date()): AuditEntry {
    const signer = this.options.signer;
    if (this.options.readOnly || signer === undefined)
      throw new AuditLogError(`the audit log ${this.path} is open read-only (no signing key)`);
    const problem = auditEventProblem(event);
    if (problem !== undefined) throw new AuditLogError(`not appending a malformed audit event: ${problem}`);
    const base = { seq: this.seq + 1, time: now.toISOString(), event: boundEvent(event), prev: this.last };
    const hash = entryHash(base);
    const sig = Buffer.from(signer.sign(headSigningBytes(base.seq, hash))).toString('base64url');
    const entry: AuditEntry = { v: AUDIT_LINE_VERSION, ...base, hash, sig };
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const fd = openSync(this.path, 'a', 0o600);
      try {
        writeSync(fd, JSON.stringify(entry) + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw new AuditLogError(`cannot append to the audit log ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // the entry is written: the chain goes on from it whatever happens to the head
    this.seq = entry.seq;
    this.last = entry.hash;
    this.lastSig = entry.sig;
    try {
      this.writeHead(entry);
    } catch (err) {
      throw new AuditLogError(
        `cannot update the audit head ${this.headPath} (repaired at the next open): ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      this.liveCount++;
    }
    if (!this.busy) this.applyRetention(now);
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
    const invalid: (AuditProblem & { rank: number })[] = [];
    let invalidCount = 0;
    const bad = (p: AuditProblem & { rank: number }): void => {
      invalidCount++;
      if (invalid.length < 2 * MAX_INVALID_LISTED) invalid.push(p);
    };
    const candidates: { file: string; rank: number; line: number; entry: AuditEntry }[] = [];
    let rank = 0;
    const take = (file: string, text: string, live: boolean): void => {
      rank++;
      forEachLine(text, (line, raw, terminated) => {
        const parsed = parseLine(raw);
        if (parsed.entry === undefined) {
          if (!(live && !terminated)) bad({ file, line, problem: parsed.problem, rank }); // else: torn
          return;
        }
        if (options.job === undefined || parsed.entry.event.job === options.job)
          candidates.push({ file, rank, line, entry: parsed.entry });
      });
    };
    if (options.archived === true) {
      let index: SegmentIndex | undefined;
      try {
        index = readSegmentIndex(this.path);
      } catch (err) {
        bad({ file: 'segments index', line: 0, problem: (err as Error).message, rank: 0 });
      }
      for (const s of index?.segments ?? []) {
        try {
          take(s.file, readSegment(this.path, s.file, s.last - s.first + 1), false);
        } catch (err) {
          bad({ file: s.file, line: 0, problem: (err as Error).message, rank });
        }
      }
    }
    take(basename(this.path), this.readText(this.path), true);
    const out: AuditEntry[] = [];
    const limit = options.limit ?? Infinity;
    for (let i = candidates.length - 1; i >= 0 && out.length < limit; i--) {
      const c = candidates[i]!;
      const problem = entryProblem(c.entry, this.verifier);
      if (problem === undefined) out.push(c.entry);
      else bad({ file: c.file, line: c.line, problem, rank: c.rank });
    }
    out.reverse();
    invalid.sort((a, b) => a.rank - b.rank || a.line - b.line);
    const shown: AuditProblem[] = invalid
      .slice(0, MAX_INVALID_LISTED)
      .map(({ file, line, problem }) => ({ file, line, problem }));
    if (invalidCount > shown.length)
      shown.push({ file: '', line: 0, problem: `${invalidCount - shown.length} more invalid lines` });
    return { entries: out, invalid: shown };
  }

  /**
   * Checks the archived segments, the live log and the head (see the module comment); with `held`,
   * also that the log still contains every entry other peers hold a signed head of.
   */
  verify(options: { held?: HeldHeads[] } = {}): AuditVerifyResult {
    const held = options.held ?? [];
    const w: Walk = {
      prev: GENESIS_HASH,
      expect: 1,
      signedSeen: false,
      entries: 0,
      legacy: 0,
      wanted: new Set(held.flatMap((h) => h.heads.map((x) => x.seq))),
      found: new Map(),
      prunedEvents: new Map(),
      problems: [],
      moreProblems: 0,
      notes: [],
    };
    if (this.verifier === undefined)
      w.notes.push(
        this.peer === undefined
          ? 'signatures not checked: whose log this is is unknown'
          : `signatures not checked: ${this.peer} is not an Ed25519 peer id`,
      );
    let index: SegmentIndex = { v: 1, segments: [] };
    try {
      index = readSegmentIndex(this.path);
    } catch (err) {
      addProblem(w, { file: 'segments index', line: 0, problem: (err as Error).message });
    }
    let prunedUpTo = 0;
    if (index.pruned !== undefined) {
      const p = index.pruned;
      prunedUpTo = p.last;
      if (
        p.sig !== undefined &&
        this.verifier !== undefined &&
        !headSignatureValid(this.verifier, { ...p, seq: p.last, sig: p.sig })
      )
        addProblem(w, {
          file: 'segments index',
          line: 0,
          problem: `the pruned anchor (entry ${p.last}) is not signed by this peer`,
        });
      w.prev = p.hash;
      w.expect = p.last + 1;
      w.notes.push(
        `entries 1..${p.last} were deleted by retention on ${p.at}; the chain starts from the last one's signed hash`,
      );
    }
    let archived = 0;
    for (const s of index.segments) {
      let text: string;
      try {
        text = readSegment(this.path, s.file, s.last - s.first + 1);
      } catch (err) {
        addProblem(w, {
          file: s.file,
          line: 0,
          problem: `${(err as Error).message} (entries ${s.first}..${s.last})`,
        });
        w.prev = s.hash;
        w.expect = s.last + 1;
        continue;
      }
      const before = w.entries;
      this.walkLines(s.file, text, w, false);
      archived += w.entries - before;
      if (w.last?.seq !== s.last || w.last.hash !== s.hash)
        addProblem(w, {
          file: 'segments index',
          line: 0,
          problem: `segment ${s.file} should end with entry ${s.last} (hash ${s.hash.slice(0, 16)}…) but ends with entry ${w.last?.seq ?? 'none'}`,
        });
    }
    const listed = new Set(index.segments.map((s) => s.file));
    const stray = segmentFilesOnDisk(this.path).filter((f) => !listed.has(f));
    if (stray.length > 0)
      w.notes.push(
        `segment files not in the index (left by an interrupted archive, ignored): ${stray.join(', ')}`,
      );
    const liveBefore = w.entries;
    this.walkLines(basename(this.path), this.readText(this.path), w, true);
    const live = w.entries - liveBefore;
    this.checkHead(w);
    if (index.pruned !== undefined && w.prunedEvents.get(index.pruned.last) !== index.pruned.hash)
      addProblem(w, {
        file: 'segments index',
        line: 0,
        problem: `entries 1..${index.pruned.last} are gone, but no signed audit.pruned entry records their deletion`,
      });
    const peers = held.map((h) => this.checkHeld(h, w, prunedUpTo));
    if (w.moreProblems > 0)
      w.problems.push({ file: '', line: 0, problem: `and ${w.moreProblems} more problems` });
    return {
      ok: w.problems.length === 0,
      ...(this.peer !== undefined ? { peer: this.peer } : {}),
      entries: w.entries,
      live,
      archived,
      segments: index.segments.length,
      pruned: prunedUpTo,
      legacy: w.legacy,
      signaturesChecked: this.verifier !== undefined,
      seq: w.last?.seq ?? (prunedUpTo > 0 ? prunedUpTo : 0),
      head: w.last?.hash ?? w.prev,
      problems: w.problems,
      notes: w.notes,
      ...(held.length > 0 ? { peers } : {}),
    };
  }

  /**
   * Moves all but the last `keep` entries of the live log to a new archived segment (the chain is
   * unchanged: the live log's first entry follows the segment's last, whose signed head the index
   * keeps), records it as an `audit.archived` entry, then deletes segments older than the
   * retention's `segmentDays`.
   * @throws AuditLogError when the log is read-only or its live part has invalid lines.
   */
  archive(options: { keep?: number; now?: Date } = {}): ArchiveResult {
    if (this.options.readOnly || this.options.signer === undefined)
      throw new AuditLogError(`the audit log ${this.path} is open read-only (no signing key)`);
    const keep = Math.max(0, options.keep ?? this.options.retention?.keepLiveEntries ?? 0);
    const now = options.now ?? this.options.now?.() ?? new Date();
    this.busy = true;
    try {
      const lines: { raw: string; end: number }[] = [];
      const entries: AuditEntry[] = [];
      const text = this.readText(this.path);
      forEachLine(text, (line, raw, _terminated, end) => {
        const p = parseLine(raw);
        const problem = p.problem ?? entryProblem(p.entry, this.verifier);
        if (problem !== undefined)
          throw new AuditLogError(
            `not archiving: line ${line} of ${this.path} is not a valid entry (${problem}); run peermpc audit verify`,
          );
        lines.push({ raw, end });
        entries.push(p.entry!);
      });
      const count = entries.length - keep;
      let result: ArchiveResult = { archived: 0, live: entries.length, pruned: 0 };
      if (count > 0) {
        const moved = entries.slice(0, count);
        const first = moved[0]!;
        const lastEntry = moved.at(-1)!;
        const index = readSegmentIndex(this.path);
        const tail = index.segments.at(-1);
        const chainEnd = tail?.last ?? index.pruned?.last ?? 0;
        if (first.seq !== chainEnd + 1)
          throw new AuditLogError(
            `not archiving: the live log starts at entry ${first.seq}, the archive ends at ${chainEnd}; run peermpc audit verify`,
          );
        const file = segmentFile(first.seq, lastEntry.seq);
        writeSegment(
          this.path,
          file,
          lines
            .slice(0, count)
            .map((l) => l.raw + '\n')
            .join(''),
        );
        index.segments.push({
          file,
          first: first.seq,
          last: lastEntry.seq,
          prev: first.prev,
          hash: lastEntry.hash,
          ...(lastEntry.sig !== undefined ? { sig: lastEntry.sig } : {}),
          from: first.time,
          to: lastEntry.time,
        });
        writeSegmentIndex(this.path, index);
        writeFileAtomicSync(
          this.path,
          lines
            .slice(count)
            .map((l) => l.raw + '\n')
            .join(''),
        );
        this.liveCount = entries.length - count;
        this.append(
          {
            type: 'audit.archived',
            entries: { first: first.seq, last: lastEntry.seq },
            anchor: lastEntry.hash,
            reason: `archived to ${file}`,
          },
          now,
        );
        result = {
          archived: count,
          segment: file,
          first: first.seq,
          last: lastEntry.seq,
          live: this.liveCount,
          pruned: 0,
        };
      }
      result.pruned = this.pruneSegments(now);
      result.live = this.liveCount;
      return result;
    } finally {
      this.busy = false;
    }
  }

  // ---------------------------------------------------------------- internals

  private readText(path: string): string {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw new AuditLogError(`cannot read the audit log ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  private readHead(): ReadHead | undefined {
    let text: string;
    try {
      text = readFileSync(this.headPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return { seq: -1, hash: '', malformed: true };
    }
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
        (this.peer === undefined || h.peer === this.peer)
      )
        return { seq: h.seq as number, hash: h.hash, sig: h.sig };
    } catch {
      // below
    }
    return { seq: -1, hash: '', malformed: true };
  }

  private writeHead(entry: AuditEntry): void {
    const head =
      entry.sig !== undefined && this.peer !== undefined
        ? { v: AUDIT_LINE_VERSION, peer: this.peer, seq: entry.seq, hash: entry.hash, sig: entry.sig }
        : { seq: entry.seq, hash: entry.hash };
    // not durable: a head that a crash rolls back is one entry behind, which the next open repairs
    writeFileAtomicSync(this.headPath, JSON.stringify(head) + '\n', false);
  }

  /** Sets the tail (seq, hash, signature) from the live log, else the archive. */
  private loadTail(): void {
    let tail: AuditEntry | undefined;
    let count = 0;
    forEachLine(this.readText(this.path), (_line, raw) => {
      const p = parseLine(raw);
      if (p.entry !== undefined) {
        tail = p.entry;
        count++;
      }
    });
    this.liveCount = count;
    if (tail === undefined) {
      let index: SegmentIndex;
      try {
        index = readSegmentIndex(this.path);
      } catch (err) {
        if (this.options.readOnly) return;
        throw err;
      }
      const s = index.segments.at(-1);
      if (s !== undefined) {
        this.seq = s.last;
        this.last = s.hash;
        this.lastSig = s.sig;
      } else if (index.pruned !== undefined) {
        this.seq = index.pruned.last;
        this.last = index.pruned.hash;
        this.lastSig = index.pruned.sig;
      }
      return;
    }
    this.seq = tail.seq;
    this.last = tail.hash;
    this.lastSig = tail.sig;
  }

  /** Repairs what a crash can leave (see the module comment). */
  private recover(): void {
    try {
      const temps =
        removeStaleTemps(dirname(this.path), `${basename(this.path)}.`) +
        removeStaleTemps(segmentsDir(this.path), '');
      if (temps > 0) this.repairs.push(`${temps} temporary file(s) left by a crash were removed`);
      this.repairTornLine();
      this.finishArchive();
      this.repairHead();
    } catch (err) {
      if (err instanceof AuditLogError) throw err;
      throw new AuditLogError(`cannot repair the audit log ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** A last line without its newline: completed when it is a whole entry, else cut off. */
  private repairTornLine(): void {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return;
    const cut = bytes.lastIndexOf(0x0a) + 1;
    const fragment = bytes.subarray(cut);
    const parsed = parseLine(fragment.toString('utf8'));
    const fd = openSync(this.path, 'r+');
    try {
      if (parsed.entry !== undefined && entryProblem(parsed.entry, this.verifier) === undefined) {
        writeSync(fd, '\n', bytes.length);
        this.repairs.push(
          `the last line (entry ${parsed.entry.seq}) lacked its newline after a crash; completed`,
        );
      } else {
        ftruncateSync(fd, cut);
        const digest = createHash('sha256').update(fragment).digest('hex').slice(0, 16);
        this.repairs.push(
          `a torn last line (${fragment.length} bytes, sha256 ${digest}…) left by a crash during an append was removed`,
        );
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** An archive cut after its segment and index were written, before the live log was rewritten. */
  private finishArchive(): void {
    let index: SegmentIndex;
    try {
      index = readSegmentIndex(this.path);
    } catch {
      return; // a corrupt index blocks no job: verify reports it
    }
    const tail = index.segments.at(-1);
    if (tail === undefined) return;
    const text = this.readText(this.path);
    let firstSeq: number | undefined;
    let cut = -1;
    let clean = true;
    forEachLine(text, (_line, raw, _terminated, end) => {
      const e = parseLine(raw).entry;
      if (e === undefined) {
        clean = false;
        return false;
      }
      firstSeq ??= e.seq;
      if (e.seq > tail.last) return false;
      if (e.seq === tail.last) {
        if (e.hash === tail.hash) cut = end;
        return false;
      }
      return true;
    });
    // only the exact leftover of our own archive is removed; anything else is verify's to report
    if (firstSeq === undefined || firstSeq > tail.last || cut < 0 || !clean) return;
    writeFileAtomicSync(this.path, text.slice(cut));
    this.repairs.push(
      `an archive interrupted by a crash was completed (entries ${firstSeq}..${tail.last} were already in ${tail.file})`,
    );
  }

  /** The head one entry behind the log (a crash between the append and the head update): advanced. */
  private repairHead(): void {
    let count = 0;
    let last: AuditEntry | undefined;
    let beforeLast: AuditEntry | undefined;
    forEachLine(this.readText(this.path), (_line, raw) => {
      count++;
      beforeLast = last;
      last = parseLine(raw).entry;
    });
    if (last === undefined || entryProblem(last, this.verifier) !== undefined) return;
    const head = this.readHead();
    let behind: boolean;
    if (head === undefined) behind = last.seq === 1 && last.prev === GENESIS_HASH && count === 1;
    else if (head.malformed) behind = false;
    else {
      const prevHash =
        beforeLast?.seq === head.seq
          ? beforeLast.hash
          : count === 1
            ? this.archivedTailHash(head.seq)
            : undefined;
      behind = last.seq === head.seq + 1 && last.prev === head.hash && prevHash === head.hash;
    }
    if (!behind) return;
    this.writeHead(last);
    this.repairs.push(
      `the head was one entry behind the log (a crash between the append of entry ${last.seq} and the head update); advanced`,
    );
  }

  private archivedTailHash(seq: number): string | undefined {
    const index = readSegmentIndex(this.path);
    const s = index.segments.at(-1);
    if (s !== undefined) return s.last === seq ? s.hash : undefined;
    return index.pruned?.last === seq ? index.pruned.hash : undefined;
  }

  /** Checks the lines of one file against the chain. */
  private walkLines(file: string, text: string, w: Walk, live: boolean): void {
    forEachLine(text, (line, raw, terminated) => {
      const parsed = parseLine(raw);
      if (parsed.entry === undefined) {
        if (live && !terminated)
          w.notes.push(
            `line ${line} is a torn last line (a crash during an append); it is removed when the daemon next opens the log`,
          );
        else addProblem(w, { file, line, problem: parsed.problem });
        return;
      }
      const e = parsed.entry;
      w.entries++;
      if (e.seq !== w.expect)
        addProblem(w, {
          file,
          line,
          problem:
            e.seq > w.expect
              ? `entries ${w.expect}..${e.seq - 1} are missing (deleted lines)`
              : `sequence number ${e.seq} out of order (expected ${w.expect})`,
        });
      if (e.prev !== w.prev)
        addProblem(w, {
          file,
          line,
          problem: `entry ${e.seq} does not follow the previous line (a line was deleted, inserted or reordered)`,
        });
      const problem = entryProblem(e, this.verifier);
      if (problem !== undefined) addProblem(w, { file, line, problem });
      if (e.v === undefined) {
        w.legacy++;
        if (w.signedSeen)
          addProblem(w, {
            file,
            line,
            problem: `entry ${e.seq} is unsigned after signed entries (inserted or rewritten)`,
          });
      } else w.signedSeen = true;
      if (e.event.type === 'audit.pruned' && e.event.entries !== undefined && e.event.anchor !== undefined)
        w.prunedEvents.set(e.event.entries.last, e.event.anchor);
      if (w.wanted.has(e.seq) && !w.found.has(e.seq)) w.found.set(e.seq, e.hash);
      w.prev = e.hash;
      w.expect = e.seq + 1;
      w.beforeLast = w.last;
      w.last = e;
    });
  }

  private checkHead(w: Walk): void {
    const file = basename(this.headPath);
    const head = this.readHead();
    const lastSeq = w.expect - 1;
    if (head === undefined) {
      if (w.last !== undefined && w.entries === 1 && w.last.seq === 1)
        w.notes.push(
          'the head file is missing after the first append (a crash before its update); repaired when the daemon next opens the log',
        );
      else if (w.last !== undefined) addProblem(w, { file, line: 0, problem: 'the head file is missing' });
      return;
    }
    if (head.malformed) {
      addProblem(w, { file, line: 0, problem: 'the head file is corrupt or not this peer’s' });
      return;
    }
    if (head.seq === lastSeq && head.hash === w.prev) {
      if (
        head.sig !== undefined &&
        this.verifier !== undefined &&
        !headSignatureValid(this.verifier, { ...head, sig: head.sig })
      )
        addProblem(w, { file, line: 0, problem: 'the head file is not signed by this peer' });
      return;
    }
    const b = w.beforeLast;
    const l = w.last;
    if (
      l !== undefined &&
      head.seq === l.seq - 1 &&
      l.prev === head.hash &&
      (b === undefined ? true : b.seq === head.seq && b.hash === head.hash)
    ) {
      w.notes.push(
        `the head is one entry behind the log (a crash between the append of entry ${l.seq} and the head update); repaired when the daemon next opens the log`,
      );
      return;
    }
    addProblem(w, {
      file,
      line: 0,
      problem:
        head.seq > lastSeq
          ? `the log ends at entry ${lastSeq} but the head says ${head.seq} (last lines deleted)`
          : 'the head file does not match the last entry',
    });
  }

  private checkHeld(h: HeldHeads, w: Walk, prunedUpTo: number): PeerHeadsCheck {
    const out: PeerHeadsCheck = {
      peer: h.holder,
      heads: h.heads.length,
      confirmed: 0,
      unverifiable: 0,
      problems: [],
      ...(h.error !== undefined ? { error: h.error } : {}),
    };
    const who = h.holder.slice(0, 16) + '…';
    const bySeq = new Map<number, string>();
    for (const head of h.heads) {
      if (this.peer !== undefined && head.peer !== this.peer) {
        w.notes.push(`${who} returned a head of another peer (${head.peer.slice(0, 16)}…): ignored`);
        continue;
      }
      if (this.verifier !== undefined && !headSignatureValid(this.verifier, head)) {
        w.notes.push(`${who} returned a head of entry ${head.seq} this peer never signed: ignored`);
        continue;
      }
      const other = bySeq.get(head.seq);
      if (other !== undefined && other !== head.hash) {
        out.problems.push(
          `holds two different signed heads of entry ${head.seq}: this peer signed two versions of its log (a fork)`,
        );
        continue;
      }
      bySeq.set(head.seq, head.hash);
      if (head.seq <= prunedUpTo) {
        out.unverifiable++;
        continue;
      }
      const mine = w.found.get(head.seq);
      if (mine === undefined)
        out.problems.push(
          `holds the signed head of entry ${head.seq} (hash ${head.hash.slice(0, 16)}…) but the log ends at entry ${w.expect - 1}: truncated after that peer saw it`,
        );
      else if (mine !== head.hash)
        out.problems.push(
          `holds the signed head of entry ${head.seq} with hash ${head.hash.slice(0, 16)}… but the log's entry ${head.seq} has hash ${mine.slice(0, 16)}…: rewritten after that peer saw it`,
        );
      else out.confirmed++;
    }
    if (out.unverifiable > 0)
      w.notes.push(
        `${out.unverifiable} head(s) held by ${who} are of entries deleted by retention: not checked`,
      );
    for (const p of out.problems) addProblem(w, { file: `peer ${h.holder}`, line: 0, problem: p });
    return out;
  }

  /** Archives when the live log grew past the retention's limit. */
  private applyRetention(now: Date = this.options.now?.() ?? new Date()): void {
    const r = this.options.retention;
    if (r === undefined || this.options.readOnly || this.busy) return;
    try {
      if (this.liveCount > r.maxLiveEntries) this.archive({ keep: r.keepLiveEntries, now });
      else if (r.segmentDays > 0) {
        this.busy = true;
        try {
          this.pruneSegments(now);
        } finally {
          this.busy = false;
        }
      }
    } catch (err) {
      // retention never blocks an append; `verify` and `archive` report the cause
      this.retentionError = (err as Error).message;
    }
  }

  /**
   * Deletes the oldest segments whose last entry is older than the retention's `segmentDays`:
   * first a signed `audit.pruned` entry, then the index's anchor, then the files. Returns the
   * number of entries deleted.
   */
  private pruneSegments(now: Date): number {
    const days = this.options.retention?.segmentDays ?? 0;
    if (days <= 0) return 0;
    const cutoff = now.getTime() - days * 86_400_000;
    const index = readSegmentIndex(this.path);
    let n = 0;
    while (n < index.segments.length && Date.parse(index.segments[n]!.to) < cutoff) n++;
    if (n === 0) return 0;
    const gone = index.segments.slice(0, n);
    const lastGone = gone.at(-1)!;
    const first = index.pruned === undefined ? 1 : index.pruned.last + 1;
    this.append(
      {
        type: 'audit.pruned',
        entries: { first, last: lastGone.last },
        anchor: lastGone.hash,
        reason: `retention: archived entries older than ${days} days deleted`,
      },
      now,
    );
    index.segments = index.segments.slice(n);
    index.pruned = {
      last: lastGone.last,
      hash: lastGone.hash,
      ...(lastGone.sig !== undefined ? { sig: lastGone.sig } : {}),
      at: now.toISOString(),
    };
    writeSegmentIndex(this.path, index);
    for (const s of gone) rmSync(join(segmentsDir(this.path), s.file), { force: true });
    return lastGone.last - first + 1;
  }
}
