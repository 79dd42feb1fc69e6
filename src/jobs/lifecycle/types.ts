/**
 * The vocabulary of the job lifecycle (machine.ts): what a peer knows of a job, what can happen to
 * it, and what the peer must do in consequence. Plain data: no I/O, no clock, no randomness.
 */
import type { JobState } from '../state.js';
import type { ApprovalState } from '../store.js';
import type { JobsMessage } from '../service/messages.js';

/**
 * Which lifecycle a peer follows for a job. Owners, compute parties and a dealer all follow the
 * participant's: they differ in what their session does (inputs, computation, randomness), not in
 * the transitions. A requester that also owns data or computes follows the requester's, with its
 * own approval among the others.
 */
export type Side = 'requester' | 'participant';

/** The final states a job can be ended in by someone (done is reached only by its session). */
export type EndState = 'rejected' | 'cancelled' | 'expired' | 'failed';

/** What the lifecycle reads of a job on one peer. */
export interface JobView {
  /** Job id. */
  id: string;
  /** This peer. */
  self: string;
  /** The requester. */
  requester: string;
  /** Every peer that must approve (owners, compute parties, dealer), each once. */
  participants: readonly string[];
  /** This peer's lifecycle. */
  side: Side;
  /** The job's state here. */
  state: JobState;
  /** Approvals: every participant's on the requester, this peer's own on a participant. */
  approvals: Readonly<Record<string, ApprovalState>>;
  /** When the job expires (ms since the epoch). */
  expires: number;
  /** The session attempt running here (undefined before the first). */
  attempt?: number;
  /** Requester: proposals are still out (decisions wait until every participant answered). */
  proposing?: boolean;
}

/** Something that happens to a job on one peer. */
export type LifecycleEvent =
  /** Requester: a participant's decision (its reply to the proposal, a later `decision` message, or this peer's own policy). */
  | { type: 'approval'; peer: string; approval: ApprovalState }
  /** Requester: the proposal could not reach `peer`. */
  | { type: 'unreachable'; peer: string; reason: string }
  /** Requester: every participant answered the proposal. */
  | { type: 'proposals-answered' }
  /** Requester: `peer` did not take the `start` of attempt `attempt`. */
  | { type: 'start-failed'; peer: string; attempt: number; reason: string }
  /** Participant: this peer's policy on a job that just arrived. */
  | { type: 'received'; decision: 'approved' | 'pending' | 'rejected'; reason?: string }
  /** Participant: the requester's `start` (attempt 0) or restart (attempt > 0). */
  | { type: 'start'; from: string; attempt: number }
  /** This peer's person decides. */
  | { type: 'decide'; decision: 'approved' | 'rejected'; reason: string }
  /** This peer's person (or API user) cancels. */
  | { type: 'cancel'; reason: string }
  /** An `end` message: from a participant (on the requester) or from the requester (on a participant). */
  | { type: 'end'; from: string; state: EndState; reason: string; party?: string }
  /** The session of attempt `attempt` finished here; its outputs were released. */
  | { type: 'session-done'; attempt: number }
  /** The session of attempt `attempt` failed here; `retryable` when every other party still answers. */
  | { type: 'session-failed'; attempt: number; message: string; party?: string; retryable: boolean }
  /** Participant: the wait for the requester's retry of attempt `attempt` is over (it failed with `message`). */
  | { type: 'retry-timeout'; attempt: number; message: string; party?: string }
  /** The clock: `now` is the time the machine was given. */
  | { type: 'tick' }
  /** The peer restarted while the job was in progress. */
  | { type: 'restarted' };

/** What to do when a message cannot be delivered. */
export type OnSendFailure =
  /** Log it (best effort: an `end`). */
  | 'log'
  /** Feed back a `start-failed` event. */
  | 'start-failed'
  /** Fail the caller (a person's decision the requester must hear). */
  | 'throw';

/** What a peer must do after a transition, in order. */
export type Effect =
  /** Record an approval (and audit it when this peer's policy decided). */
  | { kind: 'approval'; peer: string; approval: ApprovalState }
  /** Audit this peer's person's decision. */
  | { kind: 'audit-decision'; decision: 'approved' | 'rejected'; reason?: string }
  /** Record the new state (store, event, audit). */
  | {
      kind: 'state';
      state: JobState;
      reason?: string;
      error?: { name: string; message: string; party?: string };
    }
  /** Record a note about the running job without changing state (store history, event, audit). */
  | { kind: 'note'; reason: string }
  /** Send a message. */
  | { kind: 'send'; to: string; message: JobsMessage; onFailure: OnSendFailure }
  /** Run session attempt `attempt` here (supersedes an earlier attempt). */
  | { kind: 'run'; attempt: number }
  /** Abort this peer's session of the job. */
  | { kind: 'abort'; reason: string; party?: string }
  /** Participant: wait for the requester's retry of `attempt`, then feed back `retry-timeout`. */
  | { kind: 'wait-retry'; attempt: number; message: string; party?: string }
  /** The session's outputs reached their recipient: record them (requester: the result) and audit the release. */
  | { kind: 'release' };

/** The outcome of a transition. */
export interface Transition {
  /** The view after the effects. */
  view: JobView;
  /** What to do, in order. */
  effects: Effect[];
  /** An error to give the caller after the effects are done (e.g. a refused proposal). */
  error?: Error;
}
