/**
 * What the audit log's readers get back: verification results and problems, listings, the heads
 * other peers hold, and archive results (the types of src/jobs/audit/log.ts's answers).
 */
import type { AuditEntry, SignedAuditHead } from './entry.js';

/** One problem `verify` found: tampering or corruption. */
export interface AuditProblem {
  /** Which file: `audit.log`, `audit.log.head`, a segment, `segments index`, `peer <id>`. */
  file: string;
  /** 1-based line number in that file (0 for the file as a whole). */
  line: number;
  /** What is wrong. */
  problem: string;
}

/** What the signed heads one other peer holds of this log say. */
export interface PeerHeadsCheck {
  /** The peer holding them. */
  peer: string;
  /** Heads it holds. */
  heads: number;
  /** Heads the log still contains, same seq and hash. */
  confirmed: number;
  /** Heads that cannot be checked (their entries were pruned by retention). */
  unverifiable: number;
  /** Heads the log contradicts (truncated or rewritten after that peer saw them). */
  problems: string[];
  /** Why the peer could not be asked (unreachable...), when it could not. */
  error?: string;
}

/** The result of {@link AuditLog.verify}. */
export interface AuditVerifyResult {
  /** True when nothing is wrong (notes do not count). */
  ok: boolean;
  /** The peer whose log it is, when known. */
  peer?: string;
  /** Entries read (archived and live). */
  entries: number;
  /** Entries in the live log. */
  live: number;
  /** Entries read from archived segments. */
  archived: number;
  /** Archived segments. */
  segments: number;
  /** Entries deleted by retention (before the pruned anchor). */
  pruned: number;
  /** Unsigned entries from v0.1. */
  legacy: number;
  /** Whether signatures were checked (the peer id is known). */
  signaturesChecked: boolean;
  /** Sequence number of the last entry (0 for an empty log). */
  seq: number;
  /** Hash of the last entry (the chain's head), or the genesis hash for an empty log. */
  head: string;
  /** Everything wrong, in chain order. */
  problems: AuditProblem[];
  /** What is not wrong but worth knowing (repairs pending, heads that cannot be checked...). */
  notes: string[];
  /** Per peer, what its signed heads of this log say (only when heads were given). */
  peers?: PeerHeadsCheck[];
}

/** Signed heads of this log held by another peer. */
export interface HeldHeads {
  /** The peer holding them. */
  holder: string;
  /** The heads. */
  heads: SignedAuditHead[];
  /** Why they could not be obtained (the peer is reported with this error). */
  error?: string;
}

/** Filters of {@link AuditLog.list}. */
export interface AuditListOptions {
  /** Only entries about this job. */
  job?: string;
  /** Only the last `limit` entries (after filtering). */
  limit?: number;
  /** Include archived segments (oldest first). */
  archived?: boolean;
}

/** Entries and the lines that are not valid entries. */
export interface AuditListing {
  /** Valid entries (well-formed, hash and signature right), oldest first, filtered. */
  entries: AuditEntry[];
  /** Lines that are not valid entries (whatever the filter): never shown as entries. */
  invalid: AuditProblem[];
}

/** The result of {@link AuditLog.archive}. */
export interface ArchiveResult {
  /** Entries moved to a new segment. */
  archived: number;
  /** The new segment's file, when one was written. */
  segment?: string;
  /** Its range. */
  first?: number;
  /** Its range. */
  last?: number;
  /** Entries left in the live log. */
  live: number;
  /** Entries deleted by retention (`segmentDays`). */
  pruned: number;
}
