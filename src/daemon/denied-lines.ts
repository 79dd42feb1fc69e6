/**
 * The daemon's lines about refused connections: one per peer and protocol per minute, at most
 * {@link DENIED_LINES_PER_MINUTE} a minute, then one summary line (util/attempt-throttle.ts).
 */
import type { AccessControl } from '../node/peer.js';
import { AttemptThrottle, attemptReportText } from '../util/attempt-throttle.js';

/** Most lines about single refusals per minute. */
export const DENIED_LINES_PER_MINUTE = 10;

/** Prints refusals of `access` through `print`, throttled; returns the stop function. */
export function printDenials(
  access: Pick<AccessControl, 'onDenied'>,
  print: (line: string) => void,
): () => void {
  const windowMs = 60_000;
  const throttle = new AttemptThrottle({ windowMs, maxReports: DENIED_LINES_PER_MINUTE });
  const unsubscribe = access.onDenied((a) => {
    for (const r of throttle.note(a.peer, a.what, a.time.getTime()))
      print(`${a.time.toISOString()} ${attemptReportText(r)}`);
  });
  const timer = setInterval(() => {
    const r = throttle.flush();
    if (r !== undefined) print(`${new Date().toISOString()} ${attemptReportText(r)}`);
  }, windowMs);
  timer.unref();
  return () => {
    unsubscribe();
    clearInterval(timer);
  };
}
