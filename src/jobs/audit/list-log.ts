/**
 * Listing the audit log (`peermpc audit list`): its valid entries, oldest first, filtered, and the
 * lines that are not valid entries. Every line is parsed strictly (entry.ts), and the hash and
 * signature of each entry returned are checked (with a limit, only the last entries are, so a short
 * listing of a long log stays fast); the chain is `verify`'s (verify-log.ts).
 */
import { basename } from 'node:path';
import { entryProblem, forEachLine, parseLine, type AuditEntry } from './entry.js';
import { readLogText } from './files.js';
import type { AuditVerifier } from './keys.js';
import type { AuditListing, AuditListOptions, AuditProblem } from './results.js';
import { readSegment, readSegmentIndex, type SegmentIndex } from './segments.js';

/** Invalid lines listed one by one (more are counted). */
const MAX_INVALID_LISTED = 100;

/** A problem and the rank of its file in chain order (to sort problems). */
type Ranked = AuditProblem & { rank: number };

/** What the files read so far gave. */
interface Collected {
  /** Well-formed entries that pass the filter, in chain order (hash and signature unchecked). */
  candidates: { file: string; rank: number; line: number; entry: AuditEntry }[];
  /** Invalid lines, the first {@link MAX_INVALID_LISTED} twice over. */
  invalid: Ranked[];
  /** All invalid lines. */
  invalidCount: number;
  /** The rank of the last file read. */
  rank: number;
}

/** Records an invalid line. */
function bad(c: Collected, p: Ranked): void {
  c.invalidCount++;
  if (c.invalid.length < 2 * MAX_INVALID_LISTED) c.invalid.push(p);
}

/** Reads the lines of one file; the last line of the live log without its newline is torn, not invalid. */
function take(c: Collected, file: string, text: string, live: boolean, job: string | undefined): void {
  c.rank++;
  const rank = c.rank;
  forEachLine(text, (line, raw, terminated) => {
    const parsed = parseLine(raw);
    if (parsed.entry === undefined) {
      if (!(live && !terminated)) bad(c, { file, line, problem: parsed.problem, rank }); // else: torn
      return;
    }
    if (job === undefined || parsed.entry.event.job === job)
      c.candidates.push({ file, rank, line, entry: parsed.entry });
  });
}

/** Reads the archived segments of the log at `path` in order (unreadable ones are invalid lines). */
function takeArchived(c: Collected, path: string, job: string | undefined): void {
  let index: SegmentIndex | undefined;
  try {
    index = readSegmentIndex(path);
  } catch (err) {
    bad(c, { file: 'segments index', line: 0, problem: (err as Error).message, rank: 0 });
  }
  for (const s of index?.segments ?? []) {
    try {
      take(c, s.file, readSegment(path, s.file, s.last - s.first + 1), false, job);
    } catch (err) {
      bad(c, { file: s.file, line: 0, problem: (err as Error).message, rank: c.rank });
    }
  }
}

/** The last `limit` candidates whose hash and signature are right, oldest first; the others are invalid. */
function newestValid(c: Collected, verifier: AuditVerifier | undefined, limit: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = c.candidates.length - 1; i >= 0 && out.length < limit; i--) {
    const cand = c.candidates[i]!;
    const problem = entryProblem(cand.entry, verifier);
    if (problem === undefined) out.push(cand.entry);
    else bad(c, { file: cand.file, line: cand.line, problem, rank: cand.rank });
  }
  return out.reverse();
}

/** The invalid lines in chain order, the first {@link MAX_INVALID_LISTED}, then how many more. */
function shownInvalid(c: Collected): AuditProblem[] {
  c.invalid.sort((a, b) => a.rank - b.rank || a.line - b.line);
  const shown: AuditProblem[] = c.invalid
    .slice(0, MAX_INVALID_LISTED)
    .map(({ file, line, problem }) => ({ file, line, problem }));
  if (c.invalidCount > shown.length)
    shown.push({ file: '', line: 0, problem: `${c.invalidCount - shown.length} more invalid lines` });
  return shown;
}

/**
 * Valid entries of the log at `path`, oldest first, filtered, and the lines that are not valid
 * entries (see the module comment).
 * @throws AuditLogError when the live log cannot be read.
 */
export function listLog(
  path: string,
  verifier: AuditVerifier | undefined,
  options: AuditListOptions,
): AuditListing {
  const c: Collected = { candidates: [], invalid: [], invalidCount: 0, rank: 0 };
  if (options.archived === true) takeArchived(c, path, options.job);
  take(c, basename(path), readLogText(path), true, options.job);
  const entries = newestValid(c, verifier, options.limit ?? Infinity);
  return { entries, invalid: shownInvalid(c) };
}
