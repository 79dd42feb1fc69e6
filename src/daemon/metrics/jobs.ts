/**
 * The job service's metrics: records by state, state changes, this peer's decisions, phase
 * durations, MPC traffic and rounds per session, the wait for each MPC message, audit entries.
 *
 * Counters and histograms follow the service's events (`service.events`, `service.sessionTimings`);
 * gauges read the store and the audit log when scraped. Label values come from fixed sets (state,
 * protocol, phase, decision, by, direction): a value outside its set is reported as `other`, so
 * no job id, peer id, reason or other requester-supplied text can become a label.
 */
import { Counter, exponentialBuckets, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobEvent } from '../../jobs/service/events.js';
import type { JobService } from '../../jobs/service/service.js';
import { isFinal, JOB_STATES, type JobState } from '../../jobs/state.js';
import type { JobRecord, JobStats } from '../../jobs/store.js';

/** The part of the job service the metrics read. */
export type JobMetricsSource = Pick<
  JobService,
  'self' | 'store' | 'events' | 'sessionTimings' | 'audit' | 'pending'
>;

/** Protocols a job may name (the `protocol` label). */
export const PROTOCOL_LABELS = ['rep3', 'additive', 'plaintext'] as const;
/** Decisions of this peer (the `decision` label). */
export const DECISION_LABELS = ['approved', 'rejected'] as const;
/** Who decided (the `by` label). */
export const BY_LABELS = ['policy', 'person', 'check'] as const;
/** Phases of a job on this peer (the `phase` label), from its recorded stats. */
export const PHASE_LABELS = [
  'discovery',
  'approval',
  'connect',
  'input',
  'compute',
  'output',
  'total',
] as const;

/** `value` when it is one of `allowed`, else `other`. */
function label(value: unknown, allowed: readonly string[]): string {
  return typeof value === 'string' && allowed.includes(value) ? value : 'other';
}

const protocolOf = (r: JobRecord | undefined): string => label(r?.signed.job.protocol, PROTOCOL_LABELS);

/** The job metrics of one daemon; {@link JobMetrics.attach} connects them to its service. */
export class JobMetrics {
  private source: JobMetricsSource | undefined;
  /** The last state seen of each job not yet ended (a `note` repeats the state: not a change). */
  private readonly lastState = new Map<string, JobState>();
  private readonly transitions: Counter<'state' | 'protocol'>;
  private readonly decisions: Counter<'decision' | 'by'>;
  private readonly phases: Histogram<'phase' | 'protocol'>;
  private readonly sessionBytes: Histogram<'direction' | 'protocol'>;
  private readonly sessionRounds: Histogram<'protocol'>;
  private readonly stepWait: Histogram<'protocol'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const self = (): JobMetricsSource | undefined => this.source;
    new Gauge({
      name: 'peermpc_job_records',
      help: 'Job records this peer keeps, by state and protocol (finished ones until pruned).',
      labelNames: ['state', 'protocol'],
      registers,
      collect() {
        this.reset();
        const source = self();
        if (source === undefined) return;
        for (const s of JOB_STATES) for (const p of PROTOCOL_LABELS) this.set({ state: s, protocol: p }, 0);
        for (const r of source.store.list())
          this.inc({ state: label(r.state, JOB_STATES), protocol: protocolOf(r) });
      },
    });
    new Gauge({
      name: 'peermpc_jobs_awaiting_approval',
      help: "Jobs waiting for this peer's person to approve or reject them.",
      registers,
      collect() {
        const source = self();
        if (source !== undefined) this.set(source.pending().length);
      },
    });
    new Gauge({
      name: 'peermpc_audit_entries',
      help: "Sequence number of the last entry of this peer's audit log (entries ever appended).",
      registers,
      collect() {
        const source = self();
        if (source !== undefined) this.set(source.audit.lastSeq);
      },
    });
    this.transitions = new Counter({
      name: 'peermpc_jobs_total',
      help: 'Jobs that entered each state on this peer since the daemon started (proposed: new jobs).',
      labelNames: ['state', 'protocol'],
      registers,
    });
    this.decisions = new Counter({
      name: 'peermpc_job_decisions_total',
      help: "This peer's decisions on jobs, approved or rejected, by its policy, its person or a check.",
      labelNames: ['decision', 'by'],
      registers,
    });
    this.phases = new Histogram({
      name: 'peermpc_job_phase_duration_seconds',
      help: 'Duration of each phase of the jobs done on this peer (approval: the wait for every owner, requester only).',
      labelNames: ['phase', 'protocol'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 21600, 86400],
      registers,
    });
    this.sessionBytes = new Histogram({
      name: 'peermpc_mpc_session_bytes',
      help: 'MPC payload bytes this peer sent or received in one finished session.',
      labelNames: ['direction', 'protocol'],
      buckets: exponentialBuckets(1024, 4, 13), // 1 KiB .. 16 GiB
      registers,
    });
    this.sessionRounds = new Histogram({
      name: 'peermpc_mpc_session_rounds',
      help: 'Communication rounds of one finished MPC session on this peer.',
      labelNames: ['protocol'],
      buckets: exponentialBuckets(1, 4, 11), // 1 .. ~1e6
      registers,
    });
    this.stepWait = new Histogram({
      name: 'peermpc_mpc_step_wait_seconds',
      help: 'How long this peer waited for one MPC message (one step from one party); near 0 when it had arrived.',
      labelNames: ['protocol'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    for (const p of PROTOCOL_LABELS)
      for (const s of JOB_STATES) this.transitions.inc({ state: s, protocol: p }, 0);
    for (const d of DECISION_LABELS) for (const by of BY_LABELS) this.decisions.inc({ decision: d, by }, 0);
  }

  /** Follows `source` (once per daemon); returns the function that stops following it. */
  attach(source: JobMetricsSource): () => void {
    if (this.source === source) return () => {};
    if (this.source !== undefined) throw new Error('the job metrics already follow another job service');
    this.source = source;
    const offEvents = source.events.subscribe((e) => this.onEvent(source, e));
    const offWaits = source.sessionTimings.subscribe((w) =>
      this.stepWait.observe({ protocol: label(w.protocol, PROTOCOL_LABELS) }, w.seconds),
    );
    return () => {
      offEvents();
      offWaits();
      this.source = undefined;
      this.lastState.clear();
    };
  }

  private onEvent(source: JobMetricsSource, e: JobEvent): void {
    if (e.type === 'progress') return;
    const record = recordOf(source, e.job);
    if (e.type === 'decision') {
      const d = e.decision;
      if (d === undefined || d.peer !== source.self || d.decision === 'pending') return;
      const by = record?.approvals[source.self]?.by;
      this.decisions.inc({ decision: label(d.decision, DECISION_LABELS), by: label(by, BY_LABELS) });
      return;
    }
    const state = e.state;
    if (state === undefined || this.lastState.get(e.job) === state) return;
    const protocol = protocolOf(record);
    this.transitions.inc({ state: label(state, JOB_STATES), protocol });
    if (isFinal(state)) this.lastState.delete(e.job);
    else this.lastState.set(e.job, state);
    if (state === 'done' && record?.stats !== undefined) this.observeSession(record.stats, protocol);
  }

  private observeSession(stats: JobStats, protocol: string): void {
    for (const phase of PHASE_LABELS) {
      const ms = stats.ms[phase];
      if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)
        this.phases.observe({ phase, protocol }, ms / 1000);
    }
    this.sessionBytes.observe({ direction: 'sent', protocol }, stats.bytesSent);
    this.sessionBytes.observe({ direction: 'received', protocol }, stats.bytesReceived);
    this.sessionRounds.observe({ protocol }, stats.rounds);
  }
}

function recordOf(source: JobMetricsSource, id: string): JobRecord | undefined {
  try {
    return source.store.get(id);
  } catch {
    return undefined; // pruned meanwhile
  }
}
