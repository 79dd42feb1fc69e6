/**
 * The job state machine, the same on every peer:
 *
 * ```
 * proposed --(every owner approves)--> approved --(session starts)--> running --> done
 *     |                                    |                             |
 *     +--> rejected (an owner or policy)   +--> expired / cancelled       +--> failed / cancelled
 *     +--> expired / cancelled / failed    +--> failed
 * ```
 * done, failed, rejected, expired and cancelled are final. A job in a final state other than done
 * released nothing.
 */
import { InvalidTransitionError } from './errors.js';

/** Every state. */
export const JOB_STATES = [
  'proposed',
  'approved',
  'running',
  'done',
  'failed',
  'rejected',
  'expired',
  'cancelled',
] as const;

/** A job's state. */
export type JobState = (typeof JOB_STATES)[number];

const NEXT: Record<JobState, readonly JobState[]> = {
  proposed: ['approved', 'rejected', 'expired', 'cancelled', 'failed'],
  approved: ['running', 'expired', 'cancelled', 'failed'],
  running: ['done', 'failed', 'cancelled'],
  done: [],
  failed: [],
  rejected: [],
  expired: [],
  cancelled: [],
};

/** Whether `state` is final. */
export function isFinal(state: JobState): boolean {
  return NEXT[state].length === 0;
}

/** Whether a job may go from `from` to `to`. */
export function canTransition(from: JobState, to: JobState): boolean {
  return NEXT[from].includes(to);
}

/**
 * Checks a transition.
 * @throws InvalidTransitionError when `from -> to` is not allowed.
 */
export function assertTransition(jobId: string, from: JobState, to: JobState): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(jobId, from, to);
}
