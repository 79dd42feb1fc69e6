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

/** The code a worker evaluates: the compiled entry, or the TypeScript one through tsx. */
function entryCode(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './worker-main.ts' : './worker-main.js', import.meta.url).href;
  if (!fromSource) return `import(${JSON.stringify(entry)})`;
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
}

interface SimWorker {
  worker: Worker;
  rpc: RpcClient;
}

async function startWorker(ctx: SimHostContext, router: PortRouter): Promise<SimWorker> {
  const { port1, port2 } = new MessageChannel();
  router.attach(port1);
  const workerData: SimWorkerData = { scenario: ctx.scenario, run: ctx.run, root: ctx.root, broker: port2 };
  const worker = new Worker(entryCode(), { eval: true, workerData, transferList: [port2] });
  // (never removeAllListeners on a Worker: Node's own listeners keep its port working)
  const ready = new AbortController();
  await new Promise<void>((resolve, reject) => {
    const { signal } = ready;
    worker.once('message', () => resolve());
    worker.on('error', (err) => !signal.aborted && reject(err));
    worker.on(
      'exit',
      (code) => !signal.aborted && reject(new Error(`a simulation worker exited (code ${code})`)),
    );
  });
  ready.abort();
  const rpc = new RpcClient(worker);
  const failed = (why: string): void => rpc.failAll(new Error(`a simulation worker ${why}`));
  worker.on('error', (err) => failed(`failed: ${err.message}`));
  worker.on('exit', (code) => failed(`exited (code ${code})`));
  port1.unref();
  return { worker, rpc };
}

/** Starts `workers` worker threads for the peers of `ctx` (whose `broker` is ignored). */
export async function startWorkerHost(ctx: SimHostContext, workers: number): Promise<SimHost> {
  const router = new PortRouter();
  const started = await Promise.allSettled([...Array(workers).keys()].map(() => startWorker(ctx, router)));
  const all = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = started.find((r) => r.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(all.map((w) => w.worker.terminate()));
    throw failure.reason;
  }
  const of = (i: number): RpcClient => all[i % all.length]!.rpc;
  return {
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
      await Promise.all(all.map((w) => w.rpc.call('close').catch(() => undefined)));
      await Promise.all(all.map((w) => w.worker.terminate()));
    },
  };
}
