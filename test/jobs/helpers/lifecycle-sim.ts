/**
 * A simulated network of job lifecycles (the pure machine only): a requester and k participants,
 * messages in flight that a seeded scheduler delivers in any order, duplicates, delays or drops;
 * people who approve, reject or cancel; sessions that finish or fail; clocks past the expiry;
 * restarts. Every transition is checked against the invariants; `drain()` then lets the network
 * settle without faults, after which every party must be in a final state.
 */
import { canTransition, isFinal, type JobState } from '../../../src/jobs/state.js';
import { transition } from '../../../src/jobs/lifecycle/machine.js';
import type { Effect, JobView, LifecycleEvent } from '../../../src/jobs/lifecycle/types.js';
import type { JobsMessage } from '../../../src/jobs/service/messages.js';

/** A seeded generator in [0, 1) (mulberry32, shared with the executor tests). */
export { rng } from './data.js';

interface Flight {
  from: string;
  to: string;
  message:
    | JobsMessage
    | { type: 'propose' }
    | { type: 'propose-reply'; decision: 'approved' | 'pending' | 'rejected' };
  onFailure: Extract<Effect, { kind: 'send' }>['onFailure'];
}

/** One simulated job; see the module comment. */
export class LifecycleSim {
  readonly views = new Map<string, JobView>();
  private readonly flights: Flight[] = [];
  /** Peers running a session attempt, and which. */
  private readonly running = new Map<string, number>();
  private readonly waitingRetry = new Map<string, { attempt: number; message: string }>();
  private now = 0;
  readonly log: string[] = [];
  private readonly outstanding = new Set<string>();

  constructor(
    readonly requester: string,
    readonly participants: readonly string[],
    private readonly random: () => number,
    private readonly expires = 1_000,
  ) {
    const approvals = Object.fromEntries(participants.map((p) => [p, { decision: 'pending' as const }]));
    this.views.set(requester, this.view(requester, 'requester', approvals, true));
    for (const p of participants) {
      if (p === requester) continue;
      this.outstanding.add(p);
      this.flights.push({ from: requester, to: p, message: { type: 'propose' }, onFailure: 'log' });
    }
    if (participants.includes(requester))
      this.apply(requester, { type: 'approval', peer: requester, approval: this.policy() });
    if (this.outstanding.size === 0) this.apply(requester, { type: 'proposals-answered' });
  }

  private view(
    self: string,
    side: JobView['side'],
    approvals: JobView['approvals'],
    proposing = false,
  ): JobView {
    return {
      id: 'job',
      self,
      requester: this.requester,
      participants: this.participants,
      side,
      state: 'proposed',
      approvals,
      expires: this.expires,
      ...(proposing ? { proposing } : {}),
    };
  }

  private policy(): { decision: 'approved' | 'pending' | 'rejected'; by?: 'policy'; reason?: string } {
    const x = this.random();
    if (x < 0.6) return { decision: 'approved', by: 'policy' };
    if (x < 0.85) return { decision: 'pending' };
    return { decision: 'rejected', by: 'policy', reason: 'no' };
  }

  /** One random step; false when nothing can happen. */
  step(faults: boolean): boolean {
    const actions: (() => void)[] = [];
    if (this.flights.length > 0)
      actions.push(
        () => this.deliver(faults),
        () => this.deliver(faults),
      );
    for (const [peer, v] of this.views) {
      if (v.state === 'proposed' && v.approvals[peer]?.decision === 'pending')
        actions.push(() =>
          this.apply(peer, {
            type: 'decide',
            decision: this.random() < 0.7 ? 'approved' : 'rejected',
            reason: 'r',
          }),
        );
      if (faults && !isFinal(v.state) && this.random() < 0.05)
        actions.push(() => this.apply(peer, { type: 'cancel', reason: 'c' }));
      if (faults && !isFinal(v.state) && this.random() < 0.02) actions.push(() => this.restart(peer));
    }
    if (this.running.size > 0) actions.push(() => this.session(faults));
    for (const [peer, w] of this.waitingRetry)
      actions.push(() => {
        this.waitingRetry.delete(peer);
        this.apply(peer, { type: 'retry-timeout', attempt: w.attempt, message: w.message });
      });
    if (faults && this.random() < 0.1) actions.push(() => this.tick(this.now + 300));
    if (actions.length === 0) return false;
    actions[Math.floor(this.random() * actions.length)]!();
    return true;
  }

  /** Lets the network settle without faults: every message delivered, sessions resolved, clocks past expiry. */
  drain(): void {
    for (let i = 0; i < 10_000; i++) if (!this.step(false)) break;
    this.tick(this.expires + 1);
    for (let i = 0; i < 10_000; i++) if (!this.step(false)) break;
  }

  private tick(now: number): void {
    this.now = now;
    for (const peer of this.views.keys()) this.apply(peer, { type: 'tick' });
  }

  private restart(peer: string): void {
    this.running.delete(peer);
    this.waitingRetry.delete(peer);
    const v = this.views.get(peer)!;
    const { attempt: _a, proposing: _p, ...rest } = v;
    this.views.set(peer, rest);
    this.apply(peer, { type: 'restarted' });
  }

  private deliver(faults: boolean): void {
    const i = Math.floor(this.random() * this.flights.length);
    const f = this.flights[i]!;
    const duplicate = faults && this.random() < 0.1;
    if (!duplicate) this.flights.splice(i, 1);
    if (faults && this.random() < 0.1) return this.dropped(f);
    const m = f.message;
    if (m.type === 'propose') {
      if (this.views.has(f.to)) return; // a duplicate proposal is a replay: refused
      const approval = this.policy();
      this.views.set(f.to, this.view(f.to, 'participant', { [f.to]: { decision: 'pending' } }));
      this.apply(f.to, { type: 'received', decision: approval.decision });
      this.flights.push({
        from: f.to,
        to: f.from,
        message: { type: 'propose-reply', decision: approval.decision },
        onFailure: 'log',
      });
      return;
    }
    if (m.type === 'propose-reply') {
      if (!this.outstanding.delete(f.from)) return; // the transport answers each request once
      const approval =
        m.decision === 'rejected'
          ? { decision: m.decision, by: 'policy' as const, reason: 'no' }
          : m.decision === 'approved'
            ? { decision: m.decision, by: 'policy' as const }
            : { decision: m.decision };
      this.apply(f.to, { type: 'approval', peer: f.from, approval });
      if (this.outstanding.size === 0) this.apply(f.to, { type: 'proposals-answered' });
      return;
    }
    if (!this.views.has(f.to)) return; // unknown job there: an error reply
    if (m.type === 'start') this.apply(f.to, { type: 'start', from: f.from, attempt: m.attempt ?? 0 });
    else if (m.type === 'end')
      this.apply(f.to, {
        type: 'end',
        from: f.from,
        state: m.state,
        reason: m.reason,
        ...(m.party ? { party: m.party } : {}),
      });
    else if (m.type === 'decision') {
      const approval = {
        decision: m.decision,
        by: 'person' as const,
        ...(m.reason ? { reason: m.reason } : {}),
      };
      this.apply(f.to, { type: 'approval', peer: f.from, approval });
    }
  }

  private dropped(f: Flight): void {
    if (f.message.type === 'propose' || f.message.type === 'propose-reply') {
      const peer = f.message.type === 'propose' ? f.to : f.from;
      if (!this.outstanding.delete(peer)) return;
      this.apply(this.requester, { type: 'unreachable', peer, reason: 'dropped' });
      if (this.outstanding.size === 0) this.apply(this.requester, { type: 'proposals-answered' });
      return;
    }
    if (f.onFailure === 'start-failed' && f.message.type === 'start')
      this.apply(f.from, {
        type: 'start-failed',
        peer: f.to,
        attempt: f.message.attempt ?? 0,
        reason: 'dropped',
      });
  }

  /** Sessions: all parties on one attempt may finish; otherwise (or by a fault) one fails. */
  private session(faults: boolean): void {
    const peers = [...this.running.keys()];
    const parties = new Set([this.requester, ...this.participants]);
    const attempts = new Set(this.running.values());
    const together = this.running.size === parties.size && attempts.size === 1;
    if (together && !(faults && this.random() < 0.3)) {
      const attempt = [...attempts][0]!;
      for (const p of peers) {
        this.running.delete(p);
        this.apply(p, { type: 'session-done', attempt });
      }
      return;
    }
    if (!faults && !together && this.flights.length > 0) return this.deliver(false); // let the others catch up
    const p = peers[Math.floor(this.random() * peers.length)]!;
    const attempt = this.running.get(p)!;
    this.running.delete(p);
    const retryable = faults && this.random() < 0.5;
    this.apply(p, { type: 'session-failed', attempt, message: 'boom', retryable });
  }

  /** Applies an event to `peer`, checks the invariants, and performs the effects in the simulation. */
  apply(peer: string, event: LifecycleEvent): void {
    const before = this.views.get(peer);
    if (before === undefined) return;
    const t = transition(before, event, this.now);
    this.log.push(`${peer} ${event.type} ${before.state} -> ${t.view.state}`);
    let state: JobState = before.state;
    for (const e of t.effects) {
      if (e.kind === 'state') {
        if (isFinal(state))
          throw new Error(`${peer}: left final state ${state} for ${e.state} on ${event.type}`);
        if (!canTransition(state, e.state))
          throw new Error(`${peer}: ${state} -> ${e.state} on ${event.type}`);
        state = e.state;
      }
    }
    if (isFinal(before.state) && t.view.state !== before.state)
      throw new Error(`${peer}: final ${before.state} left`);
    this.views.set(peer, t.view);
    for (const e of t.effects) this.perform(peer, t.view, e);
  }

  private perform(peer: string, view: JobView, e: Effect): void {
    switch (e.kind) {
      case 'send':
        this.flights.push({ from: peer, to: e.to, message: e.message, onFailure: e.onFailure });
        return;
      case 'run':
        this.checkRun(peer, view);
        this.running.set(peer, e.attempt);
        return;
      case 'abort':
        this.running.delete(peer);
        this.waitingRetry.delete(peer);
        return;
      case 'wait-retry':
        this.waitingRetry.set(peer, { attempt: e.attempt, message: e.message });
        return;
      case 'release':
        this.checkRelease(peer);
        return;
      default:
        return;
    }
  }

  /** No session runs on the requester before every participant approved; none on a participant it did not approve. */
  private checkRun(peer: string, view: JobView): void {
    const approved = Object.values(view.approvals).every((a) => a.decision === 'approved');
    if (!approved) throw new Error(`${peer}: session started without every approval`);
  }

  /** No result is released unless every participant approved (in its own view too). */
  private checkRelease(peer: string): void {
    for (const p of this.participants) {
      const v = this.views.get(p);
      const own = v?.approvals[p]?.decision;
      const seen = this.views.get(this.requester)?.approvals[p]?.decision;
      if (own !== 'approved') throw new Error(`${peer}: released though ${p} is ${own}`);
      if (seen !== 'approved') throw new Error(`${peer}: released though the requester saw ${p} ${seen}`);
    }
  }
}
