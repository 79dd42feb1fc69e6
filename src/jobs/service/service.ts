/**
 * The job service of one peer: the whole life of a job, as requester and as participant.
 *
 * Requester: `submit` (requester.ts) resolves the inputs against their owners' signed descriptions,
 * builds and signs the job, and proposes it to every participant (owners, compute parties, dealer).
 * When every participant approved (by policy, or later by a person, which arrives as a `decision`),
 * it sends `start` to all and joins the MPC session as the output recipient; the result is stored
 * on this peer only. A refusal, rejection, expiry, cancellation or failure ends the job everywhere
 * (`end`) and nothing is released.
 *
 * Participant: a `propose` (participant.ts) is verified (signature, clock, program, hash), checked
 * against replay and the access lists, then against this peer's dataset policies, all before any
 * share moves; then approved, refused, or left pending for a person (`approve` / `reject`). On
 * `start` it joins the session (runner.ts), secret-shares its inputs, computes, and releases output
 * shares to the requester only.
 *
 * What happens next to a job is decided by one pure function (lifecycle/machine.ts); driver.ts
 * performs what it says: every step is recorded in the job store, emitted as an event for the API,
 * and appended to the audit log (never a value).
 */
import { logger } from '../../util/log.js';
import type { PolicySummary } from '../../node/types.js';
import { AuditExchange } from '../audit/exchange.js';
import type { AuditLog } from '../audit/log.js';
import { openAuditLog } from '../audit/open.js';
import { BudgetLedger, budgetLedgerPath } from '../dp/ledger.js';
import type { NonlinearOps } from '../executor/context.js';
import { ENGINE_NONLINEAR } from '../executor/engine-nonlinear.js';
import type { JobSigner } from '../job/sign.js';
import type { LifecycleEvent } from '../lifecycle/types.js';
import { ReleaseLedger } from '../policy/releases.js';
import { PolicyStore } from '../policy/store.js';
import type { DatasetPolicy } from '../policy/types.js';
import { ReplayGuard } from '../replay.js';
import { JobStore, type JobRecord } from '../store.js';
import { loadJobsConfig, type JobsConfig } from './config.js';
import type { JobDatasets } from './datasets.js';
import { JobDriver } from './driver.js';
import { JobEvents } from './events.js';
import { handleMessage, type InboxDeps } from './inbox.js';
import type { Live } from './live.js';
import type { JobsReply } from './messages.js';
import { decideLocally, receiveProposal, type DecideDeps, type ParticipantDeps } from './participant.js';
import { PolicyPublisher } from './policy-publisher.js';
import { ProposalQuota } from './quota.js';
import { BudgetGuard } from './budget-guard.js';
import { ReleaseGuard } from './release-guard.js';
import { submitJob, type RequesterDeps } from './requester.js';
import type { JobRequest } from './request.js';
import { runAttempt, type RunnerDeps } from './runner.js';
import { SessionTimings } from './session-timings.js';
import type { JobsTransport, OpenChannel } from './transport.js';

export type { JobDatasets } from './datasets.js';
export { PROBE_TIMEOUT_MS } from './driver.js';
export { MAX_SESSION_ATTEMPTS } from '../lifecycle/machine.js';

const log = logger('jobs');

/** Everything the service's modules need, built once. */
type ServiceContext = RequesterDeps & ParticipantDeps & DecideDeps & InboxDeps & RunnerDeps;

/** How often finished job records past the retention are deleted. */
const PRUNE_EVERY_MS = 3_600_000;

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
  /**
   * What each requester spent of this peer's privacy budgets (`<jobsDir>/budget.jsonl`, read at
   * its first use): the job service spends on it, `GET /budget` reads it.
   */
  readonly budgetLedger: BudgetLedger;
  /** Events for the API. */
  readonly events = new JobEvents();
  /** How long this peer's sessions wait for each message (for monitoring; never a value). */
  readonly sessionTimings = new SessionTimings();
  /** Settings. */
  readonly config: JobsConfig;
  private readonly replay: ReplayGuard;
  private readonly guard: ReleaseGuard;
  private readonly live = new Map<string, Live>();
  private readonly quota: ProposalQuota;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly nonlinear: NonlinearOps;
  private readonly driver: JobDriver;
  private readonly ctx: ServiceContext;
  private readonly stopHooks: (() => void)[] = [];
  private readonly publisher: PolicyPublisher;

  constructor(private readonly init: JobServiceInit) {
    this.store = new JobStore(init.jobsDir);
    this.policies = new PolicyStore(init.jobsDir, {
      hasDataset: async (name) => (await init.datasets.get(name)) !== undefined,
    });
    this.replay = new ReplayGuard(init.jobsDir);
    this.guard = new ReleaseGuard(init.self, init.datasets, this.policies, new ReleaseLedger(init.jobsDir));
    this.budgetLedger = new BudgetLedger(budgetLedgerPath(init.jobsDir));
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
    this.publisher = new PolicyPublisher(this.policies, this.audit, init.datasets);
    this.quota = new ProposalQuota(this.config.quotas);
    this.nonlinear = init.nonlinear ?? ENGINE_NONLINEAR;
    this.driver = new JobDriver({
      self: init.self,
      store: this.store,
      events: this.events,
      audit: this.audit,
      auditHeads: this.auditHeads,
      transport: init.transport,
      config: () => this.config,
      live: this.live,
      run: (id, attempt) => void runAttempt(this.ctx, id, attempt),
    });
    this.ctx = this.wire();
    init.transport.setHandler((m, from) => this.handle(m, from));
    this.sweeper = setInterval(() => this.sweep(), this.config.sweepMs);
    this.sweeper.unref();
    // Jobs that were mid-flight when the daemon stopped cannot resume.
    for (const r of this.store.list()) this.step(r.id, { type: 'restarted' });
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

  /** Runs `hook` when the service stops (e.g. to unsubscribe from the peer). */
  onStop(hook: () => void): void {
    this.stopHooks.push(hook);
  }

  // ---------------------------------------------------------------- policies

  /** The summary of the policy that applies to `dataset`, as its description publishes it. */
  policySummary(dataset: string): PolicySummary {
    return this.publisher.policySummary(dataset);
  }

  /** Sets a dataset's policy, audited and published (policy-publisher.ts). */
  setPolicy(dataset: string, value: unknown): Promise<{ policy: DatasetPolicy; published: boolean }> {
    return this.publisher.setPolicy(dataset, value);
  }

  /** Removes a dataset's policy, audited and published (policy-publisher.ts). */
  removePolicy(dataset: string): Promise<{ removed: boolean; published: boolean }> {
    return this.publisher.removePolicy(dataset);
  }

  /** Publishes one local dataset's policy summary (policy-publisher.ts). */
  publishPolicySummary(dataset: string): Promise<boolean> {
    return this.publisher.publishPolicySummary(dataset);
  }

  /** Publishes every local dataset's policy summary (at start, so older descriptions heal). */
  publishPolicySummaries(): Promise<void> {
    return this.publisher.publishPolicySummaries();
  }

  // ---------------------------------------------------------------- jobs

  /**
   * Builds, signs and proposes a job; resolves once every participant answered the proposal (the
   * job may then be pending a person's approval, running, or already rejected).
   * @throws on a bad request (unknown dataset, column, program error, op not available).
   */
  submit(request: JobRequest, options: { signal?: AbortSignal } = {}): Promise<JobRecord> {
    return submitJob(this.ctx, request, options);
  }

  /** Handles a message from `from` (authenticated by the transport). */
  handle(value: unknown, from: string): Promise<JobsReply> {
    return handleMessage(this.ctx, value, from);
  }

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
    await this.driver.step(id, { type: 'decide', decision: 'approved', reason: '' });
    return this.store.get(id);
  }

  /** A person rejects job `id` on this peer; nothing is released. */
  async reject(id: string, reason = 'rejected by the data owner'): Promise<JobRecord> {
    await this.driver.step(id, { type: 'decide', decision: 'rejected', reason });
    return this.store.get(id);
  }

  /** Cancels job `id` (requester: everywhere; participant: withdraws, which ends it everywhere). */
  async cancel(id: string, reason = 'cancelled'): Promise<JobRecord> {
    await this.driver.step(id, { type: 'cancel', reason }, { awaitRequester: true });
    return this.store.get(id);
  }

  // ---------------------------------------------------------------- internals

  /** What the service's modules work with (requester.ts, participant.ts, inbox.ts, runner.ts). */
  private wire(): ServiceContext {
    const ctx: ServiceContext = {
      self: this.init.self,
      signer: this.init.signer,
      datasets: this.init.datasets,
      isAllowed: (p) => this.init.isAllowed(p),
      openChannel: this.init.openChannel,
      transport: this.init.transport,
      config: () => this.config,
      nonlinear: this.nonlinear,
      replay: this.replay,
      quota: this.quota,
      policies: this.policies,
      guard: this.guard,
      budget: new BudgetGuard(this.init.self, this.policies, this.budgetLedger, this.audit),
      store: this.store,
      events: this.events,
      audit: this.audit,
      auditHeads: this.auditHeads,
      live: this.live,
      timings: this.sessionTimings,
      driver: this.driver,
      decide: (v) => decideLocally(ctx, v),
      propose: (v, from) => receiveProposal(ctx, v, from),
      step: (id, e) => this.driver.step(id, e),
    };
    return ctx;
  }

  /** Feeds an event whose outcome nobody waits for; an error is logged. */
  private step(id: string, event: LifecycleEvent): void {
    this.driver.step(id, event).catch((err: Error) => log.error('job %s: %s', id, err.message));
  }

  private lastPrune = 0;

  private sweep(): void {
    const now = Date.now();
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      const gone = this.store.prune(new Date(now - this.config.retainDays * 86_400_000));
      this.events.forget(gone);
      if (gone.length > 0)
        log('pruned %d job records older than %d days', gone.length, this.config.retainDays);
    }
    for (const r of this.store.list()) {
      if ((r.state === 'proposed' || r.state === 'approved') && Date.parse(r.signed.job.expires) <= now)
        this.step(r.id, { type: 'tick' });
    }
  }
}
