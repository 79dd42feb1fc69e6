/**
 * Throttling reports of repeated attempts (denied connections): a pure state machine, the caller
 * supplies the clock.
 *
 * Within a window, the first attempt of each (peer, what) is reported at once, up to `maxReports`
 * reports; every other attempt is only counted. The first attempt after the window closes reports
 * first a summary of what was counted (attempts and distinct peers), then itself, in a new window.
 * So a stranger who opens connections as fast as it can, under as many peer ids as it likes, costs
 * at most `maxReports + 1` reports per window, and nothing it does goes unrecorded.
 */

/** One report. */
export type AttemptReport =
  | { kind: 'attempt'; peer: string; what: string }
  | { kind: 'summary'; attempts: number; peers: number; windowMs: number };

/** Settings of an {@link AttemptThrottle}. */
export interface AttemptThrottleInit {
  /** Window length (ms). */
  windowMs: number;
  /** Most attempt reports per window. */
  maxReports: number;
}

/** See the module comment. */
export class AttemptThrottle {
  private windowStart = -Infinity;
  private readonly reported = new Set<string>();
  private suppressed = 0;
  private readonly suppressedPeers = new Set<string>();
  private static readonly MAX_TRACKED_PEERS = 10_000;

  constructor(private readonly init: AttemptThrottleInit) {}

  /** Notes an attempt at time `now` (ms); returns what to report now, in order. */
  note(peer: string, what: string, now: number): AttemptReport[] {
    const out: AttemptReport[] = [];
    if (now - this.windowStart >= this.init.windowMs) {
      const summary = this.flush();
      if (summary !== undefined) out.push(summary);
      this.windowStart = now;
    }
    const key = `${peer} ${what}`;
    if (!this.reported.has(key) && this.reported.size < this.init.maxReports) {
      this.reported.add(key);
      out.push({ kind: 'attempt', peer, what });
    } else {
      this.suppressed++;
      if (this.suppressedPeers.size < AttemptThrottle.MAX_TRACKED_PEERS) this.suppressedPeers.add(peer);
    }
    return out;
  }

  /** Ends the current window: the summary of what it counted but did not report, if anything. */
  flush(): AttemptReport | undefined {
    const summary: AttemptReport | undefined =
      this.suppressed > 0
        ? {
            kind: 'summary',
            attempts: this.suppressed,
            peers: this.suppressedPeers.size,
            windowMs: this.init.windowMs,
          }
        : undefined;
    this.reported.clear();
    this.suppressed = 0;
    this.suppressedPeers.clear();
    this.windowStart = -Infinity;
    return summary;
  }
}

/** Options of {@link watchAttempts}. */
export interface WatchAttemptsOptions extends AttemptThrottleInit {
  /** Report the window's last summary when stopped (default false). */
  flushOnStop?: boolean;
}

/**
 * Throttles the attempts `subscribe` delivers and hands `report` what passes (with the time of the
 * attempt, or of the window's end for a summary); a timer closes each window. Returns the stop
 * function.
 */
export function watchAttempts(
  subscribe: (listener: (a: { peer: string; what: string; time: Date }) => void) => () => void,
  options: WatchAttemptsOptions,
  report: (r: AttemptReport, time: Date) => void,
): () => void {
  const throttle = new AttemptThrottle(options);
  const flush = (): void => {
    const r = throttle.flush();
    if (r !== undefined) report(r, new Date());
  };
  const unsubscribe = subscribe((a) => {
    for (const r of throttle.note(a.peer, a.what, a.time.getTime())) report(r, a.time);
  });
  const timer = setInterval(flush, options.windowMs);
  timer.unref();
  return () => {
    unsubscribe();
    clearInterval(timer);
    if (options.flushOnStop === true) flush();
  };
}

/** One line for a person about a report (ids and counts only). */
export function attemptReportText(r: AttemptReport): string {
  if (r.kind === 'attempt') {
    return r.what === 'connection'
      ? `denied a connection from ${r.peer} (access lists)`
      : `denied ${r.what} from ${r.peer} (access lists)`;
  }
  const minutes = Math.round(r.windowMs / 60_000);
  return `denied ${r.attempts} more attempt(s) from ${r.peers} peer(s) in ${minutes} min (access lists)`;
}
