/**
 * Starting the peers of a simulation on a {@link SimHost} (host.ts: in this thread, or spread
 * over worker threads by workers.ts): three seeds one after another, then small parallel batches,
 * each peer bootstrapping from three earlier peers picked at random (seeded), so that no seed's
 * connection limit turns late joiners away. Jitter is drawn with Math.random: a run's timings are
 * never repeatable, its datasets, jobs and results are.
 */
import type { SimHost } from './host.js';
import { SeededStream } from './data.js';
import { ScenarioError, type Scenario } from './scenario.js';

/** How many peers bootstrap the others. */
const SEEDS = 3;
/** Peers started at once after the seeds. */
const BATCH = 8;

/** The running peers of a simulation. */
export interface SimPeers {
  /** The host the peers run on. */
  readonly host: SimHost;
  /** Whether peer i runs (false while stopped by churn). */
  readonly up: boolean[];
  /** Peer ids by index (kept while a peer is stopped: it comes back with the same key). */
  readonly ids: string[];
  /** Starts peer i again after {@link stop} (churn). */
  start(i: number): Promise<void>;
  /** Stops peer i (churn). */
  stop(i: number): Promise<void>;
}

/**
 * Starts the scenario's peers on `host`; `onStarted` gets the number started so far.
 * @throws {ScenarioError} for per-region links over TCP (an inbound TCP connection's peer is not
 * known before its handshake, so only the default link can shape TCP)
 */
export async function startSimPeers(
  s: Scenario,
  host: SimHost,
  onStarted: (count: number) => void = () => undefined,
): Promise<SimPeers> {
  if (s.transport === 'tcp' && s.links.between.length > 0)
    throw new ScenarioError('links.between', 'links between regions need the memory transport');
  const ids: string[] = [];
  const up: boolean[] = new Array<boolean>(s.peers).fill(false);
  const addrs: string[] = []; // of the peers started so far
  const pick = new SeededStream(s.seed, 3_000_000);
  const bootstrapFor = (i: number): string[] => {
    const chosen = new Set<string>();
    const have = addrs.filter((a) => a !== undefined);
    while (chosen.size < Math.min(SEEDS, have.length, i)) chosen.add(have[pick.int(have.length)]!);
    return [...chosen];
  };
  const startOne = async (i: number, bootstrap: string[]): Promise<void> => {
    await host.knowPeer(await host.prepare(i), i); // every host knows its id before it connects
    const started = await host.startPeer(i, bootstrap);
    up[i] = true;
    ids[i] = started.id;
    addrs[i] = started.addr;
    onStarted(up.filter(Boolean).length);
  };
  for (let i = 0; i < Math.min(SEEDS, s.peers); i++) await startOne(i, bootstrapFor(i));
  for (let i = SEEDS; i < s.peers; i += BATCH) {
    // the batch's bootstrap peers are drawn before any of it starts (the same draws in any host)
    const batch = [...Array(Math.min(BATCH, s.peers - i)).keys()].map((k) => ({
      i: i + k,
      b: bootstrapFor(i + k),
    }));
    await Promise.all(batch.map(async ({ i: j, b }) => startOne(j, b)));
  }
  return {
    host,
    up,
    ids,
    async start(i) {
      if (up[i]) return;
      await host.startPeer(i, bootstrapFor(i));
      up[i] = true;
    },
    async stop(i) {
      up[i] = false;
      await host.stopPeer(i);
    },
  };
}
