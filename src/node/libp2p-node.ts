/**
 * Builds the libp2p node of a peer: TCP (+ WebSockets when configured), Noise, Yamux, identify,
 * ping, and a private kad-dht in server mode with peermpc's protocol id, validators and selectors,
 * over an on-disk datastore (DHT records, provider records and the peer store survive restarts).
 * Simulations choose the in-process memory transport, an in-memory datastore and link shaping.
 */
import '../polyfills.js';
import { noise } from '@chainsafe/libp2p-noise';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import type { ConnectionGater, Libp2p, PrivateKey, Transport } from '@libp2p/interface';
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from '@libp2p/kad-dht';
import { memory } from '@libp2p/memory';
import { ping, type Ping } from '@libp2p/ping';
import { prometheusMetrics, type PrometheusMetricsInit } from '@libp2p/prometheus-metrics';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { MemoryDatastore } from 'datastore-core';
import { LevelDatastore } from 'datastore-level';
import type { Datastore } from 'interface-datastore';
import { createLibp2p, type Libp2pOptions } from 'libp2p';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { datasetRecordSelector, datasetRecordValidator, DATASET_RECORD_NAMESPACE } from './catalog/keys.js';
import { admitConnectedContactsOnly } from './dht-tuning.js';
import { lazyWindowUpdates, leanNoise } from './libp2p-tuning.js';
import { libp2pLogger } from './log.js';
import { relayServerService, relayTransport, type RelayServer } from './nat.js';
import { fastNoiseCrypto } from './noise-crypto.js';
import { withFastX25519 } from './noise-x25519.js';
import { PunchTargets, reusePortTcp } from './reuseport-tcp.js';
import { portTransport } from './port-transport.js';
import { shapedTransport } from './shaping.js';
import type { PeerInit } from './types.js';
import { ensureWebSocketGlobal } from './websocket-global.js';

/** The DHT protocol id: a private DHT, separate from the public IPFS one. */
export const DHT_PROTOCOL = '/peermpc/kad/1.0.0';

/** The services every peermpc libp2p node runs. */
export type PeerServices = {
  /** kad-dht. */
  dht: KadDHT;
  /** ping. */
  ping: Ping;
  /** identify. */
  identify: Identify;
  /** The circuit relay server, on peers that serve as a relay (nat.ts). */
  relay?: RelayServer;
};

/** A peermpc libp2p node. */
export type PeerNode = Libp2p<PeerServices>;

/** A peer's datastore and its life cycle: on disk (LevelDB) or in memory. */
export interface PeerDatastore {
  /** What libp2p stores into. */
  readonly store: Datastore;
  /** Opens it again after a close (a restarted peer). */
  open(): Promise<void>;
  /** Closes it (idempotent). */
  close(): Promise<void>;
}

/** Opens the datastore of `init`: LevelDB in `<dataDir>/datastore`, or memory (PeerInit.datastore). */
export async function openDatastore(init: Pick<PeerInit, 'dataDir' | 'datastore'>): Promise<PeerDatastore> {
  if (init.datastore === 'memory') {
    const store = new MemoryDatastore();
    return { store, open: async () => undefined, close: async () => undefined };
  }
  const ds = new LevelDatastore(join(init.dataDir, 'datastore'));
  await ds.open();
  return {
    store: ds,
    open: async () => {
      if (ds.db.status !== 'open') await ds.open();
    },
    close: async () => {
      if (ds.db.status === 'open') await ds.close();
    },
  };
}

/** The transports of `init`: TCP (+ WebSockets), or memory; shaped when `init.linkOf` is set. */
function transportsOf(init: PeerInit, punch: PunchTargets): NonNullable<Libp2pOptions['transports']> {
  const shape = <C>(t: (components: C) => Transport): ((components: C) => Transport) =>
    init.linkOf !== undefined ? shapedTransport(t, init.linkOf) : t;
  if (init.transport === 'memory') {
    if (init.websockets === true) throw new TypeError('websockets: not with the memory transport');
    return [shape(init.memoryBroker !== undefined ? portTransport(init.memoryBroker) : memory())];
  }
  // Every TCP peer can dial relayed addresses and listen through a relay (nat.ts).
  // TCP_NODELAY (@libp2p/tcp's default too): an MPC round's small messages go out at once, never
  // held back by Nagle's algorithm waiting for the acknowledgement of the previous round's
  const transports: NonNullable<Libp2pOptions['transports']> = [
    shape(
      init.nat?.holePunch === false
        ? tcp({ dialOpts: { noDelay: true }, listenOpts: { noDelay: true } })
        : reusePortTcp({ dialOpts: { noDelay: true }, listenOpts: { noDelay: true } }, punch),
    ),
  ];
  if (init.websockets === true) {
    ensureWebSocketGlobal();
    transports.push(shape(webSockets()));
  }
  transports.push(relayTransport());
  return transports;
}

/** Creates (does not start) the libp2p node. */
export async function buildLibp2p(
  init: PeerInit,
  privateKey: PrivateKey,
  datastore: PeerDatastore,
  gater: ConnectionGater,
  punch: PunchTargets = new PunchTargets(),
): Promise<PeerNode> {
  const dht = init.dht ?? {};
  const validityMs = dht.provideValidityMs ?? 48 * 3600_000;
  const crypto = fastNoiseCrypto(); // the native ChaCha20-Poly1305 (noise-crypto.ts), if it loads
  const relay = relayServerService(init.nat);
  const options: Libp2pOptions<PeerServices> = {
    privateKey,
    logger: libp2pLogger(),
    datastore: datastore.store,
    start: false,
    addresses: {
      listen: init.listen ?? [init.transport === 'memory' ? `/memory/${randomUUID()}` : '/ip4/0.0.0.0/tcp/0'],
      ...(init.announce !== undefined ? { announce: init.announce } : {}),
    },
    transports: transportsOf(init, punch),
    // One socket write per small message and one window update per half window instead of one
    // per message: the per-message costs of Noise and Yamux that MPC rounds pay (libp2p-tuning.ts)
    // X25519 with raw key imports (noise-x25519.ts): 1.4 ms less per handshake side
    connectionEncrypters: [
      leanNoise(noise({ crypto: withFastX25519(crypto ?? defaultCrypto) }), {
        crypto,
      }),
    ],
    streamMuxers: [lazyWindowUpdates(yamux())],
    connectionGater: gater,
    ...(init.metricsRegistry !== undefined ? { metrics: libp2pMetrics(init) } : {}),
    connectionManager: {
      inboundConnectionThreshold: init.inboundConnectionThreshold ?? 5,
      maxConnections: init.maxConnections ?? 300,
      dialTimeout: init.timeouts?.dialMs ?? 10_000,
    },
    // The connection monitor pings every connection every 10 s and aborts it when a ping fails.
    // Its defaults killed healthy connections under MPC load: a ping waits behind megabytes of
    // shares (and a CPU-bound party), so allow 30 s; and its pings count against the ping
    // service's stream limit (1 by default), so a slow ping made the next one fail at once.
    connectionMonitor: {
      enabled: init.connectionMonitor ?? true,
      pingTimeout: { minTimeout: 30_000, maxTimeout: 120_000 },
    },
    services: {
      ...(relay !== undefined ? { relay } : {}),
      identify: identify(),
      ping: ping({ maxOutboundStreams: 16, maxInboundStreams: 16 }),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper:
          init.allowPrivateAddresses === true ? passthroughMapper : removePrivateAddressesMapper,
        initialQuerySelfInterval: dht.initialQuerySelfInterval ?? 200,
        ...(dht.k !== undefined ? { kBucketSize: dht.k } : {}),
        ...(dht.alpha !== undefined ? { alpha: dht.alpha } : {}),
        ...(dht.disjointPaths !== undefined ? { disjointPaths: dht.disjointPaths } : {}),
        validators: { [DATASET_RECORD_NAMESPACE]: datasetRecordValidator },
        selectors: { [DATASET_RECORD_NAMESPACE]: datasetRecordSelector },
        providers: { provideValidity: Math.ceil(validityMs / 1000) },
        reprovide: {
          validity: validityMs,
          threshold: dht.reprovideThresholdMs ?? Math.floor(validityMs / 2),
          interval: dht.reprovideIntervalMs ?? Math.min(3600_000, Math.floor(validityMs / 4)),
        },
      }),
    },
  };
  const node = await createLibp2p<PeerServices>(options);
  if (dht.admit === 'connected' && !admitConnectedContactsOnly(node))
    throw new TypeError(
      'dht.admit connected: this @libp2p/kad-dht version has no routing-table verify to patch',
    );
  return node;
}

/**
 * libp2p's own metrics (connections, streams and bytes per protocol, DHT queries and routing table,
 * dial errors, Noise handshakes) into the peer's registry: one registry per peer, so that two peers
 * of one process do not clash. The process's CPU and memory metrics are the embedding
 * application's to collect (once per process), not every peer's; the file-system figure is the
 * data directory's.
 */
function libp2pMetrics(init: PeerInit): NonNullable<Libp2pOptions['metrics']> {
  return prometheusMetrics({
    registry: init.metricsRegistry as PrometheusMetricsInit['registry'],
    collectDefaultMetrics: false,
    statfsLocation: init.dataDir,
  });
}
