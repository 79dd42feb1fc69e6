/**
 * The audit log: `GET /audit?job=<id>&limit=<n>` lists entries (oldest first; never values), and
 * `GET /audit/verify` checks the hash chain (edited, deleted or reordered lines).
 */
import type { AuditEntry, AuditVerifyResult } from '../../../jobs/audit/log.js';
import type { ApiContext } from '../context.js';
import type { Router } from '../router.js';
import { optionalPositiveInt } from '../validate.js';
import { jobServiceOf } from './jobs.js';

/** Body of `GET /audit`. */
export interface AuditListResponse {
  /** Entries, oldest first. */
  entries: AuditEntry[];
}

/** Registers the audit routes. */
export function auditRoutes(router: Router, ctx: ApiContext): void {
  router.get('/audit', async (req): Promise<AuditListResponse> => {
    const job = req.query.get('job') ?? undefined;
    const limit = optionalPositiveInt(req.query.get('limit') ?? undefined, 'limit', 1_000_000);
    return {
      entries: jobServiceOf(ctx).audit.list({ ...(job ? { job } : {}), ...(limit ? { limit } : {}) }),
    };
  });
  router.get('/audit/verify', async (): Promise<AuditVerifyResult> => jobServiceOf(ctx).audit.verify());
}
