/**
 * One party of the threaded ml benchmark (bench/ml-threads.ts): builds its session over the
 * MessagePorts it is given, shares the case's inputs, then runs the case each time the coordinator
 * says go, reporting ready/done around each run and its counters at the end.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { protocolFactory } from '../src/protocols/registry.js';
import { createSession } from '../src/protocols/session-impl.js';
import { mlCase } from './ml.js';
import { PortChannel, type WorkerInit } from './ml-threads.js';

const port = parentPort!;
const init = await new Promise<WorkerInit>((resolve) => port.once('message', resolve));
const gos: number[] = [];
let wake: (() => void) | undefined;
port.on('message', (m: { go?: number }) => {
  if (m.go === undefined) return;
  gos.push(m.go);
  wake?.();
});
const nextGo = async (): Promise<void> => {
  while (gos.length === 0) await new Promise<void>((r) => (wake = r));
  gos.shift();
};

const channel = new PortChannel(init.parties, init.party, init.ports as (MessagePort | undefined)[]);
const session = await createSession({ id: init.sessionId, channel, timeouts: { stepMs: 600_000 } });
const p = protocolFactory(init.protocol).create(session);
const c = mlCase(init.caseName);
const xs = await c.setup(p);
let bytes = 0;
let rounds = 0;
for (let r = 0; r <= init.runs; r++) {
  port.postMessage({ ready: r });
  await nextGo();
  const b0 = session.stats.bytesSent;
  const r0 = session.stats.rounds;
  await c.run(p, xs);
  bytes = session.stats.bytesSent - b0;
  rounds = session.stats.rounds - r0;
  port.postMessage({ done: r });
}
port.postMessage({ result: { bytes, rounds } });
