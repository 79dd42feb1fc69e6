/**
 * The effects a lifecycle transition accumulates (machine.ts), and the compound endings every side
 * shares: end here, end everywhere, fail, tell the requester. Pure: it only records what to do.
 */
import { isFinal } from '../state.js';
import type { EndState, Effect, JobView, Transition } from './types.js';

const ERROR_NAMES: Record<EndState, string> = {
  rejected: 'JobRejected',
  cancelled: 'JobCancelled',
  expired: 'JobExpired',
  failed: 'JobFailed',
};

/** A transition being built: the view so far, the effects in order, the error for the caller. */
export class Outcome {
  protected view: JobView;
  protected readonly effects: Effect[] = [];
  protected error: Error | undefined;

  constructor(view: JobView) {
    this.view = { ...view, approvals: { ...view.approvals } };
  }

  /** The transition built. */
  protected result(): Transition {
    return { view: this.view, effects: this.effects, ...(this.error ? { error: this.error } : {}) };
  }

  protected restartEverywhere(attempt: number): void {
    this.run(attempt);
    for (const p of this.others())
      this.send(p, { type: 'start', jobId: this.view.id, attempt }, 'start-failed');
  }

  protected endEverywhere(state: EndState, reason: string, party?: string, except?: string): void {
    if (isFinal(this.view.state)) return;
    this.finishLocal(state, reason, party);
    for (const p of this.view.participants) {
      if (p === this.view.self || p === except) continue;
      const message = {
        type: 'end' as const,
        jobId: this.view.id,
        state,
        reason,
        ...(party ? { party } : {}),
      };
      this.send(p, message, 'log');
    }
  }

  protected tellRequester(
    message: Extract<Effect, { kind: 'send' }>['message'],
    onFailure: 'log' | 'throw',
  ): void {
    if (this.view.side === 'requester') return;
    this.send(this.view.requester, message, onFailure);
  }

  protected done(attempt: number): void {
    if (this.view.state !== 'running' || this.view.attempt !== attempt) return; // ended or superseded
    this.effects.push({ kind: 'release' });
    this.state('done');
  }

  /** Fails the job here and tells the others (requester: everyone; participant: the requester). */
  protected failHere(message: string, party: string | undefined): void {
    const v = this.view;
    if (v.side === 'requester') return this.endEverywhere('failed', message, party);
    this.finishLocal('failed', message, party);
    this.tellRequester(
      {
        type: 'end',
        jobId: v.id,
        state: 'failed',
        reason: `failed on ${v.self}: ${message}`,
        ...(party ? { party } : {}),
      },
      'log',
    );
  }

  /** Fails the job here (requester: everywhere). */
  protected fail(reason: string, party?: string): void {
    if (isFinal(this.view.state)) return;
    if (this.view.side === 'requester') this.endEverywhere('failed', reason, party);
    else this.finishLocal('failed', reason, party);
  }

  /**
   * The peer restarted mid-job: its sessions are gone, so the job fails here and the others are
   * told at once (requester: every participant; participant: the requester), blaming this peer.
   */
  protected restarted(): void {
    if (isFinal(this.view.state)) return;
    const reason = 'the peer restarted while the job was in progress';
    const v = this.view;
    if (v.side === 'requester') return this.endEverywhere('failed', reason, v.self);
    this.finishLocal('failed', reason, v.self);
    this.tellRequester(
      { type: 'end', jobId: v.id, state: 'failed', reason: `failed on ${v.self}: ${reason}`, party: v.self },
      'log',
    );
  }

  protected finishLocal(state: EndState, reason: string, party?: string): void {
    if (isFinal(this.view.state)) return;
    this.effects.push({ kind: 'abort', reason, ...(party !== undefined ? { party } : {}) });
    this.state(state, reason, {
      name: ERROR_NAMES[state],
      message: reason,
      ...(party !== undefined ? { party } : {}),
    });
  }

  protected others(): string[] {
    return this.view.participants.filter((p) => p !== this.view.self);
  }

  protected approval(peer: string, approval: JobView['approvals'][string]): void {
    this.view.approvals = { ...this.view.approvals, [peer]: approval };
    this.effects.push({ kind: 'approval', peer, approval });
  }

  protected state(
    state: JobView['state'],
    reason?: string,
    error?: { name: string; message: string; party?: string },
  ): void {
    this.view.state = state;
    this.effects.push({
      kind: 'state',
      state,
      ...(reason !== undefined ? { reason } : {}),
      ...(error ? { error } : {}),
    });
  }

  protected run(attempt: number): void {
    if (attempt === 0) this.state('running');
    this.view.attempt = attempt;
    this.effects.push({ kind: 'run', attempt });
  }

  protected send(
    to: string,
    message: Extract<Effect, { kind: 'send' }>['message'],
    onFailure: Extract<Effect, { kind: 'send' }>['onFailure'],
  ): void {
    this.effects.push({ kind: 'send', to, message, onFailure });
  }

  protected refuse(error: Error): void {
    this.error = error;
  }
}
