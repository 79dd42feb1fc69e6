/**
 * A worker thread of a simulation (workers.ts starts it): runs its share of the peers in a
 * {@link LocalSimHost} and answers the main thread's calls (rpc.ts). Memory addresses are joined
 * across threads by a {@link PortRegistry} on the port the main thread gave it.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import '../polyfills.js';
import type { JobRequest } from '../jobs/service/request.js';
import { PortRegistry } from './broker.js';
import { LocalSimHost } from './host.js';
import { serveRpc } from './rpc.js';
import type { Scenario } from './scenario.js';

/** What the main thread hands a worker at its start. */
export interface SimWorkerData {
  scenario: Scenario;
  run: string;
  root: string;
  broker: MessagePort;
}

const data = workerData as SimWorkerData;
const registry = new PortRegistry(data.broker);
const host = new LocalSimHost({ scenario: data.scenario, run: data.run, root: data.root, broker: registry });

serveRpc(parentPort!, {
  prepare: (i: number) => host.prepare(i),
  startPeer: (i: number, bootstrap: string[]) => host.startPeer(i, bootstrap),
  knowPeer: (id: string, i: number) => host.knowPeer(id, i),
  stopPeer: (i: number) => host.stopPeer(i),
  routingTableSizes: () => host.routingTableSizes(),
  enableJobs: (i: number) => host.enableJobs(i),
  publish: (owner: number, csvPath: string, name: string, tags: string[]) =>
    host.publish(owner, csvPath, name, tags),
  search: (from: number, name: string) => host.search(from, name),
  runJob: (requester: number, request: JobRequest) => host.runJob(requester, request),
  jobStats: (i: number, id: string) => host.jobStats(i, id),
  close: async () => {
    await host.close();
    registry.close();
  },
});
parentPort!.postMessage('ready');
