/**
 * The audit log:
 *
 * - `GET /audit?job=<id>&limit=<n>&archived=1`: entries, oldest first (never values), and the lines
 *   that are not valid entries (`invalid`: malformed, edited or forged lines are never shown as
 *   entries). `archived=1` includes archived segments.
 * - `GET /audit/verify`: checks the archived segments, the live log and the head (edited, forged,
 *   deleted, inserted or reordered lines, extra fields, truncation). `?peers=1` also asks the peers
 *   this peer exchanged signed heads with (or those named by `peer=<id>`, repeatable) which heads
 *   of this log they hold, and checks the log still contains each.
 * - `POST /audit/archive { keep? }`: moves all but the last `keep` entries (default: the retention
 *   setting) to an archived segment.
 * - `GET /audit/heads`: the signed heads this peer holds of other peers' logs (for their operators'
 *   `audit verify --offline --heads`).
 */
import type { AuditEntry } from '../../../jobs/audit/entry.js';
import { auditVerifier } from '../../../jobs/audit/keys.js';
import type { ArchiveResult, AuditProblem, AuditVerifyResult } from '../../../jobs/audit/log.js';
import type { HeldOfPeer } from '../../../jobs/audit/peer-heads.js';
import type { ApiContext } from '../context.js';
import { BadRequestError, HttpError } from '../errors.js';
import type { RouteHandler, Router } from '../router.js';
import { objectBody, optionalPositiveInt } from '../validate.js';
import { jobServiceOf } from './jobs.js';

/** Body of `GET /audit`. */
export interface AuditListResponse {
  /** Valid entries, oldest first. */
  entries: AuditEntry[];
  /** Lines that are not valid entries (whatever the filter). */
  invalid: AuditProblem[];
}

/** Body of `GET /audit/heads`. */
export interface AuditHeadsResponse {
  /** This peer. */
  holder: string;
  /** Heads held, by peer. */
  held: Record<string, HeldOfPeer>;
}

export type { ArchiveResult, AuditVerifyResult };

const STATUS: Record<string, number> = { AuditLogError: 500, TypeError: 400 };

/** Gives the audit errors their statuses; `conflict` for refusals of a state (archive). */
function mapped(handler: RouteHandler, conflict = false): RouteHandler {
  return async (req) => {
    try {
      return await handler(req);
    } catch (err) {
      if (err instanceof HttpError || !(err instanceof Error)) throw err;
      const status = conflict && err.name === 'AuditLogError' ? 409 : STATUS[err.name];
      if (status !== undefined) throw new HttpError(status, err.name, err.message);
      throw err;
    }
  };
}

/** Registers the audit routes. */
export function auditRoutes(router: Router, ctx: ApiContext): void {
  router.get(
    '/audit',
    mapped(async (req): Promise<AuditListResponse> => {
      const job = req.query.get('job') ?? undefined;
      if (job !== undefined && job.length > 128) throw new BadRequestError('"job" is at most 128 characters');
      const limit = optionalPositiveInt(req.query.get('limit') ?? undefined, 'limit', 1_000_000);
      const archived = req.query.get('archived');
      return jobServiceOf(ctx).audit.listing({
        ...(job ? { job } : {}),
        ...(limit ? { limit } : {}),
        ...(archived === '1' || archived === 'true' ? { archived: true } : {}),
      });
    }),
  );
  router.get(
    '/audit/verify',
    mapped(async (req): Promise<AuditVerifyResult> => {
      const svc = jobServiceOf(ctx);
      const peers = req.query.getAll('peer');
      for (const p of peers)
        if (p.length > 128 || auditVerifier(p) === undefined)
          throw new BadRequestError('"peer" must be an Ed25519 peer id');
      if (peers.length > 64) throw new BadRequestError('at most 64 peers');
      const withPeers = req.query.get('peers');
      if (withPeers === '1' || withPeers === 'true' || peers.length > 0)
        return svc.auditHeads.verifyWithPeers(peers.length > 0 ? peers : undefined);
      return svc.audit.verify();
    }),
  );
  router.post(
    '/audit/archive',
    mapped(async (req): Promise<ArchiveResult> => {
      const body = objectBody(await req.body());
      const keep = body.keep;
      if (keep !== undefined && (typeof keep !== 'number' || !Number.isSafeInteger(keep) || keep < 0))
        throw new BadRequestError('"keep" must be an integer >= 0');
      return jobServiceOf(ctx).audit.archive(keep === undefined ? {} : { keep });
    }, true),
  );
  router.get(
    '/audit/heads',
    mapped(async (): Promise<AuditHeadsResponse> => {
      const svc = jobServiceOf(ctx);
      return { holder: svc.self, held: svc.auditHeads.held.held() };
    }),
  );
}
