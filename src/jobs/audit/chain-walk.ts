/**
 * The walk along the audit log's hash chain that `verify` makes (verify-log.ts): pure functions
 * over the text of each file in chain order (the archived segments, then the live log), carrying a
 * {@link Walk} from one to the next. Each line must be a well-formed entry (entry.ts) with the
 * right hash and signature, the next `seq`, and the previous entry's hash as its `prev`; unsigned
 * (v0.1) entries may only open the log.
 */
import { entryProblem, forEachLine, GENESIS_HASH, parseLine, type AuditEntry } from './entry.js';
import type { AuditVerifier } from './keys.js';
import type { AuditProblem } from './results.js';

/** Most problems `verify` reports one by one (a file of garbage is summed up after these). */
export const MAX_PROBLEMS = 1_000;

/** The chain walk's state across segments and the live log. */
export interface Walk {
  /** The hash the next entry must follow. */
  prev: string;
  /** The seq the next entry must have. */
  expect: number;
  /** Whether a signed entry was seen (no unsigned one may follow). */
  signedSeen: boolean;
  /** Entries read. */
  entries: number;
  /** Unsigned (v0.1) entries read. */
  legacy: number;
  /** The last entry read. */
  last?: AuditEntry;
  /** The entry before it. */
  beforeLast?: AuditEntry;
  /** Hashes at the seqs held heads name. */
  wanted: Set<number>;
  /** The hashes found at the `wanted` seqs. */
  found: Map<number, string>;
  /** `audit.pruned` events seen: entries.last -> anchor. */
  prunedEvents: Map<number, string>;
  /** Problems found, at most {@link MAX_PROBLEMS}. */
  problems: AuditProblem[];
  /** Problems beyond {@link MAX_PROBLEMS}, counted only. */
  moreProblems: number;
  /** What is not wrong but worth knowing. */
  notes: string[];
}

/** A walk from the start of the chain, that records the hashes at `wanted` seqs. */
export function newWalk(wanted: Iterable<number>): Walk {
  return {
    prev: GENESIS_HASH,
    expect: 1,
    signedSeen: false,
    entries: 0,
    legacy: 0,
    wanted: new Set(wanted),
    found: new Map(),
    prunedEvents: new Map(),
    problems: [],
    moreProblems: 0,
    notes: [],
  };
}

/** Records a problem (counted only beyond {@link MAX_PROBLEMS}). */
export function addProblem(w: Walk, p: AuditProblem): void {
  if (w.problems.length < MAX_PROBLEMS) w.problems.push(p);
  else w.moreProblems++;
}

/**
 * Checks the lines of one file (`text`, named `file` in problems) against the chain, from where `w`
 * stands. In the live log (`live`), a last line without its newline is a torn append (a note).
 */
export function walkLines(
  w: Walk,
  file: string,
  text: string,
  live: boolean,
  verifier: AuditVerifier | undefined,
): void {
  forEachLine(text, (line, raw, terminated) => {
    const parsed = parseLine(raw);
    if (parsed.entry !== undefined) walkEntry(w, file, line, parsed.entry, verifier);
    else if (live && !terminated)
      w.notes.push(
        `line ${line} is a torn last line (a crash during an append); it is removed when the daemon next opens the log`,
      );
    else addProblem(w, { file, line, problem: parsed.problem });
  });
}

/** Checks one well-formed entry (at `line` of `file`) against the chain, and steps past it. */
function walkEntry(
  w: Walk,
  file: string,
  line: number,
  e: AuditEntry,
  verifier: AuditVerifier | undefined,
): void {
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
  const problem = entryProblem(e, verifier);
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
}
