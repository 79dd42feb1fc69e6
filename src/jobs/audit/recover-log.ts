/**
 * Crash recovery of the audit log, run when a log is opened (not read-only). An append writes and
 * fsyncs its line, then replaces the head; an archive writes its segment, then the index, then the
 * shortened live log. A crash between those steps leaves, and {@link recoverLog} repairs:
 * - temporary files (removed);
 * - a torn last line: completed when it is a whole valid entry that only lacks its newline, else cut
 *   off;
 * - an archive cut after its index was written: the entries already archived are removed from the
 *   live log;
 * - a head one entry behind the log: advanced.
 *
 * Only these exact leftovers are repaired; anything else is `verify`'s to report (verify-log.ts).
 * Each repair is described in a sentence the log then records as a signed `audit.repaired` entry.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { AuditLogError } from '../errors.js';
import { entryProblem, forEachLine, GENESIS_HASH, parseLine, type AuditEntry } from './entry.js';
import { readLogText, removeStaleTemps, writeFileAtomicSync } from './files.js';
import { readHeadFile, writeHeadFile, type HeadFile } from './head-file.js';
import { readSegmentIndex, segmentsDir, type SegmentIndex } from './segments.js';
import type { LogFiles } from './state.js';

/**
 * Repairs what a crash can leave (see the module comment); returns what it repaired, one sentence
 * a repair, in the order done.
 * @throws AuditLogError when the log cannot be read or repaired.
 */
export function recoverLog(log: LogFiles): string[] {
  const repairs: string[] = [];
  try {
    const temps =
      removeStaleTemps(dirname(log.path), `${basename(log.path)}.`) +
      removeStaleTemps(segmentsDir(log.path), '');
    if (temps > 0) repairs.push(`${temps} temporary file(s) left by a crash were removed`);
    repairTornLine(log, repairs);
    finishArchive(log.path, repairs);
    repairHead(log, repairs);
  } catch (err) {
    if (err instanceof AuditLogError) throw err;
    throw new AuditLogError(`cannot repair the audit log ${log.path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return repairs;
}

/** A last line without its newline: completed when it is a whole entry, else cut off. */
function repairTornLine(log: LogFiles, repairs: string[]): void {
  let bytes: Buffer;
  try {
    bytes = readFileSync(log.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return;
  const cut = bytes.lastIndexOf(0x0a) + 1;
  const fragment = bytes.subarray(cut);
  const parsed = parseLine(fragment.toString('utf8'));
  const fd = openSync(log.path, 'r+');
  try {
    if (parsed.entry !== undefined && entryProblem(parsed.entry, log.verifier) === undefined) {
      writeSync(fd, '\n', bytes.length);
      repairs.push(`the last line (entry ${parsed.entry.seq}) lacked its newline after a crash; completed`);
    } else {
      ftruncateSync(fd, cut);
      const digest = createHash('sha256').update(fragment).digest('hex').slice(0, 16);
      repairs.push(
        `a torn last line (${fragment.length} bytes, sha256 ${digest}…) left by a crash during an append was removed`,
      );
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the live log `text` holds the leftover of an archive into the segment `tail` (its entries
 * from the first through the segment's last, all valid lines): the first entry's seq and the offset
 * after the leftover; undefined when it holds anything else.
 */
export function archiveLeftover(
  text: string,
  tail: { last: number; hash: string },
): { firstSeq: number; cut: number } | undefined {
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
  if (firstSeq === undefined || firstSeq > tail.last || cut < 0 || !clean) return undefined;
  return { firstSeq, cut };
}

/** An archive cut after its segment and index were written, before the live log was rewritten. */
function finishArchive(path: string, repairs: string[]): void {
  let index: SegmentIndex;
  try {
    index = readSegmentIndex(path);
  } catch {
    return; // a corrupt index blocks no job: verify reports it
  }
  const tail = index.segments.at(-1);
  if (tail === undefined) return;
  const text = readLogText(path);
  // only the exact leftover of our own archive is removed; anything else is verify's to report
  const leftover = archiveLeftover(text, tail);
  if (leftover === undefined) return;
  writeFileAtomicSync(path, text.slice(leftover.cut));
  repairs.push(
    `an archive interrupted by a crash was completed (entries ${leftover.firstSeq}..${tail.last} were already in ${tail.file})`,
  );
}

/**
 * Whether `head` is exactly one entry behind the live log whose last two lines are `beforeLast` and
 * `last` (`count` lines in all): `prevHash` gives the hash of the entry at a seq when the live log
 * holds only its last entry (the archive's tail).
 */
export function headOneBehind(
  head: HeadFile | undefined,
  last: AuditEntry,
  beforeLast: AuditEntry | undefined,
  count: number,
  prevHash: (seq: number) => string | undefined,
): boolean {
  if (head === undefined) return last.seq === 1 && last.prev === GENESIS_HASH && count === 1;
  if (head.malformed) return false;
  const hash = beforeLast?.seq === head.seq ? beforeLast.hash : count === 1 ? prevHash(head.seq) : undefined;
  return last.seq === head.seq + 1 && last.prev === head.hash && hash === head.hash;
}

/** The head one entry behind the log (a crash between the append and the head update): advanced. */
function repairHead(log: LogFiles, repairs: string[]): void {
  let count = 0;
  let last: AuditEntry | undefined;
  let beforeLast: AuditEntry | undefined;
  forEachLine(readLogText(log.path), (_line, raw) => {
    count++;
    beforeLast = last;
    last = parseLine(raw).entry;
  });
  if (last === undefined || entryProblem(last, log.verifier) !== undefined) return;
  const head = readHeadFile(log.headPath, log.peer);
  if (!headOneBehind(head, last, beforeLast, count, (seq) => archivedTailHash(log.path, seq))) return;
  writeHeadFile(log.headPath, log.peer, last);
  repairs.push(
    `the head was one entry behind the log (a crash between the append of entry ${last.seq} and the head update); advanced`,
  );
}

/** The hash of the archive's last entry (or the pruned anchor's) when it is entry `seq`. */
function archivedTailHash(path: string, seq: number): string | undefined {
  const index = readSegmentIndex(path);
  const s = index.segments.at(-1);
  if (s !== undefined) return s.last === seq ? s.hash : undefined;
  return index.pruned?.last === seq ? index.pruned.hash : undefined;
}
