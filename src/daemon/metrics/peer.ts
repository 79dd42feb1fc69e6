/**
 * The peer's gauges, read from `peer.status()` at each scrape: connected peers, DHT routing table,
 * local datasets, open MPC sessions; plus the daemon's version and start time. Counts only.
 */
import { Gauge, type Registry } from 'prom-client';
import type { PeerStatus } from '../../node/types.js';

/** What the peer gauges read. */
export interface PeerStatsSource {
  /** A snapshot of the peer. */
  status(): PeerStatus;
}

/** Registers the peer's gauges in `registry`; each reads `source` when scraped. */
export function registerPeerMetrics(
  registry: Registry,
  source: PeerStatsSource,
  daemon: { version: string; startedAt: number },
): void {
  const gauge = (name: string, help: string, read: (s: PeerStatus) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(source.status()));
      },
    });
  };
  gauge(
    'peermpc_peers_connected',
    'Distinct peers this peer has an open connection with.',
    (s) => s.connectedPeers,
  );
  gauge('peermpc_dht_routing_table_peers', 'Peers in the DHT routing table.', (s) => s.routingTableSize);
  gauge('peermpc_datasets', 'Datasets this peer holds and advertises.', (s) => s.datasets);
  gauge('peermpc_mpc_sessions_active', 'MPC sessions open on this peer.', (s) => s.sessions);
  new Gauge({
    name: 'peermpc_info',
    help: 'Always 1; the label is the running peermpc version.',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: daemon.version }, 1);
  new Gauge({
    name: 'peermpc_daemon_start_time_seconds',
    help: 'When the daemon started, in seconds since the Unix epoch.',
    registers: [registry],
  }).set(daemon.startedAt / 1000);
}
