/**
 * Recording what the access lists refused in the audit log, throttled.
 *
 * Every refused inbound connection or stream reaches the peer's `onDenied` listeners; recording each
 * would let a stranger grow the audit log as fast as it opens connections (under fresh peer ids, as
 * many as it likes). So per hour: the first refusal of each (peer, what) is an `access.denied` entry,
 * at most {@link DENIALS_PER_HOUR} of them, and everything else is counted into one summary entry
 * when the hour ends (or the service stops). Ids and counts only.
 */
import type { DeniedAttempt } from '../../node/denials.js';
import { watchAttempts, type AttemptReport } from '../../util/attempt-throttle.js';
import type { AuditEvent } from '../audit/events.js';

/** Most `access.denied` entries of single attempts per hour. */
export const DENIALS_PER_HOUR = 20;

const HOUR_MS = 3_600_000;

/** The audit event of a throttle report. */
export function denialEvent(r: AttemptReport): AuditEvent {
  if (r.kind === 'attempt') return { type: 'access.denied', peer: r.peer, reason: r.what };
  const minutes = Math.round(r.windowMs / 60_000);
  return {
    type: 'access.denied',
    reason: `${r.attempts} more refusal(s) of ${r.peers} peer(s) in ${minutes} min, not recorded one by one`,
  };
}

/**
 * Audits the refusals `subscribe` delivers (see the module comment); returns the stop function,
 * which records the last summary.
 */
export function auditDenials(
  subscribe: (listener: (a: DeniedAttempt) => void) => () => void,
  append: (event: AuditEvent) => void,
  options: { windowMs?: number; maxReports?: number } = {},
): () => void {
  return watchAttempts(
    subscribe,
    {
      windowMs: options.windowMs ?? HOUR_MS,
      maxReports: options.maxReports ?? DENIALS_PER_HOUR,
      flushOnStop: true,
    },
    (r) => {
      try {
        append(denialEvent(r));
      } catch {
        // the log is closing or failing; the refusal itself stands
      }
    },
  );
}
