/**
 * The job lifecycle as a pure function: `transition(view, event, now)` gives the next view, the
 * effects the peer must perform (record, audit, send, run, abort), and maybe an error for the caller.
 * No I/O, no clock (the caller passes `now`), no randomness. The job service (service/) is the thin
 * driver that performs the effects and feeds events back; restart recovery goes through the same
 * function (`restarted`). docs/JOBS.md's transition table is generated from it (table.ts).
 *
 * Invariants (test/jobs/lifecycle.test.ts checks them over random interleavings): a final state is
 * never left; `done` is reached only from `running`, and a requester runs a session only when every
 * participant approved; every end reaches every other party (requester) or the requester
 * (participant); a late or duplicate message changes nothing.
 */
import { InvalidTransitionError, JobFailedError } from '../errors.js';
import { isFinal } from '../state.js';
import { Outcome } from './outcome.js';
import type { JobView, LifecycleEvent, Transition } from './types.js';

/** Session attempts per job: one retry when a session fails but every party still answers. */
export const MAX_SESSION_ATTEMPTS = 2;

/** The next view, effects and error of `event` on `view` at time `now` (ms). */
export function transition(view: JobView, event: LifecycleEvent, now: number): Transition {
  const t = new Builder(view);
  return t.apply(event, now);
}

class Builder extends Outcome {
  apply(event: LifecycleEvent, now: number): Transition {
    if (this.view.side === 'requester') this.requester(event, now);
    else this.participant(event, now);
    return this.result();
  }

  // ---------------------------------------------------------------- requester

  private requester(e: LifecycleEvent, now: number): void {
    const v = this.view;
    switch (e.type) {
      case 'approval':
        if (!(e.peer in v.approvals))
          return this.refuse(new JobFailedError(v.id, `${e.peer} is not a participant of that job`));
        if (v.state !== 'proposed') return; // late: the job moved on
        this.approval(e.peer, e.approval);
        return this.evaluate(now);
      case 'proposals-answered':
        this.view.proposing = false;
        return this.evaluate(now);
      case 'unreachable':
        return this.fail(`participant ${e.peer} is unreachable: ${e.reason}`, e.peer);
      case 'start-failed':
        return this.fail(
          `participant ${e.peer} could not ${e.attempt === 0 ? 'start' : 'restart'}: ${e.reason}`,
          e.peer,
        );
      case 'decide':
        return this.decide(e, now);
      case 'cancel':
        if (isFinal(v.state)) return this.refuse(new InvalidTransitionError(v.id, v.state, 'cancelled'));
        return this.endEverywhere('cancelled', `cancelled by the requester: ${e.reason}`, v.self);
      case 'end':
        if (!v.participants.includes(e.from))
          return this.refuse(new JobFailedError(v.id, `${e.from} is not a participant of that job`));
        return this.endEverywhere(e.state, e.reason, e.party ?? e.from, e.from);
      case 'session-done':
        return this.done(e.attempt);
      case 'session-failed':
        return this.sessionFailed(e);
      case 'tick':
        if ((v.state === 'proposed' || v.state === 'approved') && v.expires <= now)
          this.endEverywhere('expired', 'the job expired before it started');
        return;
      case 'restarted':
        return this.restarted();
      case 'start':
        return this.refuse(new JobFailedError(v.id, 'only the requester starts a job'));
      case 'received':
      case 'retry-timeout':
        return this.refuse(new InvalidTransitionError(v.id, v.state, `${e.type} (not on the requester)`));
    }
  }

  /** Ends the job on a rejection, starts it when every participant approved (after the proposals). */
  private evaluate(now: number): void {
    const v = this.view;
    if (v.state !== 'proposed' || v.proposing === true) return;
    const rejected = Object.entries(v.approvals).find(([, a]) => a.decision === 'rejected');
    if (rejected !== undefined) {
      const [peer, a] = rejected;
      const why = a.reason === undefined ? '' : `: ${a.reason}`;
      return this.endEverywhere('rejected', `rejected by ${peer}${why}`, peer);
    }
    if (!Object.values(v.approvals).every((a) => a.decision === 'approved')) return;
    if (v.expires <= now)
      return this.endEverywhere('expired', 'the job expired before every participant approved');
    this.state('approved');
    this.run(0);
    for (const p of this.others()) this.send(p, { type: 'start', jobId: v.id }, 'start-failed');
  }

  // ---------------------------------------------------------------- participant

  private participant(e: LifecycleEvent, now: number): void {
    const v = this.view;
    switch (e.type) {
      case 'received':
        if (e.decision === 'approved') this.approval(v.self, { decision: 'approved', by: 'policy' });
        if (e.decision === 'rejected') {
          const reason = e.reason ?? 'refused by policy';
          this.approval(v.self, { decision: 'rejected', by: 'policy', reason });
          this.state('rejected', `refused by policy: ${reason}`, {
            name: 'PolicyDeniedError',
            message: reason,
          });
        }
        return;
      case 'start':
        return this.start(e.from, e.attempt, now);
      case 'decide':
        return this.decide(e, now);
      case 'cancel':
        if (isFinal(v.state)) return this.refuse(new InvalidTransitionError(v.id, v.state, 'cancelled'));
        this.finishLocal('cancelled', `cancelled here: ${e.reason}`, v.self);
        return this.tellRequester(
          {
            type: 'end',
            jobId: v.id,
            state: 'cancelled',
            reason: `cancelled by ${v.self}: ${e.reason}`,
            party: v.self,
          },
          'log',
        );
      case 'end':
        if (e.from !== v.requester)
          return this.refuse(new JobFailedError(v.id, 'only the requester ends a job for everyone'));
        return this.finishLocal(e.state, e.reason, e.party);
      case 'session-done':
        return this.done(e.attempt);
      case 'session-failed':
        return this.sessionFailed(e);
      case 'retry-timeout':
        if (isFinal(v.state) || v.attempt !== e.attempt) return;
        return this.failHere(e.message, e.party);
      case 'tick':
        if ((v.state === 'proposed' || v.state === 'approved') && v.expires <= now)
          this.finishLocal('expired', 'the job expired before it started');
        return;
      case 'restarted':
        return this.restarted();
      case 'approval':
      case 'unreachable':
      case 'proposals-answered':
      case 'start-failed':
        return this.refuse(new InvalidTransitionError(v.id, v.state, `${e.type} (requester only)`));
    }
  }

  private start(from: string, attempt: number, now: number): void {
    const v = this.view;
    if (from !== v.requester) return this.refuse(new JobFailedError(v.id, 'only the requester starts a job'));
    if (v.approvals[v.self]?.decision !== 'approved')
      return this.refuse(new JobFailedError(v.id, `job ${v.id} is not approved on ${v.self}`));
    if (attempt > 0) {
      if (v.state !== 'running' || v.attempt === undefined)
        return this.refuse(new InvalidTransitionError(v.id, v.state, 'running (retry)'));
      if (v.attempt < attempt) this.run(attempt);
      return;
    }
    if (v.state !== 'proposed') return this.refuse(new InvalidTransitionError(v.id, v.state, 'approved'));
    if (v.expires <= now) {
      this.state('expired', 'the job expired before it started');
      return this.refuse(new JobFailedError(v.id, `job ${v.id} expired`));
    }
    this.state('approved');
    this.run(0);
  }

  // ---------------------------------------------------------------- both

  private decide(e: Extract<LifecycleEvent, { type: 'decide' }>, now: number): void {
    const v = this.view;
    const mine = v.approvals[v.self]?.decision;
    if (v.state !== 'proposed' || mine !== 'pending')
      return this.refuse(
        new InvalidTransitionError(v.id, `${v.state} (${mine ?? 'no decision due here'})`, 'a decision'),
      );
    if (v.expires <= now) {
      this.state('expired', 'the job expired before it was decided');
      return this.refuse(new InvalidTransitionError(v.id, 'expired', 'a decision'));
    }
    if (e.decision === 'approved') {
      this.approval(v.self, { decision: 'approved', by: 'person' });
      this.effects.push({ kind: 'audit-decision', decision: 'approved' });
      if (v.side === 'requester') return this.evaluate(now);
      return this.tellRequester({ type: 'decision', jobId: v.id, decision: 'approved' }, 'throw');
    }
    this.approval(v.self, { decision: 'rejected', by: 'person', reason: e.reason });
    this.effects.push({ kind: 'audit-decision', decision: 'rejected', reason: e.reason });
    if (v.side === 'requester') return this.evaluate(now);
    this.state('rejected', `rejected here: ${e.reason}`, {
      name: 'JobRejected',
      message: e.reason,
      party: v.self,
    });
    this.tellRequester({ type: 'decision', jobId: v.id, decision: 'rejected', reason: e.reason }, 'throw');
  }

  private sessionFailed(e: Extract<LifecycleEvent, { type: 'session-failed' }>): void {
    const v = this.view;
    if (isFinal(v.state) || v.attempt !== e.attempt) return;
    if (e.retryable && e.attempt + 1 < MAX_SESSION_ATTEMPTS) {
      if (v.side === 'participant') {
        this.effects.push({
          kind: 'wait-retry',
          attempt: e.attempt,
          message: e.message,
          ...(e.party !== undefined ? { party: e.party } : {}),
        });
        return;
      }
      const next = e.attempt + 1;
      this.effects.push({
        kind: 'note',
        reason: `retrying the session (attempt ${next + 1} of ${MAX_SESSION_ATTEMPTS}) after: ${e.message}`,
      });
      return this.restartEverywhere(next);
    }
    this.failHere(e.message, e.party);
  }
}
