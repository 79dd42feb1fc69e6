/**
 * `verify` of the audit log: a thin reader that walks the files in chain order (the segments index
 * and its pruned anchor, each archived segment, the live log, the head file) and hands each text to
 * the pure checks of chain-walk.ts and verify-heads.ts, then to the heads other peers hold.
 *
 * What it finds: an edited line (its hash), a forged or recomputed one (its signature), a deleted,
 * inserted or reordered line (`seq` and `prev`), a line with a missing or extra field or a
 * malformed event, deleted last lines (the head), deleted segments without their signed
 * `audit.pruned` entry, and, with held heads, a truncation or rewrite after another peer saw them.
 * What a crash leaves (a torn last line, a head one behind, stray segment files) is a note.
 */
import { basename } from 'node:path';
import { headSignatureValid } from './entry.js';
import { readLogText } from './files.js';
import { readHeadFile } from './head-file.js';
import type { AuditVerifier } from './keys.js';
import type { AuditVerifyResult, HeldHeads, PeerHeadsCheck } from './results.js';
import { readSegment, readSegmentIndex, segmentFilesOnDisk, type SegmentIndex } from './segments.js';
import type { LogFiles } from './state.js';
import { addProblem, newWalk, walkLines, type Walk } from './chain-walk.js';
import { checkHead, checkHeld } from './verify-heads.js';

/**
 * Checks the archived segments, the live log and the head of `log` (see the module comment); with
 * `held`, also that the log still contains every entry other peers hold a signed head of.
 * @throws AuditLogError when the live log cannot be read.
 */
export function verifyLog(log: LogFiles, held: HeldHeads[]): AuditVerifyResult {
  const w = newWalk(held.flatMap((h) => h.heads.map((x) => x.seq)));
  if (log.verifier === undefined)
    w.notes.push(
      log.peer === undefined
        ? 'signatures not checked: whose log this is is unknown'
        : `signatures not checked: ${log.peer} is not an Ed25519 peer id`,
    );
  const index = readIndex(w, log.path);
  const prunedUpTo = startAfterPruned(w, index, log.verifier);
  const archived = walkSegments(w, log.path, index, log.verifier);
  noteStraySegments(w, log.path, index);
  const liveBefore = w.entries;
  walkLines(w, basename(log.path), readLogText(log.path), true, log.verifier);
  const live = w.entries - liveBefore;
  checkHead(w, basename(log.headPath), readHeadFile(log.headPath, log.peer), log.verifier);
  if (index.pruned !== undefined && w.prunedEvents.get(index.pruned.last) !== index.pruned.hash)
    addProblem(w, {
      file: 'segments index',
      line: 0,
      problem: `entries 1..${index.pruned.last} are gone, but no signed audit.pruned entry records their deletion`,
    });
  const peers = held.map((h) => checkHeld(h, w, prunedUpTo, log.peer, log.verifier));
  if (w.moreProblems > 0)
    w.problems.push({ file: '', line: 0, problem: `and ${w.moreProblems} more problems` });
  return verifyResult(log, w, { live, archived, segments: index.segments.length, prunedUpTo }, peers);
}

/** The segments index (empty, and a problem, when it is unreadable). */
function readIndex(w: Walk, path: string): SegmentIndex {
  try {
    return readSegmentIndex(path);
  } catch (err) {
    addProblem(w, { file: 'segments index', line: 0, problem: (err as Error).message });
    return { v: 1, segments: [] };
  }
}

/**
 * Starts the walk after the entries retention deleted, from the index's signed anchor (checked);
 * returns the last deleted seq (0 when none were).
 */
function startAfterPruned(w: Walk, index: SegmentIndex, verifier: AuditVerifier | undefined): number {
  const p = index.pruned;
  if (p === undefined) return 0;
  if (
    p.sig !== undefined &&
    verifier !== undefined &&
    !headSignatureValid(verifier, { ...p, seq: p.last, sig: p.sig })
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
  return p.last;
}

/**
 * Walks each archived segment the index lists, checking it ends where the index says (an unreadable
 * one is a problem, and the walk goes on after it); returns the entries read.
 */
function walkSegments(
  w: Walk,
  path: string,
  index: SegmentIndex,
  verifier: AuditVerifier | undefined,
): number {
  let archived = 0;
  for (const s of index.segments) {
    let text: string;
    try {
      text = readSegment(path, s.file, s.last - s.first + 1);
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
    walkLines(w, s.file, text, false, verifier);
    archived += w.entries - before;
    if (w.last?.seq !== s.last || w.last.hash !== s.hash)
      addProblem(w, {
        file: 'segments index',
        line: 0,
        problem: `segment ${s.file} should end with entry ${s.last} (hash ${s.hash.slice(0, 16)}…) but ends with entry ${w.last?.seq ?? 'none'}`,
      });
  }
  return archived;
}

/** Notes the segment files on disk that the index does not list. */
function noteStraySegments(w: Walk, path: string, index: SegmentIndex): void {
  const listed = new Set(index.segments.map((s) => s.file));
  const stray = segmentFilesOnDisk(path).filter((f) => !listed.has(f));
  if (stray.length > 0)
    w.notes.push(
      `segment files not in the index (left by an interrupted archive, ignored): ${stray.join(', ')}`,
    );
}

/** The result of a finished walk. */
function verifyResult(
  log: LogFiles,
  w: Walk,
  counts: { live: number; archived: number; segments: number; prunedUpTo: number },
  peers: PeerHeadsCheck[],
): AuditVerifyResult {
  return {
    ok: w.problems.length === 0,
    ...(log.peer !== undefined ? { peer: log.peer } : {}),
    entries: w.entries,
    live: counts.live,
    archived: counts.archived,
    segments: counts.segments,
    pruned: counts.prunedUpTo,
    legacy: w.legacy,
    signaturesChecked: log.verifier !== undefined,
    seq: w.last?.seq ?? (counts.prunedUpTo > 0 ? counts.prunedUpTo : 0),
    head: w.last?.hash ?? w.prev,
    problems: w.problems,
    notes: w.notes,
    ...(peers.length > 0 ? { peers } : {}),
  };
}
