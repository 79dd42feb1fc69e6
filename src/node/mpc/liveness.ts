/**
 * Liveness of the other parties of one MPC session, a pure state machine (times are passed in,
 * performance.now() milliseconds): when each party was last heard from (any frame), the furthest
 * step it reported (keep-alives carry it, data frames imply it) and since when, and this party's
 * own furthest step, which its keep-alives report.
 *
 * A party is timed out when it sent nothing at all for `stepMs` (frozen, cut off), or when its
 * keep-alives show it stayed at one step for {@link STALL_STEPS} step timeouts (alive but stuck:
 * deadlocked, out of step or malicious). A busy party sends keep-alives with an advancing step
 * between its own steps, so it is neither.
 */

/**
 * Step timeouts a party may stay at one step while alive before it counts as stuck: a single
 * step's local work may take this long (5 minutes at the default stepMs of 30 s).
 */
export const STALL_STEPS = 10;

/** How often a party sends keep-alives: four times per step timeout (at most every 50 ms). */
export function aliveIntervalMs(stepMs: number): number {
  return Math.max(50, Math.floor(stepMs / 4));
}

/** What to do about a party awaited now: wait `ms` more, or time it out after `ms` of silence or stall. */
export type LivenessVerdict = { kind: 'wait'; ms: number } | { kind: 'silent' | 'stalled'; ms: number };

/** The liveness bookkeeping of one session. */
export class Liveness {
  private readonly lastHeard: number[];
  private readonly reached: { step: number; since: number }[];
  private own = 0;

  constructor(
    parties: number,
    private readonly stepMs: number,
    now: number,
  ) {
    this.lastHeard = Array.from({ length: parties }, () => now);
    this.reached = Array.from({ length: parties }, () => ({ step: 0, since: now }));
  }

  /** This party's furthest step sent or awaited (what its keep-alives report). */
  get ownStep(): number {
    return this.own;
  }

  /** This party sent or awaits `step`. */
  ownReached(step: number): void {
    if (step > this.own) this.own = step;
  }

  /** A frame came from `party`; a keep-alive or data frame also says it reached `step`. */
  heard(party: number, now: number, step?: number): void {
    this.lastHeard[party] = now;
    const r = this.reached[party]!;
    if (step !== undefined && step > r.step) {
      r.step = step;
      r.since = now;
    }
  }

  /** The verdict on `party` at `now`, for a step awaited from it. */
  verdict(party: number, now: number): LivenessVerdict {
    const quiet = now - this.lastHeard[party]!;
    const still = now - this.reached[party]!.since;
    const stallMs = STALL_STEPS * this.stepMs;
    if (quiet >= this.stepMs) return { kind: 'silent', ms: this.stepMs };
    if (still >= stallMs) return { kind: 'stalled', ms: stallMs };
    return { kind: 'wait', ms: Math.min(this.stepMs - quiet, stallMs - still) };
  }
}
