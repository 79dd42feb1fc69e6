/**
 * One party of the net benchmark in its own process (driven by bench/net.ts over stdin/stdout JSON
 * lines): `node --import tsx bench/net-party.ts <dataDir> [bootstrap]` prints
 * `{"ready":true,"peerId":..,"addr":..}`, then for each `{"jobId","parties","case","n","runs"}` runs
 * the case over a libp2p session and prints `{"jobId",..result}` (or `{"jobId","error"}`);
 * `{"exit":true}` stops it.
 */
import '../src/polyfills.js';
import { createInterface } from 'node:readline';
import { createPeer } from '../src/node/peer.js';
import { createSession } from '../src/protocols/session-impl.js';
import { runNetOp, type NetOpCase } from './net-ops.js';

const [dataDir, bootstrap] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: net-party.ts <dataDir> [bootstrap]');
const out = (v: unknown): void => {
  process.stdout.write(JSON.stringify(v) + '\n');
};

const peer = await createPeer({
  dataDir,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  allowPrivateAddresses: true,
  inboundConnectionThreshold: 1000,
  bootstrap: bootstrap ? [bootstrap] : [],
  maxFrameBytes: 256 * 1024 * 1024,
});
out({ ready: true, peerId: peer.peerId, addr: peer.multiaddrs()[0] });

interface Cmd {
  jobId: string;
  parties: string[];
  case: NetOpCase;
  n: number;
  runs: number;
  exit?: boolean;
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as Cmd;
  if (c.exit) {
    void peer.stop().then(() => process.exit(0));
    return;
  }
  void (async () => {
    try {
      const channel = await peer.openSession({
        jobId: c.jobId,
        parties: c.parties,
        timeouts: { stepMs: 600_000 },
      });
      const session = await createSession({ id: c.jobId, channel, timeouts: { stepMs: 600_000 } });
      try {
        out({ jobId: c.jobId, ...(await runNetOp(session, c.case, c.n, c.runs)) });
      } catch (err) {
        session.abort(err as Error); // tells the other parties why, instead of a bare close
        throw err;
      } finally {
        await channel.close();
      }
    } catch (err) {
      out({ jobId: c.jobId, error: (err as Error).message });
    }
  })();
});
