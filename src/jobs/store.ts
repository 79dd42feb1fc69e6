/**
 * The jobs a peer knows (requested, owned or computed), persisted one file per job under
 * `<dataDir>/jobs/records/<id>.json` so that `job list|show|status` survive restarts. Every state
 * change goes through the state machine and is appended to the record's history.
 *
 * A requester's record holds its result once done; other peers' records never hold a value.
 */
import type { DpOutputInfo } from './dp/types.js';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobNotFoundError } from './errors.js';
import type { JobRole, SignedJob } from './job/types.js';
import { assertTransition, isFinal, JOB_STATES, type JobState } from './state.js';

/** One party's decision on a job. */
export interface ApprovalState {
  /** `pending` until decided. */
  decision: 'pending' | 'approved' | 'rejected';
  /** Who decided. */
  by?: 'policy' | 'person' | 'check';
  /** Why (for rejections). */
  reason?: string;
  /** When. */
  at?: string;
}

/** Progress of a running job: steps (program nodes plus input and output) done of total. */
export interface JobProgress {
  /** Steps done. */
  done: number;
  /** Steps in all. */
  total: number;
  /** What is happening: `waiting`, `input`, a node id, `output`, `finished`. */
  phase: string;
}

/** A released output as the requester receives it. */
export interface JobOutputValue {
  /** Output name. */
  name: string;
  /** Shape. */
  shape: number[];
  /**
   * Row-major values; `null` marks a suppressed cell (a histogram bin with fewer than the op's
   * `minCount` rows from some input, kept `null` in JSON).
   */
  values: (number | null)[];
  /** Labels per axis, when the op gives them (column names...). */
  labels?: (string[] | null)[];
  /** How the value was made differentially private, when the job asked for DP. */
  dp?: DpOutputInfo;
}

/** Timings and traffic of a job on one peer. */
export interface JobStats {
  /** Milliseconds per phase on this peer. */
  ms: {
    discovery?: number;
    approval?: number;
    connect?: number;
    input?: number;
    compute?: number;
    output?: number;
    total?: number;
  };
  /** Payload bytes this peer sent in the MPC session. */
  bytesSent: number;
  /** Payload bytes this peer received. */
  bytesReceived: number;
  /** Communication rounds. */
  rounds: number;
  /** How this peer reached each other party (peer id -> `direct` or `relayed`), when known. */
  links?: Record<string, 'direct' | 'relayed'>;
}

/** What a peer keeps about one job. */
export interface JobRecord {
  /** Job id. */
  id: string;
  /** The signed job. */
  signed: SignedJob;
  /** This peer's roles. */
  roles: JobRole[];
  /** Current state. */
  state: JobState;
  /** Every state with its time and reason. */
  history: { state: JobState; at: string; reason?: string }[];
  /** Decisions by peer id (the requester tracks every participant; others their own). */
  approvals: Record<string, ApprovalState>;
  /** This owner's datasets that await a person's approval. */
  pendingDatasets?: string[];
  /** Progress. */
  progress: JobProgress;
  /** The outputs (requester only, once done). */
  result?: JobOutputValue[];
  /** Why it failed, was rejected, expired or was cancelled; `party` names the peer at fault. */
  error?: { name: string; message: string; party?: string };
  /** Timings and traffic. */
  stats?: JobStats;
  /** Last change (ISO 8601). */
  updated: string;
}

/** Whether a parsed record file has the fields the store and the service read, for job `id`. */
function looksLikeRecord(r: unknown, id: string): r is JobRecord {
  const v = r as Partial<JobRecord> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.id === id &&
    (JOB_STATES as readonly unknown[]).includes(v.state) &&
    Array.isArray(v.history) &&
    Array.isArray(v.roles) &&
    typeof v.signed?.job === 'object' &&
    v.signed.job !== null &&
    typeof v.signed.job.created === 'string' &&
    typeof v.updated === 'string'
  );
}

/** The job records of a peer. */
export class JobStore {
  private readonly dir: string;
  private readonly records = new Map<string, JobRecord>();

  /** Loads every record under `<jobsDir>/records/` (unreadable files are skipped). */
  constructor(jobsDir: string) {
    this.dir = join(jobsDir, 'records');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(this.dir)) {
      if (!/^[0-9a-f]{32}\.json$/.test(name)) continue;
      try {
        const r = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as JobRecord;
        if (!looksLikeRecord(r, name.slice(0, 32))) continue; // foreign or damaged: skip it
        this.records.set(r.id, r);
      } catch {
        // a torn or foreign file: ignore it
      }
    }
  }

  /** The record of `id`, or undefined. */
  find(id: string): JobRecord | undefined {
    return this.records.get(id);
  }

  /**
   * The record of `id`.
   * @throws JobNotFoundError when unknown.
   */
  get(id: string): JobRecord {
    const r = this.records.get(id);
    if (r === undefined) throw new JobNotFoundError(id);
    return r;
  }

  /** Every record, newest first. */
  list(): JobRecord[] {
    return [...this.records.values()].sort((a, b) =>
      b.signed.job.created.localeCompare(a.signed.job.created),
    );
  }

  /** Creates a record in state `proposed`. */
  create(
    signed: SignedJob,
    roles: JobRole[],
    approvals: Record<string, ApprovalState>,
    total: number,
  ): JobRecord {
    const now = new Date().toISOString();
    const r: JobRecord = {
      id: signed.job.id,
      signed,
      roles,
      state: 'proposed',
      history: [{ state: 'proposed', at: now }],
      approvals,
      progress: { done: 0, total, phase: 'waiting' },
      updated: now,
    };
    this.records.set(r.id, r);
    this.save(r);
    return r;
  }

  /**
   * Moves `id` to `to` (recording `reason`), applies `patch`, and saves.
   * @throws InvalidTransitionError when the state machine forbids it.
   */
  transition(id: string, to: JobState, reason?: string, patch: Partial<JobRecord> = {}): JobRecord {
    const r = this.get(id);
    assertTransition(id, r.state, to);
    const at = new Date().toISOString();
    Object.assign(r, patch);
    r.state = to;
    r.history.push(reason === undefined ? { state: to, at } : { state: to, at, reason });
    r.updated = at;
    this.save(r);
    return r;
  }

  /** Applies `patch` to `id` without a state change, and saves. */
  update(id: string, patch: Partial<JobRecord>): JobRecord {
    const r = this.get(id);
    Object.assign(r, patch, { updated: new Date().toISOString() });
    this.save(r);
    return r;
  }

  /**
   * Deletes the records of jobs that ended (a final state) before `cutoff`; live jobs are kept
   * whatever their age. Returns the ids removed. The audit log keeps their history.
   */
  prune(cutoff: Date): string[] {
    const removed: string[] = [];
    for (const r of this.records.values()) {
      if (!isFinal(r.state) || !(Date.parse(r.updated) < cutoff.getTime())) continue;
      rmSync(join(this.dir, `${r.id}.json`), { force: true });
      this.records.delete(r.id);
      removed.push(r.id);
    }
    return removed;
  }

  private save(r: JobRecord): void {
    const path = join(this.dir, `${r.id}.json`);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(r, null, 1), { mode: 0o600 });
    renameSync(tmp, path);
  }
}
