/**
 * A peer in its own process, driven by the tests through JSON lines on stdin/stdout.
 *
 * Usage: node --import tsx test/node/party-process.ts <dataDir> [bootstrap multiaddr]
 * Prints `{"ready":true,"peerId":..,"addr":..}` once listening, then obeys:
 * - `{"cmd":"session","jobId":..,"parties":[..],"steps":N,"stepMs":..,"bytes":..}`: opens the session
 *   and runs N lockstep rounds (send `bytes` to every other party, receive from every other),
 *   printing `{"progress":step}` every 10 rounds and `{"done":jobId,"sum":..}` or
 *   `{"error":name,"party":..,"message":..}`; with `"busyAt":S,"busyMs":M`, this party works for
 *   M ms (CPU in 20 ms slices, yielding between them) before sending step S;
 * - `{"cmd":"exit"}`: stops the peer and exits.
 */
import { createInterface } from 'node:readline';
import { createPeer } from '../../src/node/peer.js';
import { testInit } from './net-helpers.js';

const [dataDir, bootstrap] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: party-process.ts <dataDir> [bootstrap]');
const out = (v: unknown): void => {
  process.stdout.write(JSON.stringify(v) + '\n');
};

const peer = await createPeer(testInit(dataDir, { bootstrap: bootstrap ? [bootstrap] : [] }));
out({ ready: true, peerId: peer.peerId, addr: peer.multiaddrs()[0] });

interface SessionCmd {
  cmd: 'session';
  jobId: string;
  parties: string[];
  steps: number;
  stepMs?: number;
  bytes?: number;
  busyAt?: number;
  busyMs?: number;
}

/** Burns CPU for `ms` in 20 ms slices, yielding to the event loop between them (a busy party). */
async function busy(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const slice = performance.now() + 20;
    while (performance.now() < slice) Math.sqrt(Math.random());
    await new Promise((r) => setImmediate(r));
  }
}

async function runSession(c: SessionCmd): Promise<void> {
  const ch = await peer.openSession({
    jobId: c.jobId,
    parties: c.parties,
    timeouts: { stepMs: c.stepMs ?? 10_000 },
  });
  let sum = 0;
  try {
    const payload = new Uint8Array(c.bytes ?? 1024).fill(ch.self + 1);
    for (let step = 0; step < c.steps; step++) {
      if (step === c.busyAt) await busy(c.busyMs ?? 0);
      const others = [...Array(ch.parties).keys()].filter((p) => p !== ch.self);
      await Promise.all(others.map((p) => ch.send(p, step, payload)));
      const got = await Promise.all(others.map((p) => ch.recv(p, step)));
      for (const g of got) sum += g[0]!;
      if (step % 10 === 0) out({ progress: step, jobId: c.jobId });
      await new Promise((r) => setTimeout(r, 5));
    }
    out({ done: c.jobId, sum });
  } catch (err) {
    const e = err as Error & { party?: number };
    out({ error: e.name, party: e.party, message: e.message, jobId: c.jobId });
    ch.abort(e);
  } finally {
    await ch.close();
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const c = JSON.parse(line) as SessionCmd | { cmd: 'exit' };
  if (c.cmd === 'exit') {
    void peer.stop().then(() => process.exit(0));
    return;
  }
  runSession(c).catch((err: Error) => out({ error: err.name, message: err.message, jobId: c.jobId }));
});
