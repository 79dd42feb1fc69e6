/**
 * Jobs and dataset policies.
 *
 * - `POST /jobs` (a JobRequest: program, inputs, computeParties?, protocol?, dealer?, ttlMs?):
 *   builds, signs and proposes a job; 201 with its record once every participant answered.
 * - `GET /jobs`: this peer's jobs, newest first (summaries). `GET /jobs/pending`: those waiting for
 *   this peer's person. `GET /jobs/ops`: the op catalogue.
 * - `GET /jobs/:id`: one record (the result only on the requester).
 * - `GET /jobs/:id/events?after=<seq>&waitMs=<ms>`: state, decision and progress events after
 *   `after`, waiting up to `waitMs` (at most 60 000) for the first (long polling).
 * - `POST /jobs/:id/approve`, `POST /jobs/:id/reject { reason }`, `POST /jobs/:id/cancel { reason }`.
 * - `GET /policies`, `GET /policies/:dataset` (the effective one), `PUT /policies/:dataset` (fields
 *   left out take the defaults), `DELETE /policies/:dataset`. Setting or removing a policy re-signs
 *   the local dataset's description with the new policy summary; `published` is false when that
 *   failed (the policy applies all the same).
 *
 * The job service is created with the routes (one per daemon) when the peer supports it; the model
 * layer's `predict` and `train` ops are added to the catalogue then.
 */
import { listOps } from '../../../jobs/program/catalogue.js';
import { boundText } from '../../../util/bound.js';
import { registerMlOps } from '../../../ml/job-catalogue.js';
import type { DatasetPolicy } from '../../../jobs/policy/types.js';
import type { JobEvent } from '../../../jobs/service/events.js';
import { isJobsPeer, jobServiceForPeer } from '../../../jobs/service/for-peer.js';
import type { JobRequest } from '../../../jobs/service/request.js';
import type { JobService } from '../../../jobs/service/service.js';
import type { JobState } from '../../../jobs/state.js';
import { summarize, type JobSummary } from '../../../jobs/summary.js';
import type { JobRecord } from '../../../jobs/store.js';
import { logger } from '../../../util/log.js';
import type { ApiContext } from '../context.js';
import { BadRequestError, HttpError } from '../errors.js';
import { RouteResponse, type RouteHandler, type Router } from '../router.js';
import { objectBody, optionalPositiveInt, optionalString } from '../validate.js';

const log = logger('daemon:jobs');
const services = new WeakMap<ApiContext, JobService | Error>();

/** Body of `GET /jobs` and `GET /jobs/pending`. */
export interface JobListResponse {
  /** Jobs, newest first. */
  jobs: JobSummary[];
}

/** Body of `GET /jobs/:id/events`. */
export interface JobEventsResponse {
  /** Events after `after`. */
  events: JobEvent[];
  /** The job's current state. */
  state: JobState;
}

/**
 * One line for the operator about a job event, or undefined for progress: ids, states and peers
 * only (reasons are the service's own bounded texts), never a value.
 */
export function activityLine(e: JobEvent): string | undefined {
  const job = `job ${e.job.slice(0, 12)}`;
  const why = e.reason !== undefined ? `: ${boundText(e.reason, 200)}` : '';
  if (e.type === 'state' && e.state !== undefined) return `${e.time} ${job} ${e.state}${why}`;
  if (e.type === 'decision' && e.decision !== undefined) {
    const d = e.decision;
    const reason = d.reason !== undefined ? ` (${boundText(d.reason, 200)})` : '';
    return `${e.time} ${job} ${d.decision === 'pending' ? 'waits for a person at' : d.decision + ' by'} ${d.peer}${reason}`;
  }
  return undefined;
}

/** The job service of this daemon (created on first use), or a 503 when the peer cannot run jobs. */
export function jobServiceOf(ctx: ApiContext): JobService {
  let s = services.get(ctx);
  if (s === undefined) {
    try {
      if (!isJobsPeer(ctx.peer)) throw new Error('this peer does not support jobs (no request messaging)');
      const service = jobServiceForPeer(ctx.peer, ctx.dataDir);
      ctx.onStop(() => service.stop());
      const print = ctx.activity;
      if (print !== undefined)
        ctx.onStop(
          service.events.subscribe((e) => {
            const line = activityLine(e);
            if (line !== undefined) print(line);
          }),
        );
      s = service;
      log('job service ready');
    } catch (err) {
      s = err as Error;
      log.error('no job service: %s', s.message);
    }
    services.set(ctx, s);
  }
  if (s instanceof Error) throw new HttpError(503, 'JobsUnavailableError', s.message);
  return s;
}

const STATUS: Record<string, number> = {
  ProgramValidationError: 400,
  JobVerificationError: 400,
  PolicyValidationError: 400,
  RangeError: 400,
  TypeError: 400,
  PolicyDeniedError: 403,
  JobNotFoundError: 404,
  JobReplayError: 409,
  InvalidTransitionError: 409,
  OpUnavailableError: 501,
  JobFailedError: 502,
};

/** Gives the jobs layer's errors their HTTP statuses (others pass through). */
function mapped(handler: RouteHandler): RouteHandler {
  return async (req) => {
    try {
      return await handler(req);
    } catch (err) {
      const status = err instanceof Error && !(err instanceof HttpError) ? STATUS[err.name] : undefined;
      if (status !== undefined) throw new HttpError(status, (err as Error).name, (err as Error).message);
      throw err;
    }
  };
}

function jobId(params: Record<string, string>): string {
  const id = params.id!;
  if (!/^[0-9a-f]{32}$/.test(id)) throw new BadRequestError('a job id is 32 hex characters');
  return id;
}

/** Registers the job and policy routes (and starts the job service). */
export function jobRoutes(router: Router, ctx: ApiContext): void {
  registerMlOps(); // predict and train join the catalogue
  if (isJobsPeer(ctx.peer)) jobServiceOf(ctx); // serve the jobs protocol from the start
  const svc = (): JobService => jobServiceOf(ctx);

  router.post(
    '/jobs',
    mapped(async (req) => {
      const body = objectBody(await req.body());
      if (typeof body.program !== 'object' || body.program === null)
        throw new BadRequestError('"program" is required');
      if (!Array.isArray(body.inputs) || body.inputs.length === 0)
        throw new BadRequestError('"inputs" must list the datasets');
      const record = await svc().submit(body as unknown as JobRequest, { signal: req.signal });
      return new RouteResponse(201, record);
    }),
  );
  router.get('/jobs', async (): Promise<JobListResponse> => ({ jobs: svc().store.list().map(summarize) }));
  router.get('/jobs/pending', async (): Promise<JobListResponse> => ({
    jobs: svc().pending().map(summarize),
  }));
  router.get('/jobs/ops', async () => ({
    ops: listOps().map((o) => ({
      name: o.name,
      category: o.category,
      summary: o.summary,
      arity: o.arity,
      params: o.params,
    })),
  }));
  router.get(
    '/jobs/:id',
    mapped(async (req): Promise<JobRecord> => svc().store.get(jobId(req.params))),
  );
  router.get(
    '/jobs/:id/events',
    mapped(async (req): Promise<JobEventsResponse> => {
      const id = jobId(req.params);
      const s = svc();
      s.store.get(id);
      const after = Number(req.query.get('after') ?? '0');
      if (!Number.isSafeInteger(after) || after < 0)
        throw new BadRequestError('"after" must be a non-negative integer');
      const waitMs = optionalPositiveInt(req.query.get('waitMs') ?? undefined, 'waitMs', 60_000) ?? 0;
      const events = await s.events.wait(id, after, waitMs, req.signal);
      return { events, state: s.store.get(id).state };
    }),
  );
  router.post(
    '/jobs/:id/approve',
    mapped(async (req) => svc().approve(jobId(req.params))),
  );
  router.post(
    '/jobs/:id/reject',
    mapped(async (req) =>
      svc().reject(jobId(req.params), optionalString(objectBody(await req.body()), 'reason')),
    ),
  );
  router.post(
    '/jobs/:id/cancel',
    mapped(async (req) =>
      svc().cancel(jobId(req.params), optionalString(objectBody(await req.body()), 'reason')),
    ),
  );

  router.get('/policies', async (): Promise<{ policies: DatasetPolicy[] }> => ({
    policies: svc().policies.list(),
  }));
  router.get(
    '/policies/:dataset',
    mapped(async (req) => {
      const p = svc().policies;
      const name = req.params.dataset!;
      return { policy: p.effective(name), default: p.get(name) === undefined };
    }),
  );
  router.add(
    'PUT',
    '/policies/:dataset',
    mapped(async (req) => {
      const dataset = req.params.dataset!;
      const { policy, published } = await svc().setPolicy(dataset, objectBody(await req.body()));
      return { policy, default: false, published };
    }),
  );
  router.delete(
    '/policies/:dataset',
    mapped(async (req) => {
      const s = svc();
      const dataset = req.params.dataset!;
      const { removed, published } = await s.removePolicy(dataset);
      return { dataset, removed, policy: s.policies.effective(dataset), published };
    }),
  );
}

export { summarize, type JobSummary };
