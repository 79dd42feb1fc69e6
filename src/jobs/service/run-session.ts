/**
 * Runs a job's MPC session on this peer: open the channel to every party (the peer's streams),
 * set up the session (pairwise PRG seeds), build the job's protocol, run the program, close.
 * Errors keep the session party index of the peer at fault (channel errors name it), mapped back
 * to a peer id by the caller.
 */
import { ChannelError } from '../../protocols/channel.js';
import { createSession } from '../../protocols/session-impl.js';
import type { NonlinearOps } from '../executor/context.js';
import { jobProtocol } from '../executor/protocol-factory.js';
import { runDpOf } from '../executor/dp-release.js';
import { runProgram, type RunProgramResult } from '../executor/run.js';
import { sessionParties } from '../job/parties.js';
import type { VerifiedJob } from '../job/verify.js';
import type { JobProgress, JobStats } from '../store.js';
import type { SessionTimings } from './session-timings.js';
import type { OpenChannel, SessionTimeoutsMs } from './transport.js';

/** What {@link runJobSession} takes. */
export interface RunJobSessionInput {
  /** The verified job. */
  verified: VerifiedJob;
  /** This peer's id. */
  self: string;
  /** The session id: the job id, or `<job id>.<attempt>` for a retry. */
  sessionId?: string;
  /** Opens the channel. */
  openChannel: OpenChannel;
  /** Timeouts. */
  timeouts: SessionTimeoutsMs;
  /** This peer's inputs (row-major values by program input name). */
  values: Record<string, ArrayLike<number>>;
  /** Progress callback. */
  onProgress: (p: JobProgress) => void;
  /** Aborts the session (cancel). */
  signal: AbortSignal;
  /** Nonlinear ops override (tests). */
  nonlinear?: NonlinearOps;
  /** Reports how long each message was waited for (monitoring; session-timings.ts). */
  timings?: SessionTimings;
}

/** The outcome on this peer. */
export interface RunJobSessionResult {
  /** Outputs (requester only). */
  outputs: RunProgramResult['outputs'];
  /** Timings and traffic. */
  stats: JobStats;
}

/** A session failed; `party` is the peer id at fault when known. */
export class SessionFailure extends Error {
  override readonly name = 'SessionFailure';
  constructor(
    message: string,
    /** The peer at fault (the one that aborted, went silent or disconnected), when known. */
    readonly party: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runs the session; see the module comment. @throws SessionFailure */
export async function runJobSession(input: RunJobSessionInput): Promise<RunJobSessionResult> {
  const { job, checked } = { job: input.verified.signed.job, checked: input.verified.checked };
  const parties = sessionParties(job);
  const self = parties.indexOf(input.self);
  const sessionId = input.sessionId ?? job.id;
  const ms: JobStats['ms'] = {};
  const t0 = performance.now();
  let session;
  let opened: Awaited<ReturnType<OpenChannel>>;
  try {
    opened = await input.openChannel(
      { jobId: sessionId, parties, timeouts: input.timeouts },
      { signal: input.signal },
    );
    const channel = input.timings?.wrap(opened, job.protocol) ?? opened;
    ms.connect = performance.now() - t0;
    session = await createSession({
      id: sessionId,
      channel,
      timeouts: { stepMs: input.timeouts.stepMs, sessionMs: input.timeouts.sessionMs },
      signal: input.signal,
    });
  } catch (err) {
    throw failure(err, parties, self, 'could not open the session');
  }
  try {
    const owners = Object.fromEntries(job.inputs.map((i) => [i.name, parties.indexOf(i.owner)]));
    const protocol = jobProtocol(job, session);
    const result = await runProgram({
      protocol,
      checked,
      owners,
      values: input.values,
      recipient: parties.indexOf(job.outputRecipient),
      fractionalBits: job.fractionalBits,
      nonlinear: input.nonlinear,
      onProgress: input.onProgress,
      signal: session.signal,
      dp: runDpOf(job, checked, protocol),
    });
    Object.assign(ms, result.ms, { total: performance.now() - t0 });
    const stats: JobStats = {
      ms,
      bytesSent: session.stats.bytesSent,
      bytesReceived: session.stats.bytesReceived,
      rounds: session.stats.rounds,
      ...(opened.linkKinds !== undefined ? { links: { ...opened.linkKinds } } : {}),
    };
    return { outputs: result.outputs, stats };
  } catch (err) {
    session.abort(err instanceof Error ? err : new Error(String(err)));
    throw failure(err, parties, self, 'the session failed');
  } finally {
    await session.close().catch(() => undefined); // the result or the failure above is what counts
  }
}

function failure(err: unknown, parties: string[], self: number, what: string): SessionFailure {
  if (err instanceof SessionFailure) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const partyIndex = e instanceof ChannelError ? e.party : (e as { party?: unknown }).party;
  const party =
    typeof partyIndex === 'number' && partyIndex >= 0 && partyIndex !== self
      ? parties[partyIndex]
      : undefined;
  const named = (e as { peer?: unknown }).peer;
  const who = party ?? (typeof named === 'string' ? named : undefined);
  return new SessionFailure(
    `${what}${who === undefined ? '' : ` (party ${who})`}: ${e.name}: ${e.message}`,
    who,
    { cause: e },
  );
}
