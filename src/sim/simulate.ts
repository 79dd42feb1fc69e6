/**
 * `simulateNetwork(scenario)`: runs a scenario (scenario.ts) on real peers in this process
 * (network.ts) and reports what happened (report.ts): the peers start and find each other, the
 * owners publish their synthetic datasets under an automatic policy; then the timeline starts
 * (time 0 of every `at`): searches measure discovery, the jobs run at their times through the same
 * job service as the daemon's (the requester proposes, owners decide by policy, the compute parties
 * run the protocol), churn stops and restarts peers; each job's released values are compared with
 * the plaintext answer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { shorthandProgram } from '../jobs/program/shorthand.js';
import { SeededStream, datasetCsv } from './data.js';
import { LocalSimHost, type SimHost } from './host.js';
import { startSimPeers, type SimPeers } from './network.js';
import { checkAgainstPlaintext } from './plaintext.js';
import { percentile, type SimChurn, type SimDiscovery, type SimJob, type SimReport } from './report.js';
import { ScenarioError, datasetName, datasetOwners, parseScenario, type Scenario } from './scenario.js';

/** Progress of a run, for a progress bar. */
export interface SimProgress {
  phase: 'start' | 'connect' | 'publish' | 'discovery' | 'jobs' | 'stop';
  done: number;
  total: number;
}

/** Options of {@link simulateNetwork}. */
export interface SimulateOptions {
  /** Called as the run goes (phase, done, total). */
  onProgress?: (p: SimProgress) => void;
  /**
   * Parallel searches (default 1). All peers share this process's CPU: searches run side by side
   * would measure the simulator's CPU (each waiting for the others' work), not the network; one
   * at a time, each measures what one user waits for.
   */
  searchConcurrency?: number;
  /** Give up waiting for a connected network after this many ms (default 120 000). */
  connectTimeoutMs?: number;
  /**
   * Worker threads to spread the peers over (memory transport only; default 0: every peer in
   * this thread). About one per core when one event loop is the limit (workers.ts).
   */
  workers?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitConnected(
  sim: SimPeers,
  timeoutMs: number,
  progress: (done: number) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = Object.values(await sim.host.routingTableSizes()).filter((n) => n >= 1).length;
    progress(ready);
    if (ready === sim.up.length) return;
    if (Date.now() > deadline)
      throw new Error(`only ${ready} of ${sim.up.length} peers joined the DHT within ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function publish(s: Scenario, sim: SimPeers, root: string): Promise<void> {
  for (const owner of datasetOwners(s)) {
    const csvPath = join(root, `data-${owner}.csv`);
    writeFileSync(csvPath, datasetCsv(s, owner));
    await sim.host.publish(owner, csvPath, datasetName(s, owner), s.datasets.tags);
  }
}

/** The (searching peer, owner) pairs of the scenario's searches. */
function searchPlan(s: Scenario): { from: number; owner: number }[] {
  const owners = datasetOwners(s);
  if (s.searches === 'all')
    return [...Array(s.peers).keys()].flatMap((from) => owners.map((owner) => ({ from, owner })));
  const rng = new SeededStream(s.seed, 2_000_000);
  return [...Array(s.searches).keys()].map(() => ({
    from: rng.int(s.peers),
    owner: owners[rng.int(owners.length)]!,
  }));
}

async function discover(
  s: Scenario,
  sim: SimPeers,
  concurrency: number,
  tick: (total: number) => void,
): Promise<SimDiscovery> {
  const plan = searchPlan(s);
  const latencies: number[] = [];
  let found = 0;
  let skipped = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length) {
      const { from, owner } = plan[next++]!;
      if (!sim.up[from] || !sim.up[owner]) {
        skipped++;
        continue;
      }
      const r = await sim.host.search(from, datasetName(s, owner));
      latencies.push(r.ms);
      if (r.owners.includes(sim.ids[owner]!)) found++;
      tick(plan.length);
    }
  };
  await Promise.all([...Array(concurrency).keys()].map(worker));
  return {
    searches: latencies.length,
    found,
    successRate: latencies.length === 0 ? 1 : found / latencies.length,
    skipped,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    maxMs: latencies.length === 0 ? 0 : Math.max(...latencies),
    latenciesMs: latencies,
  };
}

async function runJob(s: Scenario, sim: SimPeers, index: number, began: number): Promise<SimJob> {
  const j = s.jobs[index]!;
  const wait = began + j.at - performance.now();
  if (wait > 0) await sleep(wait);
  const startMs = performance.now() - began;
  const owners = j.datasets.map((d) => datasetOwners(s).find((o) => datasetName(s, o) === d)!);
  const base: SimJob = {
    index,
    requester: j.requester,
    datasets: j.datasets,
    protocol: j.protocol,
    state: 'error',
    startMs,
    ms: 0,
    parties: [],
  };
  const columns = s.datasets.columns.map((c) => c.name);
  const inputs = owners.map((o, k) => ({
    name: `h${k + 1}`,
    owner: sim.ids[o]!,
    dataset: j.datasets[k]!,
    columns,
  }));
  const t0 = performance.now();
  try {
    const program = shorthandProgram({
      inputs: inputs.map((i) => ({ name: i.name, columns })),
      stats: j.stats,
    });
    const final = await sim.host.runJob(j.requester, {
      program,
      inputs,
      protocol: j.protocol,
      ...(j.computeParties !== undefined ? { computeParties: j.computeParties.map((p) => sim.ids[p]!) } : {}),
    });
    const involved = [...new Set([j.requester, ...owners, ...(j.computeParties ?? [])])];
    const all = await Promise.allSettled(involved.map(async (p) => sim.host.jobStats(p, final.id)));
    const parties = involved.flatMap((p, k) => {
      const r = all[k]!;
      const stats = r.status === 'fulfilled' ? r.value : undefined;
      return stats === undefined
        ? []
        : [
            {
              peer: p,
              ms: stats.ms,
              bytesSent: stats.bytesSent,
              bytesReceived: stats.bytesReceived,
              rounds: stats.rounds,
            },
          ];
    });
    const job: SimJob = { ...base, state: final.state, ms: performance.now() - t0, parties };
    if (final.error !== undefined) job.error = `${final.error.name}: ${final.error.message}`.slice(0, 500);
    if (final.result !== undefined) {
      job.result = final.result;
      Object.assign(job, checkAgainstPlaintext(s, owners, j.stats, final.result));
    }
    return job;
  } catch (err) {
    return { ...base, ms: performance.now() - t0, error: String((err as Error).message).slice(0, 500) };
  }
}

async function churn(s: Scenario, sim: SimPeers, began: number): Promise<SimChurn[]> {
  const out: SimChurn[] = [];
  for (const c of [...s.churn].sort((a, b) => a.at - b.at)) {
    const wait = began + c.at - performance.now();
    if (wait > 0) await sleep(wait);
    const event: SimChurn = { ...c, appliedMs: performance.now() - began };
    try {
      await (c.action === 'leave' ? sim.stop(c.peer) : sim.start(c.peer));
    } catch (err) {
      event.error = String((err as Error).message).slice(0, 300);
    }
    out.push(event);
  }
  return out;
}

/** The host of the peers: this thread, or `workers` worker threads (memory transport only). */
async function hostFor(s: Scenario, root: string, workers: number): Promise<SimHost> {
  if (!Number.isInteger(workers) || workers < 0 || workers > 64)
    throw new RangeError(`workers must be an integer from 0 to 64, got ${workers}`);
  const ctx = { scenario: s, run: randomUUID().slice(0, 8), root };
  if (workers === 0) return new LocalSimHost(ctx);
  if (s.transport !== 'memory')
    throw new ScenarioError('transport', 'worker threads need the memory transport (peers joined by ports)');
  const { startWorkerHost } = await import('./workers.js');
  return startWorkerHost(ctx, workers);
}

/**
 * Runs `scenario` (parsed first: a {@link ScenarioError} names a bad field) and returns its report.
 * Peers and their temporary directories are removed at the end, also after a failure.
 */
export async function simulateNetwork(scenario: unknown, options: SimulateOptions = {}): Promise<SimReport> {
  const s = parseScenario(scenario);
  const progress = options.onProgress ?? (() => undefined);
  const root = mkdtempSync(join(tmpdir(), 'peermpc-sim-'));
  let rss = process.memoryUsage().rss;
  const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 250);
  let host: SimHost | undefined;
  try {
    const t0 = performance.now(); // worker threads starting count in the time to start
    host = await hostFor(s, root, options.workers ?? 0);
    const sim = await startSimPeers(s, host, (n) => progress({ phase: 'start', done: n, total: s.peers }));
    const startMs = performance.now() - t0;
    await waitConnected(sim, options.connectTimeoutMs ?? 120_000, (n) =>
      progress({ phase: 'connect', done: n, total: s.peers }),
    );
    const connectedMs = performance.now() - t0;
    const needed = new Set([
      ...datasetOwners(s),
      ...s.jobs.flatMap((j) => [j.requester, ...(j.computeParties ?? [])]),
    ]);
    for (const i of needed) await host.enableJobs(i);
    progress({ phase: 'publish', done: 0, total: datasetOwners(s).length });
    await publish(s, sim, root);
    // the timeline: searches from its start, jobs and churn at their times, all at once
    const began = performance.now();
    let searched = 0;
    let finished = 0;
    const [discovery, jobs, churned] = await Promise.all([
      discover(s, sim, options.searchConcurrency ?? 1, (total) =>
        progress({ phase: 'discovery', done: ++searched, total }),
      ),
      Promise.all(
        s.jobs.map(async (_, i) => {
          const r = await runJob(s, sim, i, began);
          progress({ phase: 'jobs', done: ++finished, total: s.jobs.length });
          return r;
        }),
      ),
      churn(s, sim, began),
    ]);
    rss = Math.max(rss, process.memoryUsage().rss);
    return {
      peers: s.peers,
      transport: s.transport,
      seed: s.seed,
      startMs,
      connectedMs,
      rssMiB: rss / 2 ** 20,
      discovery,
      jobs,
      churn: churned,
    };
  } finally {
    clearInterval(sampler);
    progress({ phase: 'stop', done: 0, total: 1 });
    try {
      await host?.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
}
