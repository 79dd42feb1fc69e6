/**
 * A participant receiving a proposal: every check before any share moves (the proposal quota, the
 * signature, the clock, the program and its hash, the sender, replay, the access lists, a role here,
 * the ops), then the quota of pending jobs and this peer's policies; the job is recorded and the
 * policy's decision is the lifecycle's `received` event. A proposal refused by a check is audited
 * (bounded ids) and answered with the typed error; nothing else happens.
 */
import { logger } from '../../util/log.js';
import type { AuditLog } from '../audit/log.js';
import { JobFailedError, JobReplayError, PolicyDeniedError } from '../errors.js';
import type { NonlinearOps } from '../executor/context.js';
import { assertRunnable } from '../executor/registry.js';
import { programSteps } from '../executor/run.js';
import { rolesOf } from '../job/parties.js';
import type { JobRole, SignedJob } from '../job/types.js';
import { verifySignedJob, type VerifiedJob } from '../job/verify.js';
import { evaluatePolicies, type LocalDatasetInfo, type PolicyDecision } from '../policy/check.js';
import type { PolicyStore } from '../policy/store.js';
import type { ReplayGuard } from '../replay.js';
import type { JobStore } from '../store.js';
import type { JobDatasets } from './datasets.js';
import type { JobDriver } from './driver.js';
import type { JobEvents } from './events.js';
import type { Live } from './live.js';
import type { JobsReply } from './messages.js';
import type { ProposalQuota } from './quota.js';
import type { BudgetGuard } from './budget-guard.js';
import type { ReleaseGuard } from './release-guard.js';

const log = logger('jobs');

/** What receiving a proposal needs. */
export interface ParticipantDeps {
  /** This peer's id. */
  self: string;
  /** The access lists. */
  isAllowed(peerId: string): boolean;
  /** Proposal quotas. */
  quota: ProposalQuota;
  /** Replay guard. */
  replay: ReplayGuard;
  /** Nonlinear ops (what this peer can run). */
  nonlinear: NonlinearOps;
  /** Job records. */
  store: JobStore;
  /** Events for the API. */
  events: JobEvents;
  /** The audit log. */
  audit: AuditLog;
  /** Active jobs. */
  live: Map<string, Live>;
  /** The lifecycle's driver. */
  driver: JobDriver;
  /** This peer's policy decision on a job. */
  decide(verified: VerifiedJob): Promise<PolicyDecision>;
}

/** Handles a `propose` from `from`; see the module comment. */
export async function receiveProposal(
  deps: ParticipantDeps,
  value: unknown,
  from: string,
): Promise<JobsReply> {
  deps.quota.admit(from, Date.now()); // before any work: not audited, so a flood writes nothing
  const verified = await verifyOrAudit(deps, value, from);
  const roles = checkProposal(deps, verified, from);
  const { job } = verified.signed;
  const pending = deps.store.list().filter((r) => r.state === 'proposed' && r.id !== job.id);
  deps.quota.checkPending(
    pending.filter((r) => r.signed.job.requester === job.requester).length,
    pending.length,
  );
  const decision = await deps.decide(verified);
  deps.store.create(
    verified.signed,
    roles,
    { [deps.self]: { decision: 'pending' } },
    programSteps(verified.checked),
  );
  deps.live.set(job.id, { verified, abort: new AbortController() });
  deps.driver.auditJob('job.received', verified.signed, { peer: from });
  deps.events.emit({ job: job.id, type: 'state', state: 'proposed' });
  return answer(deps, job.id, decision);
}

/**
 * The checks of a verified proposal, each refusal audited with its reason: sent by its requester,
 * not a replay, requester admitted by the access lists, a role here, ops this peer runs.
 * @returns this peer's roles in the job (the requester's excluded).
 */
function checkProposal(deps: ParticipantDeps, verified: VerifiedJob, from: string): JobRole[] {
  const { job } = verified.signed;
  const refuse = (reason: string, err: Error): never => {
    deps.driver.auditJob('job.decided', verified.signed, {
      peer: from,
      decision: 'refused',
      by: 'check',
      reason,
    });
    throw err;
  };
  if (from !== job.requester)
    refuse(
      'sent by a peer other than its requester',
      new JobFailedError(job.id, `job ${job.id} must come from its requester`),
    );
  try {
    deps.replay.claim(job.id, new Date(job.expires));
  } catch (err) {
    if (err instanceof JobReplayError) refuse(err.message, err);
    throw err;
  }
  if (!deps.isAllowed(job.requester))
    refuse(
      'requester denied by the access lists',
      new PolicyDeniedError(job.id, ['the requester is denied by the access lists']),
    );
  const roles = rolesOf(job, deps.self).filter((r) => r !== 'requester');
  if (roles.length === 0)
    refuse(
      'this peer has no role in the job',
      new JobFailedError(job.id, `this peer has no role in job ${job.id}`),
    );
  try {
    assertRunnable(verified.checked, deps.nonlinear);
  } catch (err) {
    refuse((err as Error).message, err as Error);
  }
  return roles;
}

/** The policy's decision as a lifecycle event and the reply to the requester. */
async function answer(deps: ParticipantDeps, id: string, decision: PolicyDecision): Promise<JobsReply> {
  if (decision.decision === 'refuse') {
    await deps.driver.step(id, {
      type: 'received',
      decision: 'rejected',
      reason: decision.reasons.join('; '),
    });
    throw new PolicyDeniedError(id, decision.reasons);
  }
  if (decision.decision === 'auto') {
    await deps.driver.step(id, { type: 'received', decision: 'approved' });
    return { ok: true, decision: 'approved' };
  }
  deps.store.update(id, { pendingDatasets: decision.datasets });
  log('job %s: awaiting a person for %s', id, decision.datasets.join(', '));
  return { ok: true, decision: 'pending' };
}

async function verifyOrAudit(deps: ParticipantDeps, value: unknown, from: string): Promise<VerifiedJob> {
  try {
    return await verifySignedJob(value);
  } catch (err) {
    const v = value as Partial<SignedJob> | undefined;
    deps.audit.append({
      type: 'job.decided',
      ...(typeof v?.job?.id === 'string' ? { job: v.job.id.slice(0, 64) } : {}),
      ...(typeof v?.job?.requester === 'string' ? { requester: v.job.requester.slice(0, 128) } : {}),
      peer: from,
      decision: 'refused',
      by: 'check',
      reason: (err as Error).message,
    });
    throw err;
  }
}

/** What this peer's policies decide for a verified job. */
export interface DecideDeps {
  /** This peer's id. */
  self: string;
  /** The dataset catalog. */
  datasets: JobDatasets;
  /** The policies. */
  policies: PolicyStore;
  /** The differencing guard. */
  guard: ReleaseGuard;
  /** The privacy budgets. */
  budget: BudgetGuard;
}

/** This peer's policy decision for a verified job. */
export async function decideLocally(deps: DecideDeps, verified: VerifiedJob): Promise<PolicyDecision> {
  const mine = [
    ...new Set(verified.signed.job.inputs.filter((i) => i.owner === deps.self).map((i) => i.dataset)),
  ];
  const info = new Map<string, LocalDatasetInfo>();
  for (const name of mine) {
    const d = await deps.datasets.get(name);
    if (d !== undefined)
      info.set(name, {
        columns: d.signed.description.columns.map((c) => c.name),
        rows: d.signed.description.rows,
        magnitudes: Object.fromEntries(
          d.signed.description.columns.flatMap((c) =>
            c.magnitude === undefined ? [] : [[c.name, c.magnitude]],
          ),
        ),
        bounds: Object.fromEntries(
          d.signed.description.columns.flatMap((c) => (c.bounds === undefined ? [] : [[c.name, c.bounds]])),
        ),
      });
  }
  const earlier = await deps.guard.conflicts(verified.signed.job, verified.checked);
  const spent = await deps.budget.spent(verified.signed.job);
  return evaluatePolicies(verified, {
    dpSpent: (n) => spent.get(n) ?? 0,
    self: deps.self,
    datasets: (n) => info.get(n),
    policy: (n) => deps.policies.get(n),
    differencing: (n) => earlier.get(n),
  });
}
