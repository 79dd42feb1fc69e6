/**
 * The peers of one thread of a simulation, behind calls by peer index that take and return plain
 * data: the main thread drives them the same way whether they run beside it ({@link LocalSimHost})
 * or in worker threads (workers.ts, which serves a LocalSimHost in each worker). Each peer is a
 * real peer (the daemon's node, DHT, catalog, job service and MPC channel) with an in-memory
 * datastore, on the scenario's transport, shaped by the scenario's links.
 */
import { join } from 'node:path';
import { jobServiceForPeer } from '../jobs/service/for-peer.js';
import type { JobRequest } from '../jobs/service/request.js';
import type { JobService } from '../jobs/service/service.js';
import { isFinal } from '../jobs/state.js';
import type { JobRecord, JobStats } from '../jobs/store.js';
import { peerIdOfDataDir } from '../node/identity.js';
import { createPeer, type Peer } from '../node/peer.js';
import type { PortBroker } from '../node/port-transport.js';
import type { PeerInit } from '../node/types.js';
import { linkBetween } from './links.js';
import type { Scenario } from './scenario.js';

/** A started peer: its id and the address others bootstrap from. */
export interface SimStarted {
  id: string;
  addr: string;
}

/** One search's outcome: its latency and the owners it found (peer ids). */
export interface SimSearch {
  ms: number;
  owners: string[];
}

/** What the main thread asks of the peers of a simulation, by peer index. */
export interface SimHost {
  /**
   * Peer i's id, its key made if it has none yet: told to every host ({@link knowPeer}) before
   * the peer starts, so the first connections of a peer are shaped by the right link.
   */
  prepare(i: number): Promise<string>;
  /** Starts peer i (again, after a stop: same key) bootstrapping from `bootstrap`. */
  startPeer(i: number, bootstrap: string[]): Promise<SimStarted>;
  /** Tells the host that peer id `id` is peer i (for the links of its connections). */
  knowPeer(id: string, i: number): Promise<void>;
  /** Stops peer i (churn), if running. */
  stopPeer(i: number): Promise<void>;
  /** Routing-table sizes of the running peers, by index. */
  routingTableSizes(): Promise<Record<number, number>>;
  /** Starts peer i's job service (owners, requesters, compute parties), also after a restart. */
  enableJobs(i: number): Promise<void>;
  /** Peer `owner` publishes the CSV at `csvPath`, waits until it is advertised, approves jobs on it. */
  publish(owner: number, csvPath: string, name: string, tags: string[]): Promise<void>;
  /** Peer `from` searches for the dataset named `name` (exact name). */
  search(from: number, name: string): Promise<SimSearch>;
  /** Peer `requester` submits `request` and waits for its final record. */
  runJob(requester: number, request: JobRequest): Promise<JobRecord>;
  /** Peer i's stats of job `id`, if it took part. */
  jobStats(i: number, id: string): Promise<JobStats | undefined>;
  /** Stops every peer and frees the host. */
  close(): Promise<void>;
}

/** Where a host's peers live and how they reach each other. */
export interface SimHostContext {
  scenario: Scenario;
  /** A tag of this run, in every memory address (runs of one process do not clash). */
  run: string;
  /** Data directories go under it: `<root>/p<i>`. */
  root: string;
  /** Joins memory addresses across threads (workers); absent: libp2p's memory transport. */
  broker?: PortBroker;
}

/** How long a simulated job may take, proposal to final state. */
const JOB_DEADLINE_MS = 10 * 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The peers of a simulation that run in this thread. */
export class LocalSimHost implements SimHost {
  private readonly peers = new Map<number, Peer>();
  private readonly services = new Map<number, JobService>();
  private readonly jobs = new Set<number>();
  private readonly indexOf = new Map<string, number>();
  private closed = false;

  constructor(private readonly ctx: SimHostContext) {}

  private dataDir(i: number): string {
    return join(this.ctx.root, `p${i}`);
  }

  /** Peer i, if it runs here (for tests). */
  peer(i: number): Peer | undefined {
    return this.peers.get(i);
  }

  private init(i: number, bootstrap: string[]): PeerInit {
    const s = this.ctx.scenario;
    const listen = s.transport === 'memory' ? `/memory/sim-${this.ctx.run}-${i}` : '/ip4/127.0.0.1/tcp/0';
    return {
      dataDir: this.dataDir(i),
      listen: [listen],
      bootstrap,
      allowPrivateAddresses: true,
      inboundConnectionThreshold: 100_000,
      maxConnections: Math.max(300, 4 * s.peers),
      // no connection dies unnoticed here (a peer that leaves closes its streams or its loopback
      // sockets), and n peers' monitor pings cost n x degree streams every 10 s: at 200 TCP peers,
      // 50 s to connect and discovery p50 668 ms / p95 3.6 s with it, 30 s and 250 / 355 ms without
      connectionMonitor: false,
      transport: s.transport,
      ...(s.transport === 'memory' && this.ctx.broker !== undefined ? { memoryBroker: this.ctx.broker } : {}),
      // all on loopback: no NAT to learn about (TCP peers otherwise ask three peers each to dial
      // back, on new connections: at 200 peers on one event loop, probes timed out and retried
      // until the network drowned in connections) and no hole to punch
      nat: { reachability: 'public', holePunch: false },
      datastore: 'memory',
      dht: { initialQuerySelfInterval: 100, ...s.dht },
      linkOf: (remote) => linkBetween(s, i, remote !== undefined ? this.indexOf.get(remote) : undefined),
    };
  }

  private running(i: number): Peer {
    const p = this.peers.get(i);
    if (p === undefined) throw new Error(`peer ${i} is not running`);
    return p;
  }

  private service(i: number): JobService {
    const svc = this.services.get(i);
    if (svc === undefined) throw new Error(`peer ${i} runs no job service`);
    return svc;
  }

  async prepare(i: number): Promise<string> {
    return peerIdOfDataDir(this.dataDir(i));
  }

  async startPeer(i: number, bootstrap: string[]): Promise<SimStarted> {
    if (this.peers.has(i)) throw new Error(`peer ${i} is already running`);
    const peer = await createPeer(this.init(i, bootstrap));
    if (this.closed) {
      await peer.stop(); // started while the host closed (another start of its batch failed)
      throw new Error(`peer ${i} started after the simulation stopped`);
    }
    this.peers.set(i, peer);
    this.indexOf.set(peer.peerId, i);
    if (this.jobs.has(i)) this.services.set(i, jobServiceForPeer(peer, this.dataDir(i)));
    return { id: peer.peerId, addr: peer.multiaddrs()[0]! };
  }

  async knowPeer(id: string, i: number): Promise<void> {
    this.indexOf.set(id, i);
  }

  async stopPeer(i: number): Promise<void> {
    const p = this.peers.get(i);
    this.peers.delete(i);
    this.services.get(i)?.stop();
    this.services.delete(i);
    await p?.stop();
  }

  async routingTableSizes(): Promise<Record<number, number>> {
    return Object.fromEntries([...this.peers].map(([i, p]) => [i, p.status().routingTableSize]));
  }

  async enableJobs(i: number): Promise<void> {
    this.jobs.add(i);
    if (!this.services.has(i))
      this.services.set(i, jobServiceForPeer(this.running(i), join(this.ctx.root, `p${i}`)));
  }

  async publish(owner: number, csvPath: string, name: string, tags: string[]): Promise<void> {
    const peer = this.running(owner);
    await peer.datasets.add({ csvPath, name, tags });
    // the timeline starts once every dataset is in the DHT (a provide outlasts add's wait on a busy host)
    const deadline = Date.now() + 60_000;
    while ((await peer.datasets.get(name))?.advertised !== true) {
      if (Date.now() > deadline) throw new Error(`${name} was not advertised within 60 s`);
      await sleep(100);
    }
    await this.service(owner).setPolicy(name, {
      approval: 'auto',
      requesters: ['*'],
      ops: ['*'],
      outputs: ['*'],
      minRows: 1,
      computeParties: ['*'],
    });
  }

  async search(from: number, name: string): Promise<SimSearch> {
    const peer = this.running(from);
    const t0 = performance.now();
    const r = await peer.datasets.search(name, { by: 'name', exact: true }).catch(() => undefined);
    return { ms: performance.now() - t0, owners: r?.found.map((d) => d.description.owner) ?? [] };
  }

  async runJob(requester: number, request: JobRequest): Promise<JobRecord> {
    const svc = this.service(requester);
    const record = await svc.submit(request);
    const deadline = Date.now() + JOB_DEADLINE_MS;
    let after = 0;
    while (!isFinal(svc.store.get(record.id).state)) {
      if (this.services.get(requester) !== svc) throw new Error(`the requester (peer ${requester}) left`);
      if (Date.now() > deadline)
        throw new Error(`job ${record.id.slice(0, 12)} not final within ${JOB_DEADLINE_MS} ms`);
      const events = await svc.events.wait(record.id, after, 5_000);
      after = events.at(-1)?.seq ?? after;
    }
    return svc.store.get(record.id);
  }

  async jobStats(i: number, id: string): Promise<JobStats | undefined> {
    return this.services.get(i)?.store.find(id)?.stats;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const svc of this.services.values()) svc.stop();
    this.services.clear();
    await Promise.all([...this.peers.values()].map((p) => p.stop().catch(() => undefined)));
    this.peers.clear();
  }
}
