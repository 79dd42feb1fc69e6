/**
 * Every resource of the control API. A new resource (e.g. jobs) is a file in this folder exporting
 * `fooRoutes(router, ctx)` and one line below.
 */
import type { ApiContext } from '../context.js';
import { Router } from '../router.js';
import { accessRoutes } from './access.js';
import { auditRoutes } from './audit.js';
import { budgetRoutes } from './budget.js';
import { consoleRoutes } from './console.js';
import { datasetRoutes } from './datasets.js';
import { jobRoutes } from './jobs.js';
import { metricsRoutes } from './metrics.js';
import { peerRoutes } from './peers.js';
import { statusRoutes } from './status.js';

/** Builds the router with every resource's routes. */
export function apiRouter(ctx: ApiContext): Router {
  const router = new Router();
  statusRoutes(router, ctx);
  peerRoutes(router, ctx);
  datasetRoutes(router, ctx);
  accessRoutes(router, ctx);
  jobRoutes(router, ctx);
  auditRoutes(router, ctx);
  budgetRoutes(router, ctx);
  consoleRoutes(router, ctx);
  metricsRoutes(router, ctx); // after jobRoutes: it follows the job service
  return router;
}
