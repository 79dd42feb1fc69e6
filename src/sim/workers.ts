/**
 * A simulation's peers spread over worker threads (about one per core), for when one event loop
 * is the limit: peer i runs in worker i mod W, each worker a {@link LocalSimHost} (worker-main.ts)
 * driven by calls (rpc.ts). Peers of different workers connect over MessagePorts joined by the
 * main thread's {@link PortRouter} (broker.ts, src/node/port-transport.ts); memory addresses
 * only (TCP peers need no broker, but their sockets are not what this is for).
 *
 * The workers share this process: its RSS counts them all. Each loads its own copy of the
 * modules (libp2p, the kernels), about 60-100 MiB per worker before any peer.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { JobRequest } from '../jobs/service/request.js';
import type { JobRecord, JobStats } from '../jobs/store.js';
import { PortRouter } from './broker.js';
import type { SimHost, SimHostContext, SimSearch, SimStarted } from './host.js';
import { RpcClient } from './rpc.js';
import type { SimWorkerData } from './worker-main.js';

/** How long a worker may take to load its modules. */
const START_TIMEOUT_MS = 60_000;
/** How long a worker may take to stop its peers before it is terminated. */
const CLOSE_TIMEOUT_MS = 15_000;

/** The code a worker evaluates: the compiled entry, or the TypeScript one through tsx. */
function entryCode(): string {
  const fromSource = new URL(import.meta.url).pathname.endsWith('.ts');
  const entry = new URL(fromSource ? './worker-main.ts' : './worker-main.js', import.meta.url).href;
  if (!fromSource) return `import(${JSON.stringify(entry)})`;
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
}

interface SimWorker {
  worker: Worker;
  rpc: RpcClient;
}

/** Resolves when `worker` says it is ready; rejects when it fails, exits or takes too long. */
function readyOf(worker: Worker): Promise<void> {
  const done = new AbortController();
  return new Promise<void>((resolve, reject) => {
    const { signal } = done;
    const fail = (err: Error): void => {
      if (!signal.aborted) reject(err);
      done.abort();
    };
    const timer = setTimeout(
      () => fail(new Error(`a simulation worker was not ready within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    worker.once('message', () => {
      clearTimeout(timer);
      done.abort();
      resolve();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a simulation worker exited (code ${code})`)));
  });
}

async function startWorker(ctx: SimHostContext, router: PortRouter, onDeath: () => void): Promise<SimWorker> {
  const { port1, port2 } = new MessageChannel();
  router.attach(port1);
  port1.unref();
  const workerData: SimWorkerData = { scenario: ctx.scenario, run: ctx.run, root: ctx.root, broker: port2 };
  const worker = new Worker(entryCode(), { eval: true, workerData, transferList: [port2] });
  // (never removeAllListeners on a Worker: Node's own listeners keep its port working)
  try {
    await readyOf(worker);
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  const rpc = new RpcClient(worker);
  const failed = (why: string): void => {
    rpc.failAll(new Error(`a simulation worker ${why}`));
    onDeath();
  };
  worker.on('error', (err) => failed(`failed: ${err.message.slice(0, 300)}`));
  worker.on('exit', (code) => failed(`exited (code ${code})`));
  return { worker, rpc };
}

/**
 * Starts `workers` worker threads for the peers of `ctx` (whose `broker` is ignored). When one
 * worker dies, every call fails at once: its peers are gone, so the simulation is.
 */
export async function startWorkerHost(ctx: SimHostContext, workers: number): Promise<SimHost> {
  const router = new PortRouter();
  const all: SimWorker[] = [];
  let closing = false;
  const onDeath = (): void => {
    if (closing) return;
    closing = true;
    for (const w of all) w.rpc.failAll(new Error('another simulation worker died'));
    void Promise.all(all.map((w) => w.worker.terminate()));
  };
  const started = await Promise.allSettled(
    [...Array(workers).keys()].map(() => startWorker(ctx, router, onDeath)),
  );
  all.push(...started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
  const failure = started.find((r) => r.status === 'rejected');
  if (failure !== undefined) {
    closing = true;
    await Promise.all(all.map((w) => w.worker.terminate()));
    throw failure.reason;
  }
  const of = (i: number): RpcClient => all[i % all.length]!.rpc;
  return {
    prepare: (i: number) => of(i).call<string>('prepare', i),
    startPeer: (i: number, bootstrap: string[]) => of(i).call<SimStarted>('startPeer', i, bootstrap),
    knowPeer: async (id: string, i: number) => {
      await Promise.all(all.map((w) => w.rpc.call('knowPeer', id, i)));
    },
    stopPeer: (i: number) => of(i).call<void>('stopPeer', i),
    routingTableSizes: async () =>
      Object.assign(
        {},
        ...(await Promise.all(all.map((w) => w.rpc.call<Record<number, number>>('routingTableSizes')))),
      ),
    enableJobs: (i: number) => of(i).call<void>('enableJobs', i),
    publish: (owner: number, csvPath: string, name: string, tags: string[]) =>
      of(owner).call<void>('publish', owner, csvPath, name, tags),
    search: (from: number, name: string) => of(from).call<SimSearch>('search', from, name),
    runJob: (requester: number, request: JobRequest) =>
      of(requester).call<JobRecord>('runJob', requester, request),
    jobStats: (i: number, id: string) => of(i).call<JobStats | undefined>('jobStats', i, id),
    close: async () => {
      closing = true;
      const late = (): Promise<void> => new Promise((r) => setTimeout(r, CLOSE_TIMEOUT_MS).unref());
      await Promise.all(all.map((w) => Promise.race([w.rpc.call('close').catch(() => undefined), late()])));
      await Promise.all(all.map((w) => w.worker.terminate()));
    },
  };
}
