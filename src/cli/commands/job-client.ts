/**
 * Typed calls of the control API's job, policy and audit routes, over the daemon client's generic
 * `request` (the route files define the bodies).
 */
import type { ApiClient, RequestOptions } from '../../daemon/api/client.js';
import type { AuditListResponse } from '../../daemon/api/routes/audit.js';
import type { BudgetResponse } from '../../daemon/api/routes/budget.js';
import type { JobEventsResponse, JobListResponse } from '../../daemon/api/routes/jobs.js';
import type { AuditVerifyResult } from '../../jobs/audit/log.js';
import type { DatasetPolicy, PolicyRequest } from '../../jobs/policy/types.js';
import type { JobRequest } from '../../jobs/service/request.js';
import type { JobRecord } from '../../jobs/store.js';

/** An op of the catalogue as `GET /jobs/ops` lists it. */
export interface OpInfo {
  /** Op name, as programs use it. */
  name: string;
  /** Group: relational, statistic, engine, ml. */
  category: string;
  /** One line for people. */
  summary: string;
  /** Fewest and most arguments. */
  arity: { min: number; max: number };
  /** Parameter names. */
  params: string[];
}

/** The job routes of one daemon. */
export class JobsClient {
  constructor(private readonly api: ApiClient) {}

  /** `POST /jobs`. */
  submit(request: JobRequest, options?: RequestOptions): Promise<JobRecord> {
    return this.api.request('POST', '/jobs', request, options);
  }
  /** `GET /jobs`. */
  list(): Promise<JobListResponse> {
    return this.api.request('GET', '/jobs');
  }
  /** `GET /jobs/pending`. */
  pending(): Promise<JobListResponse> {
    return this.api.request('GET', '/jobs/pending');
  }
  /** `GET /jobs/ops`. */
  ops(): Promise<{ ops: OpInfo[] }> {
    return this.api.request('GET', '/jobs/ops');
  }
  /** `GET /jobs/:id`. */
  get(id: string): Promise<JobRecord> {
    return this.api.request('GET', `/jobs/${encodeURIComponent(id)}`);
  }
  /** `GET /jobs/:id/events` (long poll). */
  events(id: string, after: number, waitMs: number): Promise<JobEventsResponse> {
    return this.api.request(
      'GET',
      `/jobs/${encodeURIComponent(id)}/events?after=${after}&waitMs=${waitMs}`,
      undefined,
      {
        timeoutMs: waitMs + 30_000,
      },
    );
  }
  /** `POST /jobs/:id/approve`. */
  approve(id: string): Promise<JobRecord> {
    return this.api.request('POST', `/jobs/${encodeURIComponent(id)}/approve`);
  }
  /** `POST /jobs/:id/reject`. */
  reject(id: string, reason?: string): Promise<JobRecord> {
    return this.api.request(
      'POST',
      `/jobs/${encodeURIComponent(id)}/reject`,
      reason === undefined ? {} : { reason },
    );
  }
  /** `POST /jobs/:id/cancel`. */
  cancel(id: string, reason?: string): Promise<JobRecord> {
    return this.api.request(
      'POST',
      `/jobs/${encodeURIComponent(id)}/cancel`,
      reason === undefined ? {} : { reason },
    );
  }
  /** `GET /policies`. */
  policies(): Promise<{ policies: DatasetPolicy[] }> {
    return this.api.request('GET', '/policies');
  }
  /** `GET /policies/:dataset`. */
  policy(dataset: string): Promise<{ policy: DatasetPolicy; default: boolean }> {
    return this.api.request('GET', `/policies/${encodeURIComponent(dataset)}`);
  }
  /** `PUT /policies/:dataset` (`published`: the dataset's description now carries its summary). */
  setPolicy(dataset: string, policy: PolicyRequest): Promise<{ policy: DatasetPolicy; published?: boolean }> {
    return this.api.request('PUT', `/policies/${encodeURIComponent(dataset)}`, policy);
  }
  /** `DELETE /policies/:dataset`. */
  removePolicy(dataset: string): Promise<{ removed: boolean; policy: DatasetPolicy; published?: boolean }> {
    return this.api.request('DELETE', `/policies/${encodeURIComponent(dataset)}`);
  }
  /** `GET /audit`. */
  audit(options: { job?: string; limit?: number } = {}): Promise<AuditListResponse> {
    const q = new URLSearchParams();
    if (options.job !== undefined) q.set('job', options.job);
    if (options.limit !== undefined) q.set('limit', String(options.limit));
    const qs = q.toString();
    return this.api.request('GET', `/audit${qs === '' ? '' : `?${qs}`}`);
  }
  /** `GET /budget[?dataset=]`: what each requester spent and has left of the privacy budgets. */
  budget(dataset?: string): Promise<BudgetResponse> {
    const qs = dataset === undefined ? '' : `?${new URLSearchParams({ dataset })}`;
    return this.api.request('GET', `/budget${qs}`);
  }
  /** `GET /audit/verify`. */
  verifyAudit(): Promise<AuditVerifyResult> {
    return this.api.request('GET', '/audit/verify');
  }
}
