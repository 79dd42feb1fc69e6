/** A one-line view of a job record, for lists (`GET /jobs`, `peermpc job list`). */
import type { JobState } from './state.js';
import type { JobRecord } from './store.js';

/** A job as `GET /jobs` lists it. */
export interface JobSummary {
  /** Job id. */
  id: string;
  /** State on this peer. */
  state: JobState;
  /** This peer's roles. */
  roles: string[];
  /** Requester peer id. */
  requester: string;
  /** Program hash. */
  programHash: string;
  /** Datasets as owner/name. */
  datasets: string[];
  /** Creation time (ISO 8601). */
  created: string;
  /** Expiry time (ISO 8601). */
  expires: string;
  /** Steps done of total. */
  progress: { done: number; total: number; phase: string };
  /** Decisions by peer. */
  approvals: Record<string, string>;
}

/** Summary of a record. */
export function summarize(r: JobRecord): JobSummary {
  const { job } = r.signed;
  return {
    id: r.id,
    state: r.state,
    roles: r.roles,
    requester: job.requester,
    programHash: job.programHash,
    datasets: job.inputs.map((i) => `${i.owner}/${i.dataset}`),
    created: job.created,
    expires: job.expires,
    progress: r.progress,
    approvals: Object.fromEntries(Object.entries(r.approvals).map(([p, a]) => [p, a.decision])),
  };
}
