/**
 * The peers of a simulation: real peers (the daemon's node, DHT, catalog and MPC channel) in this
 * process, over libp2p's memory transport or TCP on 127.0.0.1, with in-memory datastores and the
 * scenario's links shaping every byte (src/node/shaping.ts). Peers start in small parallel
 * batches after three seeds, each bootstrapping from three earlier peers picked at random. Jitter is drawn with Math.random:
 * a run's timings are never repeatable, its datasets, jobs and results are.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createPeer, type Peer } from '../node/peer.js';
import { SeededStream } from './data.js';
import type { LinkShape, PeerInit } from '../node/types.js';
import { ScenarioError, type LinkSpec, type Scenario } from './scenario.js';

/** How many peers bootstrap the others. */
const SEEDS = 3;
/** Peers started at once after the seeds. */
const BATCH = 8;

/** The running peers of a simulation. */
export interface SimPeers {
  /** Peer i of the scenario, or undefined while it is stopped (churn). */
  readonly peers: (Peer | undefined)[];
  /** Peer ids by index (kept while a peer is stopped: it comes back with the same key). */
  readonly ids: string[];
  /** Starts peer i again after {@link stop} (churn). */
  start(i: number): Promise<void>;
  /** Stops peer i (churn). */
  stop(i: number): Promise<void>;
  /** Stops every peer. */
  stopAll(): Promise<void>;
}

function shapeOf(l: LinkSpec): LinkShape | undefined {
  if (l.latencyMs === 0 && l.jitterMs === 0 && l.bandwidthMbps === undefined) return undefined;
  return {
    latencyMs: l.latencyMs,
    jitterMs: l.jitterMs,
    ...(l.bandwidthMbps !== undefined ? { bandwidthMbps: l.bandwidthMbps } : {}),
  };
}

/** The link between peers i and j: the last `between` entry joining their regions, else the default. */
export function linkBetween(s: Scenario, i: number, j: number | undefined): LinkShape | undefined {
  const regionsOf = (p: number): string[] =>
    Object.entries(s.links.regions)
      .filter(([, members]) => members.includes(p))
      .map(([name]) => name);
  if (j !== undefined) {
    const [ri, rj] = [regionsOf(i), regionsOf(j)];
    for (let k = s.links.between.length - 1; k >= 0; k--) {
      const b = s.links.between[k]!;
      if ((ri.includes(b.from) && rj.includes(b.to)) || (ri.includes(b.to) && rj.includes(b.from)))
        return shapeOf(b);
    }
  }
  return shapeOf(s.links.default);
}

/**
 * Starts the scenario's peers under `root` (one data directory each).
 * @throws {ScenarioError} for per-region links over TCP (an inbound TCP connection's peer is not
 * known before its handshake, so only the default link can shape TCP)
 */
export async function startSimPeers(
  s: Scenario,
  root: string,
  onStarted: (count: number) => void = () => undefined,
): Promise<SimPeers> {
  if (s.transport === 'tcp' && s.links.between.length > 0)
    throw new ScenarioError('links.between', 'links between regions need the memory transport');
  const run = randomUUID().slice(0, 8);
  const ids: string[] = [];
  const indexOf = new Map<string, number>();
  const peers: (Peer | undefined)[] = new Array<Peer | undefined>(s.peers).fill(undefined);
  const addrs: string[] = []; // of the peers started so far
  const pick = new SeededStream(s.seed, 3_000_000);
  // three earlier peers at random, so no seed's connection limit turns late joiners away
  const bootstrapFor = (i: number): string[] => {
    const chosen = new Set<string>();
    const have = addrs.filter((a) => a !== undefined);
    while (chosen.size < Math.min(SEEDS, have.length, i)) chosen.add(have[pick.int(have.length)]!);
    return [...chosen];
  };
  const init = (i: number): PeerInit => {
    const listen = s.transport === 'memory' ? `/memory/sim-${run}-${i}` : '/ip4/127.0.0.1/tcp/0';
    return {
      dataDir: join(root, `p${i}`),
      listen: [listen],
      bootstrap: bootstrapFor(i),
      allowPrivateAddresses: true,
      inboundConnectionThreshold: 100_000,
      maxConnections: Math.max(300, 4 * s.peers),
      // no connection dies unnoticed here (a peer that leaves closes its streams or its loopback
      // sockets), and n peers' monitor pings cost n x degree streams every 10 s: at 200 TCP peers,
      // 50 s to connect and discovery p50 668 ms / p95 3.6 s with it, 30 s and 250 / 355 ms without
      connectionMonitor: false,
      transport: s.transport,
      // all on loopback: no NAT to learn about (TCP peers otherwise ask three peers each to dial
      // back, on new connections: at 200 peers on one event loop, probes timed out and retried
      // until the network drowned in connections) and no hole to punch
      nat: { reachability: 'public', holePunch: false },
      datastore: 'memory',
      dht: { initialQuerySelfInterval: 100, ...s.dht },
      linkOf: (remote) => linkBetween(s, i, remote !== undefined ? indexOf.get(remote) : undefined),
    };
  };
  const startOne = async (i: number): Promise<void> => {
    const peer = await createPeer(init(i));
    peers[i] = peer;
    ids[i] = peer.peerId;
    indexOf.set(peer.peerId, i);
    addrs[i] = peer.multiaddrs()[0]!;
    onStarted(peers.filter((p) => p !== undefined).length);
  };
  try {
    for (let i = 0; i < Math.min(SEEDS, s.peers); i++) await startOne(i);
    for (let i = SEEDS; i < s.peers; i += BATCH) {
      await Promise.all([...Array(Math.min(BATCH, s.peers - i)).keys()].map(async (k) => startOne(i + k)));
    }
  } catch (err) {
    await Promise.all(peers.map((p) => p?.stop().catch(() => undefined)));
    throw err;
  }
  return {
    peers,
    ids,
    async start(i) {
      if (peers[i] === undefined) peers[i] = await createPeer(init(i));
    },
    async stop(i) {
      const p = peers[i];
      peers[i] = undefined;
      await p?.stop();
    },
    async stopAll() {
      await Promise.all(peers.map((p) => p?.stop().catch(() => undefined)));
      peers.fill(undefined);
    },
  };
}
