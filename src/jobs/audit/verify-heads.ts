/**
 * The checks `verify` makes at the end of its chain walk (chain-walk.ts), pure over what was read:
 * that the head file names the last entry (deleted last lines), and that the log still holds every
 * entry other peers hold a signed head of (truncated or rewritten after they saw it, exchange.ts).
 */
import { headSignatureValid } from './entry.js';
import type { HeadFile } from './head-file.js';
import type { AuditVerifier } from './keys.js';
import type { HeldHeads, PeerHeadsCheck } from './results.js';
import { addProblem, type Walk } from './chain-walk.js';

/**
 * Checks the head file (`file`, as read: `head`, undefined when missing) against the end of the
 * walk: the last entry, signed by this peer; a head one entry behind (a crash) is a note.
 */
export function checkHead(
  w: Walk,
  file: string,
  head: HeadFile | undefined,
  verifier: AuditVerifier | undefined,
): void {
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
      verifier !== undefined &&
      !headSignatureValid(verifier, { ...head, sig: head.sig })
    )
      addProblem(w, { file, line: 0, problem: 'the head file is not signed by this peer' });
    return;
  }
  if (namesEntryBeforeLast(w, head)) {
    w.notes.push(
      `the head is one entry behind the log (a crash between the append of entry ${w.last!.seq} and the head update); repaired when the daemon next opens the log`,
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

/** Whether `head` names the entry before the walk's last one. */
function namesEntryBeforeLast(w: Walk, head: HeadFile): boolean {
  const b = w.beforeLast;
  const l = w.last;
  return (
    l !== undefined &&
    head.seq === l.seq - 1 &&
    l.prev === head.hash &&
    (b === undefined ? true : b.seq === head.seq && b.hash === head.hash)
  );
}

/**
 * Checks the signed heads one other peer holds of `peer`'s log against the hashes the walk found at
 * their seqs (heads of entries up to `prunedUpTo`, deleted by retention, cannot be checked); its
 * problems are also the walk's.
 */
export function checkHeld(
  h: HeldHeads,
  w: Walk,
  prunedUpTo: number,
  peer: string | undefined,
  verifier: AuditVerifier | undefined,
): PeerHeadsCheck {
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
    if (peer !== undefined && head.peer !== peer) {
      w.notes.push(`${who} returned a head of another peer (${head.peer.slice(0, 16)}…): ignored`);
      continue;
    }
    if (verifier !== undefined && !headSignatureValid(verifier, head)) {
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
    if (head.seq <= prunedUpTo) out.unverifiable++;
    else checkOneHeld(out, head, w);
  }
  if (out.unverifiable > 0)
    w.notes.push(
      `${out.unverifiable} head(s) held by ${who} are of entries deleted by retention: not checked`,
    );
  for (const p of out.problems) addProblem(w, { file: `peer ${h.holder}`, line: 0, problem: p });
  return out;
}

/** Checks one held head (signed by this peer, not pruned) against the hash the walk found. */
function checkOneHeld(out: PeerHeadsCheck, head: { seq: number; hash: string }, w: Walk): void {
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
