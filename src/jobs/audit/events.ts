/**
 * What the audit log records. Fields are ids, hashes, dataset names, decisions, reasons and output
 * shapes: the types leave no room for a data value.
 */
import type { JobState } from '../state.js';

/** Kinds of audit events. */
export type AuditEventType =
  /** This peer (as requester) signed and sent a job. */
  | 'job.requested'
  /** A job arrived from a requester (verified or not). */
  | 'job.received'
  /** This peer decided on a job: approved, rejected (by a person), refused (by policy or checks). */
  | 'job.decided'
  /** The job's state changed on this peer. */
  | 'job.state'
  /** Output shares left this peer for the recipient, or (on the requester) the result was received. */
  | 'job.released'
  /** A dataset policy was set or removed. */
  | 'policy.changed';

/** An audit event. */
export interface AuditEvent {
  /** Kind. */
  type: AuditEventType;
  /** Job id. */
  job?: string;
  /** The requester's peer id. */
  requester?: string;
  /** The program hash. */
  programHash?: string;
  /** Datasets involved, as `owner/name`. */
  datasets?: string[];
  /** A decision. */
  decision?: 'approved' | 'rejected' | 'refused';
  /** Who decided: a policy rule, a person, or a check (signature, replay, expiry). */
  by?: 'policy' | 'person' | 'check';
  /** Why (rejection reason, failure message): never a data value. */
  reason?: string;
  /** New state. */
  state?: JobState;
  /** Who received released outputs. */
  releasedTo?: string;
  /** Outputs released: names and shapes only. */
  outputs?: { name: string; shape: number[] }[];
  /** The other peer concerned (e.g. who sent a job). */
  peer?: string;
  /** A dataset whose policy changed. */
  dataset?: string;
}
