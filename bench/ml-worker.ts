/**
 * One party of the threaded benchmark transport (bench/ml-threads.ts): builds its session over the
 * MessagePorts it is given and runs the request with bench/party-run.ts's runParty, then posts
 * `{result}` (or `{result: undefined, error}`).
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { createSession } from '../src/protocols/session-impl.js';
import { PortChannel, type WorkerInit } from './ml-threads.js';
import { runParty, sessionSync } from './party-run.js';

const port = parentPort!;
const init = await new Promise<WorkerInit>((resolve) => port.once('message', resolve));
const channel = new PortChannel(init.parties, init.party, init.ports as (MessagePort | undefined)[]);
try {
  const session = await createSession({
    id: init.sessionId,
    channel,
    timeouts: { stepMs: 600_000, sessionMs: 3_600_000 },
  });
  try {
    port.postMessage({ result: await runParty(session, init.request, sessionSync(session)) });
  } catch (err) {
    session.abort(err as Error);
    throw err;
  }
} catch (err) {
  port.postMessage({ result: undefined, error: `party ${init.party}: ${(err as Error).message}` });
}
