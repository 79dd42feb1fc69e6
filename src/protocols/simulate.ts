/**
 * `simulate(n, fn)`: runs n parties of one session concurrently in this process over in-memory
 * channels (tests, research, benchmarks). Every party runs the same program `fn` (SPMD) on its own
 * {@link Session}; the results come back in party order.
 *
 * Failure: when a party's `fn` throws, its session aborts and every other party's pending and
 * future communication rejects with an error naming that party and its step; a silent party makes
 * the others' `recv` time out after `timeouts.stepMs` naming it. `simulate` then rejects with a
 * {@link SimulationError} carrying every party's outcome. A party whose `fn` ignores the abort and
 * never settles is given up on `graceMs` after the session failed (it is reported as hung), so
 * `simulate` itself never hangs.
 */
import { createMemoryChannels, type MemoryNetworkOptions } from './memory-channel.js';
import {
  createSession,
  randomSessionId,
  type SessionImpl,
  type TestOnlySessionKeys,
} from './session-impl.js';
import type { Session, SessionTimeouts } from './session.js';

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** Session id (default: random). */
  id?: string;
  /** Session timeouts (defaults: session-impl's DEFAULT_TIMEOUTS). */
  timeouts?: Partial<SessionTimeouts>;
  /** Link shaping of the in-memory network. */
  network?: MemoryNetworkOptions;
  /** Aborts every party. */
  signal?: AbortSignal;
  /** How long to wait for the other parties to settle once the session failed (default: stepMs). */
  graceMs?: number;
  /**
   * TESTS ONLY: each party's fixed session keys, in party order (one entry per party), for a
   * reproducible transcript. Passed to session-impl's `createSession`, which refuses them unless
   * `PEERMPC_TEST_ONLY_KEYS=1`.
   */
  testOnlyKeys?: readonly TestOnlySessionKeys[];
}

/** One or more parties failed; `errors[i]` is party i's error (undefined if it succeeded). */
export class SimulationError extends Error {
  override readonly name = 'SimulationError';
  constructor(
    message: string,
    /** Per-party errors, in party order. */
    readonly errors: (Error | undefined)[],
    /** The first party whose error did not come from a peer (the one that threw, or that saw a peer time out), or -1. */
    readonly culprit: number,
  ) {
    super(message);
  }
}

/** A party did not settle within the grace period after the session failed. */
export class PartyHungError extends Error {
  override readonly name = 'PartyHungError';
  constructor(party: number, graceMs: number) {
    super(`party ${party} did not settle within ${graceMs} ms after the session failed`);
  }
}

/**
 * Runs `fn` on `parties` sessions concurrently; resolves with their results in party order.
 * @throws SimulationError when any party fails (including a refused `testOnlyKeys` at setup).
 * @throws RangeError when `testOnlyKeys` does not hold one entry per party.
 */
export async function simulate<T>(
  parties: number,
  fn: (session: Session, party: number) => Promise<T>,
  options: SimulateOptions = {},
): Promise<T[]> {
  const fixed = options.testOnlyKeys;
  if (fixed !== undefined && fixed.length !== parties)
    throw new RangeError(`testOnlyKeys must hold one entry per party (${parties}), got ${fixed.length}`);
  const channels = createMemoryChannels(parties, options.network);
  const id = options.id ?? randomSessionId();
  const settled = await Promise.allSettled(
    channels.map((channel, i) =>
      createSession({
        id,
        channel,
        timeouts: options.timeouts,
        signal: options.signal,
        testOnlyKeys: fixed?.[i],
      }),
    ),
  );
  const failedSetup = settled.findIndex((r) => r.status === 'rejected');
  if (failedSetup >= 0) {
    for (const c of channels) await c.close();
    const errors = settled.map((r) => (r.status === 'rejected' ? asError(r.reason) : undefined));
    throw new SimulationError(`session setup failed: ${errors[failedSetup]!.message}`, errors, failedSetup);
  }
  const sessions = settled.map((r) => (r as PromiseFulfilledResult<SessionImpl>).value);
  const graceMs = options.graceMs ?? sessions[0]!.timeouts.stepMs;
  const firstFailure = new Promise<void>((resolve) => {
    for (const s of sessions) s.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const outcomes = await Promise.allSettled(
    sessions.map((s, i) => runParty(s, i, fn, firstFailure, graceMs)),
  );
  await Promise.all(sessions.map((s) => s.close()));
  const errors = outcomes.map((o) => (o.status === 'rejected' ? asError(o.reason) : undefined));
  if (errors.every((e) => e === undefined))
    return outcomes.map((o) => (o as PromiseFulfilledResult<T>).value);
  const culprit = findCulprit(errors);
  const first = errors[culprit >= 0 ? culprit : errors.findIndex((e) => e !== undefined)]!;
  throw new SimulationError(
    `simulation failed${culprit >= 0 ? ` at party ${culprit}` : ''}: ${first.name}: ${first.message}`,
    errors,
    culprit,
  );
}

async function runParty<T>(
  s: SessionImpl,
  party: number,
  fn: (session: Session, party: number) => Promise<T>,
  firstFailure: Promise<void>,
  graceMs: number,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  const hung = firstFailure.then(
    () =>
      new Promise<never>((_, reject) => {
        if (!finished) timer = setTimeout(() => reject(new PartyHungError(party, graceMs)), graceMs);
      }),
  );
  const run = (async () => {
    try {
      return await fn(s, party);
    } catch (err) {
      s.abort(asError(err));
      throw err;
    }
  })();
  try {
    return await Promise.race([run, hung]);
  } finally {
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    // Keep the losing branch from raising an unhandled rejection.
    run.catch(() => undefined);
    hung.catch(() => undefined);
  }
}

/** The party whose own error started the failure: one whose error is not about a peer aborting. */
function findCulprit(errors: (Error | undefined)[]): number {
  const own = errors.findIndex(
    (e) =>
      e !== undefined &&
      e.name !== 'PartyAbortedError' &&
      e.name !== 'ChannelClosedError' &&
      e.name !== 'PartyHungError',
  );
  return own;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
