/**
 * The thin I/O layer of the job lifecycle: feeds an event to the pure machine
 * (lifecycle/machine.ts) with the job's current view and the clock, and performs the effects it
 * returns, in order: records (job store), events (API), audit entries, messages (transport), session
 * runs and aborts, retry timers. A message that cannot be delivered is logged, fed back as an event,
 * or given to the caller, as the effect says.
 */
import { logger } from '../../util/log.js';
import type { AuditExchange } from '../audit/exchange.js';
import type { AuditEvent } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';
import { JobFailedError } from '../errors.js';
import { participants } from '../job/parties.js';
import type { SignedJob } from '../job/types.js';
import { transition } from '../lifecycle/machine.js';
import type { Effect, JobView, LifecycleEvent } from '../lifecycle/types.js';
import { isFinal, type JobState } from '../state.js';
import type { ApprovalState, JobRecord, JobStore } from '../store.js';
import type { JobsConfig } from './config.js';
import type { JobEvents } from './events.js';
import type { Live } from './live.js';
import type { JobsTransport } from './transport.js';

const log = logger('jobs');

/** How long a party that does not answer a probe is given, after a session failed (ms). */
export const PROBE_TIMEOUT_MS = 2_000;

/** What the driver works with. */
export interface DriverDeps {
  /** This peer's id. */
  self: string;
  /** Job records. */
  store: JobStore;
  /** Events for the API. */
  events: JobEvents;
  /** The audit log. */
  audit: AuditLog;
  /** Exchange of audit heads at the end of a job. */
  auditHeads: AuditExchange;
  /** Messages to other peers. */
  transport: JobsTransport;
  /** Settings (read at each use: proposeMs). */
  config: () => JobsConfig;
  /** Active jobs. */
  live: Map<string, Live>;
  /** Runs session attempt `attempt` of job `id` here (feeds back session-done / session-failed). */
  run(id: string, attempt: number): void;
}

/** Options of {@link JobDriver.step}. */
export interface StepOptions {
  /**
   * Also wait for the messages to the requester (a participant's person cancelling: the record
   * returned is after the requester was told, or failed to be). Messages whose failure goes to the
   * caller are always waited for.
   */
  awaitRequester?: boolean;
}

/** See the module comment. */
export class JobDriver {
  constructor(private readonly deps: DriverDeps) {}

  /** The lifecycle's view of job `id` on this peer. */
  view(r: JobRecord): JobView {
    const job = r.signed.job;
    const live = this.deps.live.get(r.id);
    return {
      id: r.id,
      self: this.deps.self,
      requester: job.requester,
      participants: participants(job),
      side: r.roles.includes('requester') ? 'requester' : 'participant',
      state: r.state,
      approvals: r.approvals,
      expires: Date.parse(job.expires),
      ...(live?.attempt !== undefined ? { attempt: live.attempt } : {}),
      ...(live?.proposing === true ? { proposing: true } : {}),
    };
  }

  /**
   * Feeds `event` to job `id`'s lifecycle and performs the effects; resolves when the messages that
   * must be waited for are sent. @throws the transition's error, after its effects.
   */
  async step(id: string, event: LifecycleEvent, options: StepOptions = {}): Promise<void> {
    const r = this.deps.store.get(id);
    const t = transition(this.view(r), event, Date.now());
    const live = this.deps.live.get(id);
    if (live !== undefined) live.proposing = t.view.proposing === true;
    const waits: Promise<void>[] = [];
    for (const effect of t.effects) {
      const sent = this.perform(r, effect);
      if (sent === undefined || effect.kind !== 'send') continue;
      const toRequester = options.awaitRequester === true && effect.to === r.signed.job.requester;
      if (effect.onFailure === 'throw' || toRequester) waits.push(sent);
    }
    await Promise.all(waits);
    if (t.error !== undefined) throw t.error;
  }

  private perform(r: JobRecord, e: Effect): Promise<void> | undefined {
    const live = this.deps.live.get(r.id);
    switch (e.kind) {
      case 'approval':
        return void this.setApproval(r.id, e.peer, e.approval);
      case 'audit-decision':
        return void this.auditJob('job.decided', r.signed, {
          decision: e.decision,
          by: 'person',
          ...(e.reason !== undefined ? { reason: e.reason } : {}),
        });
      case 'state':
        if (e.state === 'approved' && r.roles.includes('requester')) this.recordApprovalTime(r.id, live);
        return void this.setState(r.id, e.state, e.reason, e.error !== undefined ? { error: e.error } : {});
      case 'note': {
        const state = this.deps.store.get(r.id).state;
        this.deps.audit.append({ type: 'job.state', job: r.id, state, reason: e.reason });
        this.deps.events.emit({ job: r.id, type: 'state', state, reason: e.reason });
        return void log('job %s: %s', r.id, e.reason);
      }
      case 'send':
        return this.send(r, e);
      case 'run':
        if (live !== undefined) {
          live.current?.abort(new Error(`superseded by attempt ${e.attempt + 1}`));
          live.current = new AbortController();
          live.attempt = e.attempt;
        }
        return void this.deps.run(r.id, e.attempt);
      case 'abort':
        live?.abort.abort(new JobFailedError(r.id, e.reason, e.party));
        return void this.deps.live.delete(r.id);
      case 'wait-retry': {
        const timer = setTimeout(
          () => {
            const event = {
              type: 'retry-timeout' as const,
              attempt: e.attempt,
              message: e.message,
              ...(e.party ? { party: e.party } : {}),
            };
            this.step(r.id, event).catch((err: Error) => log.error('job %s: %s', r.id, err.message));
          },
          2 * PROBE_TIMEOUT_MS + this.deps.config().proposeMs,
        );
        return void timer.unref();
      }
      case 'release':
        return void this.release(r.id, live);
    }
  }

  private async send(r: JobRecord, e: Extract<Effect, { kind: 'send' }>): Promise<void> {
    const signal = AbortSignal.timeout(this.deps.config().proposeMs);
    try {
      const reply = await this.deps.transport.request(e.to, e.message, { signal });
      if (!reply.ok) {
        if (e.onFailure === 'throw')
          throw new JobFailedError(r.id, `the requester refused the message: ${reply.error.message}`);
        throw new Error(reply.error.message);
      }
    } catch (err) {
      const reason = (err as Error).message;
      if (e.onFailure === 'throw') throw err;
      if (e.onFailure === 'start-failed' && e.message.type === 'start') {
        const attempt = e.message.attempt ?? 0;
        await this.step(r.id, { type: 'start-failed', peer: e.to, attempt, reason }).catch(() => {});
        return;
      }
      log('job %s: could not tell %s (%s): %s', r.id, e.to, e.message.type, reason);
    }
  }

  /** Records the finished session's outputs and audits the release. */
  private release(id: string, live: Live | undefined): void {
    const outcome = live?.outcome;
    if (live === undefined || outcome === undefined) return;
    const { job } = live.verified.signed;
    const before = this.deps.store.get(id).stats;
    const ms = { ...before?.ms, ...outcome.stats.ms };
    // total: from the proposal to the result, the wait for approvals included
    ms.total = (ms.discovery ?? 0) + (ms.approval ?? 0) + (outcome.stats.ms.total ?? 0);
    const stats = { ...outcome.stats, ms };
    const shapes = live.verified.checked.outputs.map((o) => ({
      name: o.name,
      shape: o.type.shape as number[],
    }));
    const relayed = Object.entries(outcome.stats.links ?? {})
      .filter(([, kind]) => kind === 'relayed')
      .map(([p]) => p);
    const via = relayed.length > 0 ? { relayed } : {};
    if (job.requester === this.deps.self) {
      this.deps.store.update(id, { result: outcome.outputs ?? [], stats });
      this.auditJob('job.released', live.verified.signed, {
        releasedTo: this.deps.self,
        outputs: shapes,
        reason: 'result received',
        ...via,
      });
    } else {
      this.deps.store.update(id, { stats });
      this.auditJob('job.released', live.verified.signed, {
        releasedTo: job.requester,
        outputs: shapes,
        ...via,
      });
    }
    this.deps.live.delete(id);
  }

  private recordApprovalTime(id: string, live: Live | undefined): void {
    if (live?.proposedAt === undefined) return;
    const stats = this.deps.store.get(id).stats ?? { ms: {}, bytesSent: 0, bytesReceived: 0, rounds: 0 };
    this.deps.store.update(id, {
      stats: { ...stats, ms: { ...stats.ms, approval: performance.now() - live.proposedAt } },
    });
  }

  /** Records a new state: store, API event, audit; at a final state, shares the audit head. */
  setState(id: string, state: JobState, reason?: string, patch: Partial<JobRecord> = {}): void {
    const r = this.deps.store.transition(id, state, reason, patch);
    this.deps.events.emit({ job: id, type: 'state', state, ...(reason !== undefined ? { reason } : {}) });
    this.deps.audit.append({
      type: 'job.state',
      job: id,
      state,
      ...(reason !== undefined ? { reason } : {}),
      ...(r.error?.party ? { peer: r.error.party } : {}),
    });
    if (isFinal(state)) void this.deps.auditHeads.share(r); // the job's peers keep each other's heads
    log('job %s: %s%s', id, state, reason === undefined ? '' : ` (${reason})`);
  }

  /** Records an approval: store, API event; audited when this peer's policy decided. */
  setApproval(id: string, peer: string, a: ApprovalState): void {
    const r = this.deps.store.get(id);
    this.deps.store.update(id, {
      approvals: { ...r.approvals, [peer]: { ...a, at: new Date().toISOString() } },
    });
    this.deps.events.emit({
      job: id,
      type: 'decision',
      decision: { peer, decision: a.decision, ...(a.reason !== undefined ? { reason: a.reason } : {}) },
    });
    if (peer === this.deps.self && a.decision !== 'pending' && a.by === 'policy') {
      this.auditJob('job.decided', r.signed, {
        decision: a.decision === 'approved' ? 'approved' : 'refused',
        by: 'policy',
        ...(a.reason ? { reason: a.reason } : {}),
      });
    }
  }

  /** Appends an audit entry about `signed` (ids, hashes and names only). */
  auditJob(type: AuditEvent['type'], signed: SignedJob, extra: Partial<AuditEvent>): void {
    const { job } = signed;
    this.deps.audit.append({
      type,
      job: job.id,
      requester: job.requester,
      programHash: job.programHash,
      datasets: job.inputs.map((i) => `${i.owner}/${i.dataset}`),
      ...extra,
    });
  }
}
