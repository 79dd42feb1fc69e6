/**
 * What a peer holds in memory for a job that is active here (between its proposal and its end):
 * the verified job, the abort controllers of the job and of its current session attempt, and the
 * attempt's bookkeeping. Lost on a restart, by design: a job in progress then fails (`restarted`).
 */
import type { VerifiedJob } from '../job/verify.js';
import type { RunJobSessionResult } from './run-session.js';

/** An active job on this peer. */
export interface Live {
  /** The verified job. */
  verified: VerifiedJob;
  /** Aborts the job (cancel, end, stop). */
  abort: AbortController;
  /** Aborts the current session attempt only. */
  current?: AbortController;
  /** The current session attempt (0, 1...). */
  attempt?: number;
  /** Requester: proposals are still out. */
  proposing?: boolean;
  /** When the proposals went out (requester), for the approval time. */
  proposedAt?: number;
  /** Digests of this owner's datasets' rows when their release was recorded. */
  digests?: Map<string, string>;
  /**
   * Attempt 0's release check and record (the differencing guard): every later attempt waits for
   * it before its shares move, so a retry started early cannot skip it.
   */
  released?: Promise<Map<string, string>>;
  /** The finished session's outcome, until it is recorded as released. */
  outcome?: RunJobSessionResult;
}
