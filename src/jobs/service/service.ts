/**
 * The job service of one peer: the whole life of a job, as requester and as participant.
 *
 * Requester: `submit` resolves the inputs against their owners' signed descriptions, builds and
 * signs the job, and proposes it to every participant (owners, compute parties, dealer). When every
 * participant approved (by policy, or later by a person, which arrives as a `decision`), it sends
 * `start` to all and joins the MPC session as the output recipient; the result is stored on this
 * peer only. A refusal, rejection, expiry, cancellation or failure ends the job everywhere (`end`)
 * and nothing is released.
 *
 * Participant: a `propose` is verified (signature, clock, program, hash), checked against replay
 * and the access lists, then against this peer's dataset policies, all before any share moves;
 * then approved, refused, or left pending for a person (`approve` / `reject`). On `start` it joins
 * the session, secret-shares its inputs, computes, and releases output shares to the requester only.
 *
 * Every step is recorded in the job store, emitted as an event for the API, and appended to the
 * audit log (never a value).
 */
import { logger } from '../../util/log.js';
import type { LocalDataset, PolicySummary, SignedDatasetDescription } from '../../node/types.js';
import { AuditExchange } from '../audit/exchange.js';
import type { AuditLog } from '../audit/log.js';
import { openAuditLog } from '../audit/open.js';
import type { AuditEvent } from '../audit/events.js';
import { InvalidTransitionError, JobFailedError, JobReplayError, PolicyDeniedError } from '../errors.js';
import type { NonlinearOps } from '../executor/context.js';
import { ENGINE_NONLINEAR } from '../executor/engine-nonlinear.js';
import { assertRunnable } from '../executor/registry.js';
import { programSteps } from '../executor/run.js';
import { participants, rolesOf, sessionParties } from '../job/parties.js';
import { createJob, signJob, type JobSigner } from '../job/sign.js';
import type { SignedJob } from '../job/types.js';
import { verifySignedJob, type VerifiedJob } from '../job/verify.js';
import { evaluatePolicies, type LocalDatasetInfo, type PolicyDecision } from '../policy/check.js';
import { ReleaseLedger } from '../policy/releases.js';
import { PolicyStore } from '../policy/store.js';
import { policySummary, type DatasetPolicy } from '../policy/types.js';
import { ReplayGuard } from '../replay.js';
import { isFinal, type JobState } from '../state.js';
import { JobStore, type ApprovalState, type JobRecord } from '../store.js';
import { ProposalQuota } from './quota.js';
import { loadJobsConfig, type JobsConfig } from './config.js';
import { JobEvents } from './events.js';
import { errorReply, parseMessage, type JobsMessage, type JobsReply } from './messages.js';
import { chooseComputeParties, resolveInputs, type JobRequest } from './request.js';
import { ReleaseGuard } from './release-guard.js';
import { runJobSession, SessionFailure } from './run-session.js';
import type { JobsTransport, OpenChannel } from './transport.js';

const log = logger('jobs');

/** How often finished job records past the retention are deleted. */
const PRUNE_EVERY_MS = 3_600_000;

/** How long a party that does not answer a probe is given, after a session failed (ms). */
export const PROBE_TIMEOUT_MS = 2_000;

/** Session attempts per job: one retry when a session fails but every party still answers. */
export const MAX_SESSION_ATTEMPTS = 2;

/** What the service needs of the peer's dataset catalog. */
export interface JobDatasets {
  /** A verified description from its owner. */
  show(owner: string, name: string, options?: { signal?: AbortSignal }): Promise<SignedDatasetDescription>;
  /** A local dataset. */
  get(name: string): Promise<LocalDataset | undefined>;
  /** A local dataset's values, row-major. */
  readValues(name: string): Promise<{ columns: string[]; rows: number; values: Float64Array }>;
  /**
   * A local dataset's sorted row fingerprints and their digest, for the differencing guard;
   * optional: without it, no guard (an in-memory test network).
   */
  rowPrints?(name: string): Promise<{ prints: BigUint64Array; digest: string }>;
  /** Prints of a local dataset's rows projected on `columns`, or undefined when it lacks one. */
  projectedPrints?(
    name: string,
    columns: readonly string[],
  ): Promise<{ prints: BigUint64Array; digest: string } | undefined>;
  /** The local datasets (to publish their policy summaries at start); optional. */
  list?(): Promise<LocalDataset[]>;
  /**
   * Re-signs a local dataset's description with a new policy summary; optional: without it, the
   * service publishes no summaries.
   */
  setPolicySummary?(name: string, summary: PolicySummary): Promise<unknown>;
}

/** What {@link JobService} is built from. */
export interface JobServiceInit {
  /** This peer's id. */
  self: string;
  /** Signs jobs with this peer's key. */
  signer: JobSigner;
  /** Messages to other peers. */
  transport: JobsTransport;
  /** MPC channels. */
  openChannel: OpenChannel;
  /** The dataset catalog. */
  datasets: JobDatasets;
  /** The access lists. */
  isAllowed(peerId: string): boolean;
  /** `<dataDir>/jobs` (records, policies, replay guard, config). */
  jobsDir: string;
  /** The audit log file. */
  auditPath: string;
  /** Settings over `<jobsDir>/config.json`. */
  config?: Partial<JobsConfig>;
  /** Nonlinear ops (default the engine's). */
  nonlinear?: NonlinearOps;
}

interface Live {
  verified: VerifiedJob;
  /** Aborts the job (cancel, end, stop). */
  abort: AbortController;
  /** Aborts the current session attempt only. */
  current?: AbortController;
  /** The current session attempt (0, 1...). */
  attempt?: number;
  /** When the proposals went out (requester), for the approval time. */
  proposedAt?: number;
  /** Digests of this owner's datasets' rows when their release was recorded. */
  digests?: Map<string, string>;
}

/** A peer's job service; see the module comment. */
export class JobService {
  /** The job records. */
  readonly store: JobStore;
  /** Dataset policies. */
  readonly policies: PolicyStore;
  /** The audit log. */
  readonly audit: AuditLog;
  /** The exchange of signed audit heads with the peers of jobs (src/jobs/audit/exchange.ts). */
  readonly auditHeads: AuditExchange;
  /** Events for the API. */
  readonly events = new JobEvents();
  /** Settings. */
  readonly config: JobsConfig;
  private readonly replay: ReplayGuard;
  private readonly guard: ReleaseGuard;
  private readonly live = new Map<string, Live>();
  private readonly quota: ProposalQuota;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly nonlinear: NonlinearOps;

  constructor(private readonly init: JobServiceInit) {
    this.store = new JobStore(init.jobsDir);
    this.policies = new PolicyStore(init.jobsDir, {
      hasDataset: async (name) => (await init.datasets.get(name)) !== undefined,
    });
    this.replay = new ReplayGuard(init.jobsDir);
    this.guard = new ReleaseGuard(init.self, init.datasets, this.policies, new ReleaseLedger(init.jobsDir));
    this.audit = openAuditLog({
      path: init.auditPath,
      self: init.self,
      signer: init.signer,
      jobsDir: init.jobsDir,
    });
    this.auditHeads = new AuditExchange({
      audit: this.audit,
      self: init.self,
      transport: init.transport,
      timeoutMs: () => this.config.proposeMs,
    });
    this.config = loadJobsConfig(init.jobsDir, init.config);
    this.quota = new ProposalQuota(this.config.quotas);
    this.nonlinear = init.nonlinear ?? ENGINE_NONLINEAR;
    init.transport.setHandler((m, from) => this.handle(m, from));
    this.sweeper = setInterval(() => this.sweep(), this.config.sweepMs);
    this.sweeper.unref();
    // Jobs that were mid-flight when the daemon stopped cannot resume.
    for (const r of this.store.list()) {
      if (!isFinal(r.state))
        this.setState(r.id, 'failed', 'the peer restarted while the job was in progress');
    }
  }

  /** This peer's id. */
  get self(): string {
    return this.init.self;
  }

  /** Stops timers and aborts running sessions, then runs the hooks given to {@link JobService.onStop}. */
  stop(): void {
    clearInterval(this.sweeper);
    for (const l of this.live.values()) l.abort.abort(new Error('the peer is stopping'));
    for (const hook of this.stopHooks.splice(0)) hook();
  }

  private readonly stopHooks: (() => void)[] = [];

  /** Runs `hook` when the service stops (e.g. to unsubscribe from the peer). */
  onStop(hook: () => void): void {
    this.stopHooks.push(hook);
  }

  // ---------------------------------------------------------------- policies

  /** The summary of the policy that applies to `dataset`, as its description publishes it. */
  policySummary(dataset: string): PolicySummary {
    return policySummary(this.policies.effective(dataset), this.policies.get(dataset) === undefined);
  }

  /**
   * Sets (replaces) a dataset's policy, audits it, and publishes its summary in the dataset's
   * signed description when the dataset is local. `published` is false when that failed (the
   * policy is set and enforced all the same; the error is logged).
   * @throws PolicyValidationError when invalid; PolicyDatasetNotFoundError when the dataset is not local.
   */
  async setPolicy(dataset: string, value: unknown): Promise<{ policy: DatasetPolicy; published: boolean }> {
    const policy = await this.policies.set(dataset, value);
    this.audit.append({ type: 'policy.changed', dataset, reason: 'set' });
    return { policy, published: await this.publishPolicySummary(dataset) };
  }

  /** Removes a dataset's policy (the default applies again), audits and publishes it like {@link setPolicy}. */
  async removePolicy(dataset: string): Promise<{ removed: boolean; published: boolean }> {
    const removed = await this.policies.remove(dataset);
    if (removed) this.audit.append({ type: 'policy.changed', dataset, reason: 'removed' });
    return { removed, published: await this.publishPolicySummary(dataset) };
  }

  /**
   * Publishes the effective policy's summary of one local dataset (a no-op for a dataset that is
   * not local, or when the description already says it). False when re-signing failed (logged).
   */
  async publishPolicySummary(dataset: string): Promise<boolean> {
    const ds = this.init.datasets;
    if (ds.setPolicySummary === undefined) return false;
    try {
      // called synchronously with the summary of now, so publications land in call order
      await ds.setPolicySummary(dataset, this.policySummary(dataset));
      return true;
    } catch (err) {
      if ((err as Error).name === 'DatasetNotFoundError') return true; // not local: nothing to publish
      log.error('dataset %s: cannot publish its policy summary: %s', dataset, (err as Error).message);
      return false;
    }
  }

  /** Publishes every local dataset's policy summary (at start, so older descriptions heal). */
  async publishPolicySummaries(): Promise<void> {
    const list = this.init.datasets.list;
    if (list === undefined || this.init.datasets.setPolicySummary === undefined) return;
    let datasets: LocalDataset[];
    try {
      datasets = await list.call(this.init.datasets);
    } catch (err) {
      log.error('cannot list the local datasets: %s', (err as Error).message);
      return;
    }
    for (const d of datasets) await this.publishPolicySummary(d.signed.description.name);
  }

  // ---------------------------------------------------------------- requester

  /**
   * Builds, signs and proposes a job; resolves once every participant answered the proposal (the
   * job may then be pending a person's approval, running, or already rejected).
   * @throws on a bad request (unknown dataset, column, program error, op not available).
   */
  async submit(request: JobRequest, options: { signal?: AbortSignal } = {}): Promise<JobRecord> {
    const t0 = performance.now();
    const descriptions = await Promise.all(
      request.inputs.map((i) => this.init.datasets.show(i.owner, i.dataset, { signal: options.signal })),
    );
    const inputs = resolveInputs(request.inputs, descriptions);
    const computeParties = chooseComputeParties(
      request,
      inputs.map((i) => i.owner),
      this.config.computeParties,
    );
    const job = createJob({
      requester: this.self,
      program: request.program,
      inputs,
      computeParties,
      protocol: request.protocol,
      dealer: request.dealer,
      ttlMs: request.ttlMs,
    });
    const signed = await signJob(job, this.init.signer);
    const verified = await verifySignedJob(signed);
    assertRunnable(verified.checked, this.nonlinear);
    this.replay.claim(job.id, new Date(job.expires));
    const discoveryMs = performance.now() - t0;

    const others = participants(job).filter((p) => p !== this.self);
    const approvals: Record<string, ApprovalState> = Object.fromEntries(
      participants(job).map((p) => [p, { decision: 'pending' }]),
    );
    this.store.create(signed, rolesOf(job, this.self), approvals, programSteps(verified.checked));
    this.store.update(job.id, {
      stats: { ms: { discovery: discoveryMs }, bytesSent: 0, bytesReceived: 0, rounds: 0 },
    });
    this.live.set(job.id, { verified, abort: new AbortController(), proposedAt: performance.now() });
    this.auditJob('job.requested', signed, { peer: this.self });
    this.events.emit({ job: job.id, type: 'state', state: 'proposed' });
    log('job %s: proposed to %d participant(s)', job.id, others.length);

    if (approvals[this.self] !== undefined) {
      const decided = await this.decideLocally(verified, this.self);
      if (decided.decision !== 'refuse')
        this.setApproval(
          job.id,
          this.self,
          decided.decision === 'auto' ? { decision: 'approved', by: 'policy' } : { decision: 'pending' },
        );
      else
        this.setApproval(job.id, this.self, {
          decision: 'rejected',
          by: 'policy',
          reason: decided.reasons.join('; '),
        });
    }
    await Promise.all(
      others.map(async (p) => {
        let reply: JobsReply;
        try {
          reply = await this.init.transport.request(
            p,
            { type: 'propose', signed },
            { signal: AbortSignal.timeout(this.config.proposeMs) },
          );
        } catch (err) {
          this.fail(job.id, `participant ${p} is unreachable: ${(err as Error).message}`, p);
          return;
        }
        if (reply.ok) {
          this.setApproval(
            job.id,
            p,
            reply.decision === 'approved' ? { decision: 'approved', by: 'policy' } : { decision: 'pending' },
          );
        } else {
          this.setApproval(job.id, p, {
            decision: 'rejected',
            by: reply.error.name === 'PolicyDeniedError' ? 'policy' : 'check',
            reason: reply.error.message,
          });
        }
      }),
    );
    this.evaluate(job.id);
    return this.store.get(job.id);
  }

  /** On the requester: ends the job if anyone rejected, starts it when everyone approved. */
  private evaluate(id: string): void {
    const r = this.store.find(id);
    if (r === undefined || r.state !== 'proposed' || !r.roles.includes('requester')) return;
    const rejected = Object.entries(r.approvals).find(([, a]) => a.decision === 'rejected');
    if (rejected !== undefined) {
      const [peer, a] = rejected;
      this.endEverywhere(
        id,
        'rejected',
        `rejected by ${peer}${a.reason === undefined ? '' : `: ${a.reason}`}`,
        peer,
      );
      return;
    }
    if (Object.values(r.approvals).every((a) => a.decision === 'approved')) void this.startJob(id);
  }

  private async startJob(id: string): Promise<void> {
    try {
      await this.startJobUnsafe(id);
    } catch (err) {
      log.error('job %s: could not start: %s', id, (err as Error).message);
      this.fail(id, `could not start: ${(err as Error).message}`);
    }
  }

  private async startJobUnsafe(id: string): Promise<void> {
    const r = this.store.get(id);
    const job = r.signed.job;
    if (Date.parse(job.expires) <= Date.now()) {
      this.endEverywhere(id, 'expired', 'the job expired before every participant approved');
      return;
    }
    const proposedAt = this.live.get(id)?.proposedAt;
    const stats = r.stats ?? { ms: {}, bytesSent: 0, bytesReceived: 0, rounds: 0 };
    if (proposedAt !== undefined) {
      this.store.update(id, {
        stats: { ...stats, ms: { ...stats.ms, approval: performance.now() - proposedAt } },
      });
    }
    this.setState(id, 'approved');
    const others = participants(job).filter((p) => p !== this.self);
    const run = this.runLocal(id);
    await Promise.all(
      others.map(async (p) => {
        try {
          const reply = await this.init.transport.request(
            p,
            { type: 'start', jobId: id },
            { signal: AbortSignal.timeout(this.config.proposeMs) },
          );
          if (!reply.ok) throw new Error(reply.error.message);
        } catch (err) {
          this.fail(id, `participant ${p} could not start: ${(err as Error).message}`, p);
        }
      }),
    );
    await run;
  }

  // ---------------------------------------------------------------- participant

  /** Handles a message from `from` (authenticated by the transport). */
  async handle(value: unknown, from: string): Promise<JobsReply> {
    let message: JobsMessage;
    try {
      message = parseMessage(value);
    } catch (err) {
      return errorReply(err);
    }
    try {
      switch (message.type) {
        case 'propose':
          return await this.onPropose(message.signed, from);
        case 'decision':
          return this.onDecision(message, from);
        case 'start':
          return this.onStart(message.jobId, from, message.attempt ?? 0);
        case 'end':
          return this.onEnd(message, from);
        case 'probe':
          return { ok: true };
        case 'audit-head':
          return this.auditHeads.receive(message, from, this.store.find(message.jobId));
        case 'audit-held':
          return this.auditHeads.answer(from);
      }
    } catch (err) {
      log.error('message %s from %s: %s', message.type, from, (err as Error).message);
      return errorReply(err);
    }
  }

  private async onPropose(value: unknown, from: string): Promise<JobsReply> {
    this.quota.admit(from, Date.now()); // before any work: not audited, so a flood writes nothing
    let verified: VerifiedJob;
    try {
      verified = await verifySignedJob(value);
    } catch (err) {
      const v = value as Partial<SignedJob> | undefined;
      this.audit.append({
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
    const { job } = verified.signed;
    const refuse = (reason: string, err: Error): never => {
      this.auditJob('job.decided', verified.signed, { peer: from, decision: 'refused', by: 'check', reason });
      throw err;
    };
    if (from !== job.requester)
      refuse(
        'sent by a peer other than its requester',
        new JobFailedError(job.id, `job ${job.id} must come from its requester`),
      );
    try {
      this.replay.claim(job.id, new Date(job.expires));
    } catch (err) {
      if (err instanceof JobReplayError) refuse(err.message, err);
      throw err;
    }
    if (!this.init.isAllowed(job.requester))
      refuse(
        'requester denied by the access lists',
        new PolicyDeniedError(job.id, ['the requester is denied by the access lists']),
      );
    const roles = rolesOf(job, this.self).filter((r) => r !== 'requester');
    if (roles.length === 0)
      refuse(
        'this peer has no role in the job',
        new JobFailedError(job.id, `this peer has no role in job ${job.id}`),
      );
    try {
      assertRunnable(verified.checked, this.nonlinear);
    } catch (err) {
      refuse((err as Error).message, err as Error);
    }

    const pending = this.store.list().filter((r) => r.state === 'proposed' && r.id !== job.id);
    this.quota.checkPending(
      pending.filter((r) => r.signed.job.requester === job.requester).length,
      pending.length,
    );
    const decision = await this.decideLocally(verified, this.self);
    this.store.create(
      verified.signed,
      roles,
      { [this.self]: { decision: 'pending' } },
      programSteps(verified.checked),
    );
    this.live.set(job.id, { verified, abort: new AbortController() });
    this.auditJob('job.received', verified.signed, { peer: from });
    this.events.emit({ job: job.id, type: 'state', state: 'proposed' });
    if (decision.decision === 'refuse') {
      const reason = decision.reasons.join('; ');
      this.setApproval(job.id, this.self, { decision: 'rejected', by: 'policy', reason });
      this.setState(job.id, 'rejected', `refused by policy: ${reason}`, {
        error: { name: 'PolicyDeniedError', message: reason },
      });
      throw new PolicyDeniedError(job.id, decision.reasons);
    }
    if (decision.decision === 'auto') {
      this.setApproval(job.id, this.self, { decision: 'approved', by: 'policy' });
      return { ok: true, decision: 'approved' };
    }
    this.store.update(job.id, { pendingDatasets: decision.datasets });
    log('job %s: awaiting a person for %s', job.id, decision.datasets.join(', '));
    return { ok: true, decision: 'pending' };
  }

  /** Policy decision of this peer for a verified job. */
  private async decideLocally(verified: VerifiedJob, self: string): Promise<PolicyDecision> {
    const mine = [
      ...new Set(verified.signed.job.inputs.filter((i) => i.owner === self).map((i) => i.dataset)),
    ];
    const info = new Map<string, LocalDatasetInfo>();
    for (const name of mine) {
      const d = await this.init.datasets.get(name);
      if (d !== undefined)
        info.set(name, {
          columns: d.signed.description.columns.map((c) => c.name),
          rows: d.signed.description.rows,
          magnitudes: Object.fromEntries(
            d.signed.description.columns.flatMap((c) =>
              c.magnitude === undefined ? [] : [[c.name, c.magnitude]],
            ),
          ),
        });
    }
    const earlier = await this.guard.conflicts(verified.signed.job, verified.checked);
    return evaluatePolicies(verified, {
      self,
      datasets: (n) => info.get(n),
      policy: (n) => this.policies.get(n),
      differencing: (n) => earlier.get(n),
    });
  }

  private onDecision(m: Extract<JobsMessage, { type: 'decision' }>, from: string): JobsReply {
    const r = this.store.get(m.jobId);
    if (!r.roles.includes('requester'))
      throw new JobFailedError(m.jobId, 'this peer is not the requester of that job');
    if (!(from in r.approvals)) throw new JobFailedError(m.jobId, `${from} is not a participant of that job`);
    this.setApproval(m.jobId, from, {
      decision: m.decision,
      by: 'person',
      ...(m.reason !== undefined ? { reason: m.reason } : {}),
    });
    this.evaluate(m.jobId);
    return { ok: true };
  }

  private onStart(id: string, from: string, attempt = 0): JobsReply {
    const r = this.store.get(id);
    if (from !== r.signed.job.requester) throw new JobFailedError(id, 'only the requester starts a job');
    if (r.approvals[this.self]?.decision !== 'approved')
      throw new JobFailedError(id, `job ${id} is not approved on ${this.self}`);
    if (attempt > 0) {
      const live = this.live.get(id);
      if (r.state !== 'running' || live === undefined)
        throw new InvalidTransitionError(id, r.state, 'running (retry)');
      if ((live.attempt ?? 0) < attempt) void this.runLocal(id, attempt);
      return { ok: true };
    }
    if (r.state !== 'proposed') throw new InvalidTransitionError(id, r.state, 'approved');
    if (Date.parse(r.signed.job.expires) <= Date.now()) {
      this.setState(id, 'expired', 'the job expired before it started');
      throw new JobFailedError(id, `job ${id} expired`);
    }
    this.setState(id, 'approved');
    void this.runLocal(id);
    return { ok: true };
  }

  private onEnd(m: Extract<JobsMessage, { type: 'end' }>, from: string): JobsReply {
    const r = this.store.get(m.jobId);
    const job = r.signed.job;
    if (r.roles.includes('requester')) {
      if (!participants(job).includes(from))
        throw new JobFailedError(m.jobId, `${from} is not a participant of that job`);
      this.endEverywhere(m.jobId, m.state, m.reason, m.party ?? from, from);
    } else {
      if (from !== job.requester)
        throw new JobFailedError(m.jobId, 'only the requester ends a job for everyone');
      this.finishLocal(m.jobId, m.state, m.reason, m.party);
    }
    return { ok: true };
  }

  // ---------------------------------------------------------------- people

  /** Jobs that wait for this peer's person to decide. */
  pending(): JobRecord[] {
    return this.store
      .list()
      .filter((r) => r.state === 'proposed' && r.approvals[this.self]?.decision === 'pending');
  }

  /**
   * A person approves job `id` on this peer.
   * @throws when the job is not pending here, or the requester cannot be told.
   */
  async approve(id: string): Promise<JobRecord> {
    const r = this.pendingRecord(id);
    this.setApproval(id, this.self, { decision: 'approved', by: 'person' });
    this.auditJob('job.decided', r.signed, { decision: 'approved', by: 'person' });
    await this.tellRequester(r, { type: 'decision', jobId: id, decision: 'approved' });
    return this.store.get(id);
  }

  /** A person rejects job `id` on this peer; nothing is released. */
  async reject(id: string, reason = 'rejected by the data owner'): Promise<JobRecord> {
    const r = this.pendingRecord(id);
    this.setApproval(id, this.self, { decision: 'rejected', by: 'person', reason });
    this.auditJob('job.decided', r.signed, { decision: 'rejected', by: 'person', reason });
    if (r.roles.includes('requester')) this.evaluate(id);
    else {
      this.setState(id, 'rejected', `rejected here: ${reason}`, {
        error: { name: 'JobRejected', message: reason, party: this.self },
      });
      await this.tellRequester(r, { type: 'decision', jobId: id, decision: 'rejected', reason });
    }
    return this.store.get(id);
  }

  /** Cancels job `id` (requester: everywhere; participant: withdraws, which ends it everywhere). */
  async cancel(id: string, reason = 'cancelled'): Promise<JobRecord> {
    const r = this.store.get(id);
    if (isFinal(r.state)) throw new InvalidTransitionError(id, r.state, 'cancelled');
    if (r.roles.includes('requester'))
      this.endEverywhere(id, 'cancelled', `cancelled by the requester: ${reason}`, this.self);
    else {
      this.finishLocal(id, 'cancelled', `cancelled here: ${reason}`, this.self);
      await this.tellRequester(r, {
        type: 'end',
        jobId: id,
        state: 'cancelled',
        reason: `cancelled by ${this.self}: ${reason}`,
        party: this.self,
      }).catch((err: Error) =>
        log.error('job %s: could not tell the requester of the cancellation: %s', id, err.message),
      );
    }
    return this.store.get(id);
  }

  private pendingRecord(id: string): JobRecord {
    const r = this.store.get(id);
    if (r.state !== 'proposed' || r.approvals[this.self]?.decision !== 'pending') {
      throw new InvalidTransitionError(
        id,
        `${r.state} (${r.approvals[this.self]?.decision ?? 'no decision due here'})`,
        'a decision',
      );
    }
    if (Date.parse(r.signed.job.expires) <= Date.now()) {
      this.setState(id, 'expired', 'the job expired before it was decided');
      throw new InvalidTransitionError(id, 'expired', 'a decision');
    }
    return r;
  }

  private async tellRequester(r: JobRecord, message: JobsMessage): Promise<void> {
    if (r.roles.includes('requester')) {
      this.evaluate(r.id);
      return;
    }
    const reply = await this.init.transport.request(r.signed.job.requester, message, {
      signal: AbortSignal.timeout(this.config.proposeMs),
    });
    if (!reply.ok)
      throw new JobFailedError(r.id, `the requester refused the message: ${reply.error.message}`);
  }

  // ---------------------------------------------------------------- running

  private async runLocal(id: string, attempt = 0): Promise<void> {
    const r = this.store.get(id);
    const live = this.liveOf(r);
    const { job } = live.verified.signed;
    if (attempt === 0) {
      try {
        this.setState(id, 'running');
      } catch (err) {
        if (err instanceof InvalidTransitionError) return; // ended meanwhile
        throw err;
      }
    } else if (r.state !== 'running') return;
    live.current?.abort(new Error(`superseded by attempt ${attempt + 1}`));
    const current = new AbortController();
    live.current = current;
    live.attempt = attempt;
    try {
      if (attempt === 0) live.digests = await this.guard.beforeRelease(job, live.verified.checked);
      else await this.guard.assertUnchanged(job, live.digests ?? new Map());
      const values = await this.loadInputs(live.verified);
      const out = await runJobSession({
        verified: live.verified,
        self: this.self,
        sessionId: attempt === 0 ? id : `${id}.${attempt}`,
        openChannel: this.init.openChannel,
        timeouts: {
          connectMs: this.config.connectMs,
          stepMs: this.config.stepMs,
          sessionMs: this.config.sessionMs,
        },
        values,
        signal: AbortSignal.any([live.abort.signal, current.signal]),
        nonlinear: this.nonlinear,
        onProgress: (progress) => {
          this.store.update(id, { progress });
          this.events.emit({ job: id, type: 'progress', progress });
        },
      });
      if (this.store.get(id).state !== 'running' || live.attempt !== attempt) return; // ended or superseded
      const before = this.store.get(id).stats;
      const ms = { ...before?.ms, ...out.stats.ms };
      // total: from the proposal to the result, the wait for approvals included
      ms.total = (ms.discovery ?? 0) + (ms.approval ?? 0) + (out.stats.ms.total ?? 0);
      const stats = { ...out.stats, ms };
      const shapes = live.verified.checked.outputs.map((o) => ({
        name: o.name,
        shape: o.type.shape as number[],
      }));
      if (job.requester === this.self) {
        this.store.update(id, { result: out.outputs ?? [], stats });
        this.auditJob('job.released', live.verified.signed, {
          releasedTo: this.self,
          outputs: shapes,
          reason: 'result received',
        });
      } else {
        this.store.update(id, { stats });
        this.auditJob('job.released', live.verified.signed, { releasedTo: job.requester, outputs: shapes });
      }
      this.live.delete(id);
      this.setState(id, 'done');
    } catch (err) {
      await this.afterSessionFailure(id, live, attempt, err);
    }
  }

  /**
   * A session attempt failed on this peer. When every other party still answers (a transport
   * hiccup, not a disappearance), the requester starts one more attempt and participants wait for
   * it; otherwise the job fails, naming the parties that no longer answer.
   */
  private async afterSessionFailure(id: string, live: Live, attempt: number, err: unknown): Promise<void> {
    const stale = (): boolean => isFinal(this.store.get(id).state) || live.attempt !== attempt;
    if (stale()) return;
    const { job } = live.verified.signed;
    const gone = await this.unreachableParties(job, err);
    if (stale()) return;
    const party = gone[0] ?? (err instanceof SessionFailure ? err.party : undefined);
    const message =
      gone.length > 0
        ? `party ${gone.join(', ')} disappeared: ${(err as Error).message}`
        : (err as Error).message;
    const retry =
      err instanceof SessionFailure &&
      gone.length === 0 &&
      attempt + 1 < MAX_SESSION_ATTEMPTS &&
      !live.abort.signal.aborted;
    if (retry) {
      if (job.requester === this.self) {
        const reason = `retrying the session (attempt ${attempt + 2} of ${MAX_SESSION_ATTEMPTS}) after: ${message}`;
        this.audit.append({ type: 'job.state', job: id, state: 'running', reason });
        this.events.emit({ job: id, type: 'state', state: 'running', reason });
        log('job %s: %s', id, reason);
        void this.restart(id, attempt + 1);
      } else {
        const timer = setTimeout(
          () => {
            if (!stale()) this.failHere(id, live, message, party);
          },
          2 * PROBE_TIMEOUT_MS + this.config.proposeMs,
        );
        timer.unref();
      }
      return;
    }
    this.failHere(id, live, message, party);
  }

  /** Fails the job on this peer and tells the others (requester: everyone; participant: the requester). */
  private failHere(id: string, live: Live, message: string, party: string | undefined): void {
    const { job } = live.verified.signed;
    if (job.requester === this.self) {
      this.endEverywhere(id, 'failed', message, party);
      return;
    }
    this.finishLocal(id, 'failed', message, party);
    this.tellRequester(this.store.get(id), {
      type: 'end',
      jobId: id,
      state: 'failed',
      reason: `failed on ${this.self}: ${message}`,
      ...(party ? { party } : {}),
    }).catch((err: Error) =>
      log.error('job %s: could not tell the requester of the failure: %s', id, err.message),
    );
  }

  /** On the requester: starts attempt `attempt` of the session everywhere. */
  private async restart(id: string, attempt: number): Promise<void> {
    const job = this.store.get(id).signed.job;
    const run = this.runLocal(id, attempt);
    await Promise.all(
      participants(job)
        .filter((p) => p !== this.self)
        .map(async (p) => {
          try {
            const reply = await this.init.transport.request(
              p,
              { type: 'start', jobId: id, attempt },
              { signal: AbortSignal.timeout(this.config.proposeMs) },
            );
            if (!reply.ok) throw new Error(reply.error.message);
          } catch (err) {
            this.fail(id, `participant ${p} could not restart: ${(err as Error).message}`, p);
          }
        }),
    );
    await run;
  }

  /** After a session failure: the other session parties that no longer answer (probed in parallel). */
  private async unreachableParties(job: SignedJob['job'], err: unknown): Promise<string[]> {
    if (!(err instanceof SessionFailure)) return [];
    const others = sessionParties(job).filter((p) => p !== this.self);
    const answers = await Promise.all(
      others.map((p) =>
        this.init.transport
          .request(p, { type: 'probe', jobId: job.id }, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
          .then(
            () => true,
            () => false,
          ),
      ),
    );
    return others.filter((_, i) => !answers[i]);
  }

  private async loadInputs(verified: VerifiedJob): Promise<Record<string, Float64Array>> {
    const out: Record<string, Float64Array> = {};
    for (const inp of verified.signed.job.inputs.filter((i) => i.owner === this.self)) {
      const data = await this.init.datasets.readValues(inp.dataset);
      if (data.rows !== inp.rows)
        throw new JobFailedError(
          verified.signed.job.id,
          `dataset ${inp.dataset} changed: ${data.rows} rows, the job says ${inp.rows}`,
        );
      const idx = inp.columns.map((c) => data.columns.indexOf(c));
      const p = data.columns.length;
      const v = new Float64Array(inp.rows * idx.length);
      for (let i = 0; i < inp.rows; i++)
        for (let j = 0; j < idx.length; j++) v[i * idx.length + j] = data.values[i * p + idx[j]!]!;
      out[inp.name] = v;
    }
    return out;
  }

  private liveOf(r: JobRecord): Live {
    const l = this.live.get(r.id);
    if (l === undefined) throw new JobFailedError(r.id, `job ${r.id} is not active on this peer`);
    return l;
  }

  // ---------------------------------------------------------------- endings

  /** Fails the job here and everywhere (requester) or here and at the requester (participant). */
  private fail(id: string, reason: string, party?: string): void {
    const r = this.store.find(id);
    if (r === undefined || isFinal(r.state)) return;
    if (r.roles.includes('requester')) this.endEverywhere(id, 'failed', reason, party);
    else this.finishLocal(id, 'failed', reason, party);
  }

  /** On the requester: ends the job locally and tells every participant (but `except`). */
  private endEverywhere(
    id: string,
    state: 'rejected' | 'cancelled' | 'expired' | 'failed',
    reason: string,
    party?: string,
    except?: string,
  ): void {
    const r = this.store.find(id);
    if (r === undefined || isFinal(r.state)) return;
    this.finishLocal(id, state, reason, party);
    for (const p of participants(r.signed.job)) {
      if (p === this.self || p === except) continue;
      this.init.transport
        .request(
          p,
          { type: 'end', jobId: id, state, reason, ...(party !== undefined ? { party } : {}) },
          { signal: AbortSignal.timeout(this.config.proposeMs) },
        )
        .catch((err: Error) => log('job %s: could not tell %s that it %s: %s', id, p, state, err.message));
    }
  }

  /** Ends the job on this peer: aborts its session, records the final state. */
  private finishLocal(
    id: string,
    state: 'rejected' | 'cancelled' | 'expired' | 'failed',
    reason: string,
    party?: string,
  ): void {
    const r = this.store.find(id);
    if (r === undefined || isFinal(r.state)) return;
    this.live.get(id)?.abort.abort(new JobFailedError(id, reason, party));
    this.live.delete(id);
    this.setState(id, state, reason, {
      error: { name: stateErrorName(state), message: reason, ...(party !== undefined ? { party } : {}) },
    });
  }

  private lastPrune = 0;

  private sweep(): void {
    const now = Date.now();
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      const gone = this.store.prune(new Date(now - this.config.retainDays * 86_400_000));
      if (gone.length > 0)
        log('pruned %d job records older than %d days', gone.length, this.config.retainDays);
    }
    for (const r of this.store.list()) {
      if ((r.state === 'proposed' || r.state === 'approved') && Date.parse(r.signed.job.expires) <= now) {
        if (r.roles.includes('requester'))
          this.endEverywhere(r.id, 'expired', 'the job expired before it started');
        else this.finishLocal(r.id, 'expired', 'the job expired before it started');
      }
    }
  }

  // ---------------------------------------------------------------- bookkeeping

  private setState(id: string, state: JobState, reason?: string, patch: Partial<JobRecord> = {}): void {
    const r = this.store.transition(id, state, reason, patch);
    this.events.emit({ job: id, type: 'state', state, ...(reason !== undefined ? { reason } : {}) });
    this.audit.append({
      type: 'job.state',
      job: id,
      state,
      ...(reason !== undefined ? { reason } : {}),
      ...(r.error?.party ? { peer: r.error.party } : {}),
    });
    if (isFinal(state)) void this.auditHeads.share(r); // the job's peers keep each other's heads
    log('job %s: %s%s', id, state, reason === undefined ? '' : ` (${reason})`);
  }

  private setApproval(id: string, peer: string, a: ApprovalState): void {
    const r = this.store.get(id);
    this.store.update(id, { approvals: { ...r.approvals, [peer]: { ...a, at: new Date().toISOString() } } });
    this.events.emit({
      job: id,
      type: 'decision',
      decision: { peer, decision: a.decision, ...(a.reason !== undefined ? { reason: a.reason } : {}) },
    });
    if (peer === this.self && a.decision !== 'pending' && a.by === 'policy') {
      this.auditJob('job.decided', r.signed, {
        decision: a.decision === 'approved' ? 'approved' : 'refused',
        by: 'policy',
        ...(a.reason ? { reason: a.reason } : {}),
      });
    }
  }

  private auditJob(type: AuditEvent['type'], signed: SignedJob, extra: Partial<AuditEvent>): void {
    const { job } = signed;
    this.audit.append({
      type,
      job: job.id,
      requester: job.requester,
      programHash: job.programHash,
      datasets: job.inputs.map((i) => `${i.owner}/${i.dataset}`),
      ...extra,
    });
  }
}

function stateErrorName(state: string): string {
  return (
    { rejected: 'JobRejected', cancelled: 'JobCancelled', expired: 'JobExpired', failed: 'JobFailed' }[
      state
    ] ?? 'JobEnded'
  );
}
