/**
 * `GET /ui/events`: a server-sent events stream of the job service's state and decision events,
 * ids and states only (no reason, no value): `event: job`, `id: <seq>`,
 * `data: {"job":..,"type":"state"|"decision","state"?:..,"decision"?:..}`. A comment line every
 * {@link KEEPALIVE_MS} keeps proxies and the browser from timing out; the stream ends when the
 * browser goes away, the daemon stops, or the session ends (checked at each keep-alive).
 */
import type { ServerResponse } from 'node:http';
import type { JobEvent } from '../../jobs/service/events.js';
import type { JobService } from '../../jobs/service/service.js';
import { secure } from './respond.js';

/** Interval of the keep-alive comments (ms). */
export const KEEPALIVE_MS = 15_000;

/** What the stream sends of one event, or undefined for progress events. */
export function eventData(e: JobEvent): Record<string, string> | undefined {
  if (e.type === 'state' && e.state !== undefined) return { job: e.job, type: 'state', state: e.state };
  if (e.type === 'decision' && e.decision !== undefined)
    return { job: e.job, type: 'decision', decision: e.decision.decision };
  return undefined;
}

/**
 * Streams `svc`'s events to `res` until `signal` aborts or `alive()` turns false; resolves then.
 * Without a job service the stream stays open with keep-alives only.
 */
export async function streamEvents(
  res: ServerResponse,
  svc: JobService | undefined,
  signal: AbortSignal,
  alive: () => boolean,
): Promise<void> {
  secure(res);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 3000\n\n');
  const unsubscribe =
    svc?.events.subscribe((e) => {
      const data = eventData(e);
      if (data !== undefined && !res.destroyed)
        res.write(`id: ${e.seq}\nevent: job\ndata: ${JSON.stringify(data)}\n\n`);
    }) ?? (() => undefined);
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      clearInterval(timer);
      signal.removeEventListener('abort', finish);
      res.off('close', finish);
      resolve();
    };
    const timer = setInterval(() => {
      if (!alive()) finish();
      else res.write(': keep-alive\n\n');
    }, KEEPALIVE_MS);
    signal.addEventListener('abort', finish, { once: true });
    res.once('close', finish);
    if (signal.aborted) finish();
  });
  unsubscribe();
  if (!res.destroyed) res.end();
}
