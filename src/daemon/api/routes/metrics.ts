/**
 * `GET /metrics`: the daemon's metrics in Prometheus's text format (bearer token, like every
 * route). Registering the route connects the metrics to the peer and to the job service (when the
 * peer runs one), so it comes after the job routes. See src/daemon/metrics and docs/METRICS.md.
 */
import { isJobsPeer } from '../../../jobs/service/for-peer.js';
import { logger } from '../../../util/log.js';
import { metricsOf } from '../../metrics/index.js';
import type { ApiContext } from '../context.js';
import { RouteResponse, type Router } from '../router.js';
import { jobServiceOf } from './jobs.js';

const log = logger('daemon:metrics');

/** Registers the metrics route. */
export function metricsRoutes(router: Router, ctx: ApiContext): void {
  const metrics = metricsOf(ctx);
  metrics.attachPeer(ctx.peer);
  if (isJobsPeer(ctx.peer)) {
    try {
      ctx.onStop(metrics.attachJobs(jobServiceOf(ctx)));
    } catch (err) {
      log('no job metrics: %s', (err as Error).message); // jobServiceOf logged why
    }
  }
  router.get('/metrics', async () => new RouteResponse(200, await metrics.text(), metrics.contentType));
}
