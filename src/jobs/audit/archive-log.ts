/**
 * Archiving and retention of the audit log (settings: retention.ts; files: segments.ts).
 *
 * An archive moves all but the last entries of the live log to a new segment: the segment, then
 * the index (with the signed head of the segment's last entry), then the shortened live log, then a
 * signed `audit.archived` entry. The chain is unchanged: the live log's first entry follows the
 * segment's last. An archive a crash cut after its index was written is finished at the next open
 * (recover-log.ts); one cut before leaves a stray segment file, which `verify` notes and ignores.
 *
 * Retention archives when the live log grew past `maxLiveEntries`, and deletes the segments whose
 * last entry is older than `segmentDays`: first a signed `audit.pruned` entry, then the index's
 * anchor (the signed head of the last deleted entry, where the chain then starts), then the files.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLogError } from '../errors.js';
import { entryProblem, forEachLine, parseLine, type AuditEntry } from './entry.js';
import type { AuditEvent } from './events.js';
import { readLogText, writeFileAtomicSync } from './files.js';
import type { AuditVerifier } from './keys.js';
import type { ArchiveResult } from './results.js';
import type { AuditRetention } from './retention.js';
import {
  readSegmentIndex,
  segmentFile,
  segmentsDir,
  writeSegment,
  writeSegmentIndex,
  type SegmentInfo,
} from './segments.js';
import type { LogState } from './state.js';

/** What archiving needs of an open, writable log. */
export interface ArchiveTarget {
  /** The live log. */
  readonly path: string;
  /** Checks entries' signatures, when the peer is known. */
  readonly verifier: AuditVerifier | undefined;
  /** The retention settings, if any. */
  readonly retention: AuditRetention | undefined;
  /** The log's state: its live count and busy flag are updated here. */
  readonly state: LogState;
  /** Appends a signed entry to the log (the log's own append). */
  append(event: AuditEvent, now: Date): AuditEntry;
}

/** The live log's lines, each a valid entry. */
interface LiveLines {
  /** Each line's text (without its newline). */
  raws: string[];
  /** The entries they hold. */
  entries: AuditEntry[];
}

/**
 * The lines of the live log at `path`, each checked (hash and signature).
 * @throws AuditLogError at the first line that is not a valid entry.
 */
function readArchivable(path: string, verifier: AuditVerifier | undefined): LiveLines {
  const out: LiveLines = { raws: [], entries: [] };
  forEachLine(readLogText(path), (line, raw) => {
    const p = parseLine(raw);
    const problem = p.problem ?? entryProblem(p.entry, verifier);
    if (problem !== undefined)
      throw new AuditLogError(
        `not archiving: line ${line} of ${path} is not a valid entry (${problem}); run peermpc audit verify`,
      );
    out.raws.push(raw);
    out.entries.push(p.entry!);
  });
  return out;
}

/** Lines as a file's text (each ending with a newline). */
const joinLines = (raws: string[]): string => raws.map((raw) => raw + '\n').join('');

/**
 * Writes the first `count` live lines as a new segment, lists it in the index and leaves the rest
 * in the live log. Returns the segment's entry in the index.
 * @throws AuditLogError when the live log does not follow the archive.
 */
function moveToSegment(path: string, live: LiveLines, count: number): SegmentInfo {
  const moved = live.entries.slice(0, count);
  const first = moved[0]!;
  const lastEntry = moved.at(-1)!;
  const index = readSegmentIndex(path);
  const chainEnd = index.segments.at(-1)?.last ?? index.pruned?.last ?? 0;
  if (first.seq !== chainEnd + 1)
    throw new AuditLogError(
      `not archiving: the live log starts at entry ${first.seq}, the archive ends at ${chainEnd}; run peermpc audit verify`,
    );
  const file = segmentFile(first.seq, lastEntry.seq);
  writeSegment(path, file, joinLines(live.raws.slice(0, count)));
  const segment: SegmentInfo = {
    file,
    first: first.seq,
    last: lastEntry.seq,
    prev: first.prev,
    hash: lastEntry.hash,
    ...(lastEntry.sig !== undefined ? { sig: lastEntry.sig } : {}),
    from: first.time,
    to: lastEntry.time,
  };
  index.segments.push(segment);
  writeSegmentIndex(path, index);
  writeFileAtomicSync(path, joinLines(live.raws.slice(count)));
  return segment;
}

/**
 * Moves all but the last `keep` (default: the retention's `keepLiveEntries`, else 0) entries of the live log to a new archived segment and records it
 * as an `audit.archived` entry, then deletes the segments older than the retention's `segmentDays`
 * (the log must be writable; the state is busy meanwhile, so retention does not run again).
 * @throws AuditLogError when the live part has invalid lines or does not follow the archive.
 */
export function archiveLog(target: ArchiveTarget, keep: number | undefined, now: Date): ArchiveResult {
  const { path, state } = target;
  state.busy = true;
  try {
    const live = readArchivable(path, target.verifier);
    const count = live.entries.length - Math.max(0, keep ?? target.retention?.keepLiveEntries ?? 0);
    let result: ArchiveResult = { archived: 0, live: live.entries.length, pruned: 0 };
    if (count > 0) {
      const s = moveToSegment(path, live, count);
      state.liveCount = live.entries.length - count;
      const event: AuditEvent = {
        type: 'audit.archived',
        entries: { first: s.first, last: s.last },
        anchor: s.hash,
        reason: `archived to ${s.file}`,
      };
      target.append(event, now);
      result = {
        archived: count,
        segment: s.file,
        first: s.first,
        last: s.last,
        live: state.liveCount,
        pruned: 0,
      };
    }
    result.pruned = pruneSegments(target, now);
    result.live = state.liveCount;
    return result;
  } finally {
    state.busy = false;
  }
}

/**
 * Archives when the live log grew past the retention's limit, else deletes segments past
 * `segmentDays`. Nothing when there is no retention, the log is read-only, or an archive is under
 * way. Never throws: returns why it failed, if it did (retention never blocks an append; `verify`
 * and `archive` report the cause).
 */
export function applyRetention(target: ArchiveTarget, readOnly: boolean, now: Date): string | undefined {
  const r = target.retention;
  if (r === undefined || readOnly || target.state.busy) return undefined;
  try {
    if (target.state.liveCount > r.maxLiveEntries) archiveLog(target, r.keepLiveEntries, now);
    else if (r.segmentDays > 0) {
      target.state.busy = true;
      try {
        pruneSegments(target, now);
      } finally {
        target.state.busy = false;
      }
    }
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/**
 * Deletes the oldest segments whose last entry is older than the retention's `segmentDays`:
 * first a signed `audit.pruned` entry, then the index's anchor, then the files. Returns the
 * number of entries deleted.
 */
export function pruneSegments(target: ArchiveTarget, now: Date): number {
  const days = target.retention?.segmentDays ?? 0;
  if (days <= 0) return 0;
  const cutoff = now.getTime() - days * 86_400_000;
  const index = readSegmentIndex(target.path);
  let n = 0;
  while (n < index.segments.length && Date.parse(index.segments[n]!.to) < cutoff) n++;
  if (n === 0) return 0;
  const gone = index.segments.slice(0, n);
  const lastGone = gone.at(-1)!;
  const first = index.pruned === undefined ? 1 : index.pruned.last + 1;
  target.append(
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
  writeSegmentIndex(target.path, index);
  for (const s of gone) rmSync(join(segmentsDir(target.path), s.file), { force: true });
  return lastGone.last - first + 1;
}
