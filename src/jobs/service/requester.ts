/**
 * The requester's side of a job, up to the proposals: resolve the inputs against their owners'
 * signed descriptions, build and sign the job, record it, decide on it as a participant when this
 * peer is one, and propose it to every other participant. Each answer is a lifecycle event
 * (`approval`, `unreachable`); when all are in, `proposals-answered` lets the lifecycle start or
 * end the job.
 */
import { logger } from '../../util/log.js';
import type { NonlinearOps } from '../executor/context.js';
import { assertRunnable } from '../executor/registry.js';
import { programSteps } from '../executor/run.js';
import { participants, rolesOf } from '../job/parties.js';
import { createJob, signJob, type JobSigner } from '../job/sign.js';
import type { SignedJob } from '../job/types.js';
import { verifySignedJob, type VerifiedJob } from '../job/verify.js';
import type { PolicyDecision } from '../policy/check.js';
import type { ReplayGuard } from '../replay.js';
import type { ApprovalState, JobRecord, JobStore } from '../store.js';
import type { JobsConfig } from './config.js';
import type { JobDatasets } from './datasets.js';
import type { JobDriver } from './driver.js';
import type { JobEvents } from './events.js';
import type { Live } from './live.js';
import type { JobsReply } from './messages.js';
import { chooseComputeParties, resolveInputs, type JobRequest } from './request.js';
import type { JobsTransport } from './transport.js';

const log = logger('jobs');

/** What submitting needs. */
export interface RequesterDeps {
  /** This peer's id. */
  self: string;
  /** Signs jobs. */
  signer: JobSigner;
  /** The dataset catalog (descriptions of the inputs). */
  datasets: JobDatasets;
  /** Settings. */
  config: () => JobsConfig;
  /** Nonlinear ops (what this peer can run). */
  nonlinear: NonlinearOps;
  /** Replay guard (a job id is used once). */
  replay: ReplayGuard;
  /** Job records. */
  store: JobStore;
  /** Events for the API. */
  events: JobEvents;
  /** Active jobs. */
  live: Map<string, Live>;
  /** The lifecycle's driver. */
  driver: JobDriver;
  /** Messages. */
  transport: JobsTransport;
  /** This peer's policy decision on a job (when it is also a participant). */
  decide(verified: VerifiedJob): Promise<PolicyDecision>;
}

/**
 * Builds, signs and proposes a job; resolves once every participant answered the proposal (the
 * job may then be pending a person's approval, running, or already rejected).
 * @throws on a bad request (unknown dataset, column, program error, op not available).
 */
export async function submitJob(
  deps: RequesterDeps,
  request: JobRequest,
  options: { signal?: AbortSignal } = {},
): Promise<JobRecord> {
  const t0 = performance.now();
  const { signed, verified } = await buildJob(deps, request, options);
  const { job } = signed;
  const discoveryMs = performance.now() - t0;

  const others = participants(job).filter((p) => p !== deps.self);
  const approvals: Record<string, ApprovalState> = Object.fromEntries(
    participants(job).map((p) => [p, { decision: 'pending' }]),
  );
  deps.store.create(signed, rolesOf(job, deps.self), approvals, programSteps(verified.checked));
  deps.store.update(job.id, {
    stats: { ms: { discovery: discoveryMs }, bytesSent: 0, bytesReceived: 0, rounds: 0 },
  });
  deps.live.set(job.id, {
    verified,
    abort: new AbortController(),
    proposedAt: performance.now(),
    proposing: true,
  });
  deps.driver.auditJob('job.requested', signed, { peer: deps.self });
  deps.events.emit({ job: job.id, type: 'state', state: 'proposed' });
  log('job %s: proposed to %d participant(s)', job.id, others.length);

  if (approvals[deps.self] !== undefined) {
    const decided = await deps.decide(verified);
    await deps.driver.step(job.id, { type: 'approval', peer: deps.self, approval: ownApproval(decided) });
  }
  await Promise.all(others.map((p) => propose(deps, signed, p)));
  await deps.driver.step(job.id, { type: 'proposals-answered' });
  return deps.store.get(job.id);
}

async function buildJob(
  deps: RequesterDeps,
  request: JobRequest,
  options: { signal?: AbortSignal },
): Promise<{ signed: SignedJob; verified: VerifiedJob }> {
  const descriptions = await Promise.all(
    request.inputs.map((i) => deps.datasets.show(i.owner, i.dataset, { signal: options.signal })),
  );
  const inputs = resolveInputs(request.inputs, descriptions);
  const computeParties = chooseComputeParties(
    request,
    inputs.map((i) => i.owner),
    deps.config().computeParties,
  );
  const job = createJob({
    requester: deps.self,
    program: request.program,
    inputs,
    computeParties,
    protocol: request.protocol,
    dealer: request.dealer,
    ttlMs: request.ttlMs,
    ...(request.dp !== undefined ? { dp: request.dp } : {}),
  });
  const signed = await signJob(job, deps.signer);
  const verified = await verifySignedJob(signed);
  assertRunnable(verified.checked, deps.nonlinear);
  deps.replay.claim(job.id, new Date(job.expires));
  return { signed, verified };
}

function ownApproval(decided: PolicyDecision): ApprovalState {
  if (decided.decision === 'refuse')
    return { decision: 'rejected', by: 'policy', reason: decided.reasons.join('; ') };
  return decided.decision === 'auto' ? { decision: 'approved', by: 'policy' } : { decision: 'pending' };
}

/** Proposes the job to `peer`; its answer (or silence) is a lifecycle event. */
async function propose(deps: RequesterDeps, signed: SignedJob, peer: string): Promise<void> {
  const id = signed.job.id;
  let reply: JobsReply;
  try {
    reply = await deps.transport.request(
      peer,
      { type: 'propose', signed },
      { signal: AbortSignal.timeout(deps.config().proposeMs) },
    );
  } catch (err) {
    await deps.driver.step(id, { type: 'unreachable', peer, reason: (err as Error).message });
    return;
  }
  const approval: ApprovalState = reply.ok
    ? reply.decision === 'approved'
      ? { decision: 'approved', by: 'policy' }
      : { decision: 'pending' }
    : {
        decision: 'rejected',
        by: reply.error.name === 'PolicyDeniedError' ? 'policy' : 'check',
        reason: reply.error.message,
      };
  await deps.driver.step(id, { type: 'approval', peer, approval });
}
