/**
 * The daemon's Prometheus metrics: one prom-client {@link Registry} per daemon (never the global
 * default one, so that several daemons of one process do not clash), holding
 * - peermpc's own metrics (peer.ts, jobs.ts), names `peermpc_*`;
 * - libp2p's (`libp2p_*`), which the peer registers in this registry when it is given as
 *   `PeerInit.metricsRegistry` (src/node/libp2p-node.ts);
 * and, at each scrape, the process's CPU, memory, event loop and GC metrics (`process_*`,
 * `nodejs_*`), collected once per process (process.ts).
 *
 * Served at `GET /metrics` on the control API (bearer token) and, when `metricsPort` is set, on
 * a separate 127.0.0.1 listener without a token (server.ts). docs/METRICS.md lists every metric.
 * Counts and timings only: no data value, share, key, dataset content, job id, peer id or
 * requester-supplied text is ever a metric or a label.
 */
import { Registry } from 'prom-client';
import type { ApiContext } from '../api/context.js';
import { JobMetrics, type JobMetricsSource } from './jobs.js';
import { registerPeerMetrics, type PeerStatsSource } from './peer.js';
import { processRegistry } from './process.js';

/** What {@link DaemonMetrics} is built from. */
export interface DaemonMetricsInit {
  /** peermpc's version (the `peermpc_info` label). */
  version: string;
  /** When the daemon started (ms since the epoch). */
  startedAt: number;
}

/** One daemon's metrics; see the module comment. */
export class DaemonMetrics {
  /** This daemon's registry: give it to the peer (`PeerInit.metricsRegistry`) for libp2p's metrics. */
  readonly registry = new Registry();
  private readonly jobs: JobMetrics;
  private peerAttached = false;

  constructor(private readonly init: DaemonMetricsInit) {
    this.jobs = new JobMetrics(this.registry);
  }

  /** Reads the peer's gauges from `peer` (once). */
  attachPeer(peer: PeerStatsSource): void {
    if (this.peerAttached) return;
    this.peerAttached = true;
    registerPeerMetrics(this.registry, peer, this.init);
  }

  /** Follows the job service (once); returns the function that stops following it. */
  attachJobs(service: JobMetricsSource): () => void {
    return this.jobs.attach(service);
  }

  /** The content type of {@link DaemonMetrics.text} (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in Prometheus's text exposition format. */
  async text(): Promise<string> {
    return Registry.merge([processRegistry(), this.registry]).metrics();
  }
}

const bound = new WeakMap<ApiContext, DaemonMetrics>();

/** Makes `metrics` the metrics of the daemon whose API context is `ctx` (before its routes are built). */
export function bindMetrics(ctx: ApiContext, metrics: DaemonMetrics): void {
  bound.set(ctx, metrics);
}

/**
 * The metrics bound to `ctx`; for a router built without a daemon (tests, embedding
 * applications), new ones without libp2p's.
 */
export function metricsOf(ctx: ApiContext): DaemonMetrics {
  let m = bound.get(ctx);
  if (m === undefined) {
    m = new DaemonMetrics({ version: ctx.version, startedAt: ctx.startedAt });
    bound.set(ctx, m);
  }
  return m;
}
