/**
 * Running a job's session on this peer: the release guard, the inputs, the MPC session, and, when
 * it fails, which parties no longer answer. The outcome goes back to the lifecycle as an event
 * (`session-done` / `session-failed`); this module decides nothing about the job's state.
 */
import { logger } from '../../util/log.js';
import type { NonlinearOps } from '../executor/context.js';
import { JobFailedError } from '../errors.js';
import { sessionParties } from '../job/parties.js';
import type { SignedJob } from '../job/types.js';
import type { VerifiedJob } from '../job/verify.js';
import type { LifecycleEvent } from '../lifecycle/types.js';
import type { JobStore } from '../store.js';
import type { JobsConfig } from './config.js';
import { PROBE_TIMEOUT_MS } from './driver.js';
import type { JobEvents } from './events.js';
import type { JobDatasets } from './datasets.js';
import type { Live } from './live.js';
import type { BudgetGuard } from './budget-guard.js';
import type { ReleaseGuard } from './release-guard.js';
import { runJobSession, SessionFailure } from './run-session.js';
import type { SessionTimings } from './session-timings.js';
import type { JobsTransport, OpenChannel } from './transport.js';

const log = logger('jobs');

/** What the runner works with. */
export interface RunnerDeps {
  /** This peer's id. */
  self: string;
  /** Job records (progress). */
  store: JobStore;
  /** Events for the API (progress). */
  events: JobEvents;
  /** The dataset catalog (input values). */
  datasets: JobDatasets;
  /** The differencing guard of the releases. */
  guard: ReleaseGuard;
  /** The privacy budgets (spent before the shares move). */
  budget: BudgetGuard;
  /** MPC channels. */
  openChannel: OpenChannel;
  /** Messages (probes). */
  transport: JobsTransport;
  /** Settings. */
  config: () => JobsConfig;
  /** Nonlinear ops. */
  nonlinear: NonlinearOps;
  /** Active jobs. */
  live: Map<string, Live>;
  /** Step waits of the sessions, for monitoring. */
  timings?: SessionTimings;
  /** Feeds the outcome back to the lifecycle. */
  step(id: string, event: LifecycleEvent): Promise<void>;
}

/** Runs session attempt `attempt` of job `id` here; see the module comment. */
export async function runAttempt(deps: RunnerDeps, id: string, attempt: number): Promise<void> {
  const live = deps.live.get(id);
  const feed = (event: LifecycleEvent): Promise<void> =>
    deps.step(id, event).catch((err: Error) => log.error('job %s: %s', id, err.message));
  if (live === undefined) {
    const message = `job ${id} is not active on this peer`;
    return feed({ type: 'session-failed', attempt, message, retryable: false });
  }
  const { job } = live.verified.signed;
  const signal = AbortSignal.any([live.abort.signal, live.current?.signal ?? new AbortController().signal]);
  try {
    if (attempt === 0) live.released = deps.guard.beforeRelease(job, live.verified.checked);
    if (live.released === undefined) throw new JobFailedError(id, 'attempt 0 never checked its release');
    live.digests = await live.released;
    if (attempt > 0) await deps.guard.assertUnchanged(job, live.digests);
    // Every attempt may open outputs with fresh noise, so each one spends (DP jobs only).
    await deps.budget.spend(job);
    const values = await loadInputs(deps, live.verified);
    const config = deps.config();
    const outcome = await runJobSession({
      verified: live.verified,
      self: deps.self,
      sessionId: attempt === 0 ? id : `${id}.${attempt}`,
      openChannel: deps.openChannel,
      timeouts: { connectMs: config.connectMs, stepMs: config.stepMs, sessionMs: config.sessionMs },
      values,
      signal,
      nonlinear: deps.nonlinear,
      timings: deps.timings,
      onProgress: (progress) => {
        deps.store.update(id, { progress });
        deps.events.emit({ job: id, type: 'progress', progress });
      },
    });
    if (live.attempt === attempt) live.outcome = outcome; // a superseded attempt's outcome is dropped
    await feed({ type: 'session-done', attempt });
  } catch (err) {
    if (live.attempt !== attempt || live.abort.signal.aborted) {
      // ended or superseded meanwhile: the lifecycle ignores it, nothing to probe
      return feed({ type: 'session-failed', attempt, message: (err as Error).message, retryable: false });
    }
    const gone = await unreachableParties(deps, job, err);
    const party = gone[0] ?? (err instanceof SessionFailure ? err.party : undefined);
    const message =
      gone.length > 0
        ? `party ${gone.join(', ')} disappeared: ${(err as Error).message}`
        : (err as Error).message;
    const retryable = err instanceof SessionFailure && gone.length === 0 && !live.abort.signal.aborted;
    await feed({ type: 'session-failed', attempt, message, ...(party ? { party } : {}), retryable });
  }
}

/** After a session failure: the other session parties that no longer answer (probed in parallel). */
async function unreachableParties(deps: RunnerDeps, job: SignedJob['job'], err: unknown): Promise<string[]> {
  if (!(err instanceof SessionFailure)) return [];
  const others = sessionParties(job).filter((p) => p !== deps.self);
  const answers = await Promise.all(
    others.map((p) =>
      deps.transport
        .request(p, { type: 'probe', jobId: job.id }, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
        .then(
          () => true,
          () => false,
        ),
    ),
  );
  return others.filter((_, i) => !answers[i]);
}

/** This peer's inputs of a job, row-major, checked against the row counts the job was signed with. */
async function loadInputs(deps: RunnerDeps, verified: VerifiedJob): Promise<Record<string, Float64Array>> {
  const out: Record<string, Float64Array> = {};
  for (const inp of verified.signed.job.inputs.filter((i) => i.owner === deps.self)) {
    const data = await deps.datasets.readValues(inp.dataset);
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
