/**
 * Job events for the control API: state changes, decisions and progress, numbered per peer, kept
 * in memory (the last {@link MAX_EVENTS_PER_JOB} per job), readable by long polling
 * (`GET /jobs/:id/events?after=<seq>&waitMs=<ms>`). Events never carry a data value.
 */
import { isFinal, type JobState } from '../state.js';
import type { JobProgress } from '../store.js';

/** Events kept per job. */
export const MAX_EVENTS_PER_JOB = 500;

/** One event. */
export interface JobEvent {
  /** Increasing number on this peer (across jobs). */
  seq: number;
  /** ISO 8601 time. */
  time: string;
  /** Job id. */
  job: string;
  /** What happened. */
  type: 'state' | 'decision' | 'progress';
  /** New state (`state`). */
  state?: JobState;
  /** A participant's decision (`decision`). */
  decision?: { peer: string; decision: 'approved' | 'rejected' | 'pending'; reason?: string };
  /** Progress (`progress`). */
  progress?: JobProgress;
  /** Reason of a state change. */
  reason?: string;
}

/** The event log of a peer's jobs. */
export class JobEvents {
  private seq = 0;
  private readonly byJob = new Map<string, JobEvent[]>();
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<(e: JobEvent) => void>();

  /** Calls `listener` with every event from now on (a listener that throws is ignored); returns the unsubscribe. */
  subscribe(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records an event and wakes long polls. */
  emit(event: Omit<JobEvent, 'seq' | 'time'>): JobEvent {
    const e: JobEvent = { seq: ++this.seq, time: new Date().toISOString(), ...event };
    const list = this.byJob.get(e.job) ?? [];
    list.push(e);
    if (list.length > MAX_EVENTS_PER_JOB) list.splice(0, list.length - MAX_EVENTS_PER_JOB);
    // an ended job keeps its decisions and states, and only its last progress event
    const compacted = e.type === 'state' && e.state !== undefined && isFinal(e.state) ? compact(list) : list;
    this.byJob.set(e.job, compacted);
    for (const wake of [...this.waiters]) wake();
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // an observer must not break the job service
      }
    }
    return e;
  }

  /** Events of `job` after `after`. */
  /** Drops the events of jobs whose records are gone (pruned). */
  forget(jobs: readonly string[]): void {
    for (const job of jobs) this.byJob.delete(job);
  }

  /** Jobs with events held (for tests and diagnostics). */
  get jobCount(): number {
    return this.byJob.size;
  }

  since(job: string, after = 0): JobEvent[] {
    return (this.byJob.get(job) ?? []).filter((e) => e.seq > after);
  }

  /** Events of `job` after `after`, waiting up to `waitMs` for the first one. */
  async wait(job: string, after: number, waitMs: number, signal?: AbortSignal): Promise<JobEvent[]> {
    const now = this.since(job, after);
    if (now.length > 0 || waitMs <= 0) return now;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const check = (): void => {
        if (this.since(job, after).length > 0) done();
      };
      const timer = setTimeout(done, waitMs);
      this.waiters.add(check);
      signal?.addEventListener('abort', done, { once: true });
    });
    return this.since(job, after);
  }
}

/** A list without its progress events but the last. */
function compact(list: JobEvent[]): JobEvent[] {
  const last = list.findLast((e) => e.type === 'progress');
  return list.filter((e) => e.type !== 'progress' || e === last);
}
