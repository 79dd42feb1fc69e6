/**
 * The daemon's lines about refused connections: one per peer and protocol per minute, at most
 * {@link DENIED_LINES_PER_MINUTE} a minute, then one summary line (util/attempt-throttle.ts).
 */
import type { AccessControl } from '../node/peer.js';
import { attemptReportText, watchAttempts } from '../util/attempt-throttle.js';

/** Most lines about single refusals per minute. */
export const DENIED_LINES_PER_MINUTE = 10;

/** Prints refusals of `access` through `print`, throttled; returns the stop function. */
export function printDenials(
  access: Pick<AccessControl, 'onDenied'>,
  print: (line: string) => void,
): () => void {
  return watchAttempts(
    (l) => access.onDenied(l),
    { windowMs: 60_000, maxReports: DENIED_LINES_PER_MINUTE },
    (r, time) => print(`${time.toISOString()} ${attemptReportText(r)}`),
  );
}
