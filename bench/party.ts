/**
 * One benchmark party in its own process: a real peer (createPeer on 127.0.0.1, its own data
 * directory) driven by bench/multiprocess.ts over JSON lines, one per message, on stdin (commands)
 * and stdout (answers; everything else the process prints goes to stderr).
 *
 *   node --import tsx bench/party.ts <dataDir> <index>
 *   -> {"ready":true,"peerId":..,"addr":..}
 *   <- {"connect":[addr,...]}                        dial every other party
 *   -> {"connected":true}
 *   <- {"jobId","parties":[peerId,...],"request":RunRequest,"keys"?:[ephemeralHex, ownSeedHex]}
 *   -> {"jobId","result":PartyResult} or {"jobId","error"}
 *   <- {"exit":true}                                  stop the peer and exit
 *
 * Each request opens one MPC session through `Peer.openSession` (Noise, Yamux, the MPC channel),
 * as peers run, and runs the case with bench/party-run.ts. `keys` (tests only) fixes the session
 * keys; session-impl refuses them unless PEERMPC_TEST_ONLY_KEYS=1 in this process's environment.
 *
 * With PEERMPC_BENCH_CPU_PROF=<dir>, the timed runs of each request (not the set-up nor the warm-up)
 * are profiled with the inspector's sampling profiler (every 500 µs) into
 * `<dir>/party-<index>-<protocol>-<case>-<n>.cpuprofile`.
 */
import '../src/polyfills.js';
import { writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { Session as Inspector } from 'node:inspector/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createPeer } from '../src/node/peer.js';
import { createSession } from '../src/protocols/session-impl.js';
import { runParty, sessionSync, type RunRequest, type TimedHooks } from './party-run.js';

const [dataDir, index] = process.argv.slice(2);
if (dataDir === undefined || index === undefined) throw new Error('usage: party.ts <dataDir> <index>');
const stdout = process.stdout.write.bind(process.stdout);
// stdout carries the protocol only: whatever a library prints goes to stderr
console.log = console.error;
console.info = console.error;
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
const out = (v: unknown): void => {
  stdout(JSON.stringify(v) + '\n');
};

const peer = await createPeer({
  dataDir,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  allowPrivateAddresses: true,
  inboundConnectionThreshold: 1000,
  maxFrameBytes: 256 * 1024 * 1024,
});
out({ ready: true, peerId: peer.peerId, addr: peer.multiaddrs()[0] });

interface Cmd {
  exit?: boolean;
  connect?: string[];
  jobId?: string;
  parties?: string[];
  request?: RunRequest;
  keys?: [string, string];
}

const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

const profDir = process.env.PEERMPC_BENCH_CPU_PROF;

/** GC pauses seen while profiling, by kind (V8's PerformanceEntry detail.kind). */
const gcTimes = new Map<string, { count: number; ms: number }>();
let gcObserver: PerformanceObserver | undefined;

function observeGc(): PerformanceObserver {
  gcTimes.clear();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as PerformanceEntry & { detail?: { kind?: number; flags?: number } }).detail;
      const name = gcName(detail?.kind ?? 0, detail?.flags ?? 0);
      const t = gcTimes.get(name) ?? { count: 0, ms: 0 };
      t.count++;
      t.ms += e.duration;
      gcTimes.set(name, t);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return obs;
}

/**
 * A GC pause's name from V8's kind and callback flags: a major collection says what started it when
 * the flags tell (off-heap memory, or the old generation's allocation limit).
 */
function gcName(kind: number, flags: number): string {
  const names: Record<number, string> = { 1: 'minor', 4: 'major', 8: 'incremental', 16: 'weakcb' };
  const name = names[kind] ?? `kind ${kind}`;
  if (kind !== 4) return name;
  if ((flags & 32) !== 0) return `${name} (external memory)`; // kGCCallbackFlagCollectAllExternalMemory
  if ((flags & 64) !== 0) return `${name} (heap limit)`; // kGCCallbackScheduleIdleGarbageCollection
  return name;
}

/** "major (heap limit) 12 x 140 ms, minor 300 x 90 ms": the GC pauses of the profiled runs. */
function gcSummary(): string {
  return [...gcTimes].map(([name, t]) => `${name} ${t.count} x ${t.ms.toFixed(0)} ms`).join(', ');
}

/**
 * Hooks that profile the timed runs of `req` (or none without PEERMPC_BENCH_CPU_PROF), and print
 * the GC pauses of those runs on stderr.
 */
function profiler(req: RunRequest): TimedHooks | undefined {
  if (!profDir) return undefined;
  const inspector = new Inspector();
  const name = [
    `party-${index}`,
    req.protocol || 'none',
    req.spec.name.replaceAll(' ', '-'),
    req.spec.n,
  ].join('-');
  return {
    begin: async () => {
      gcObserver = observeGc();
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 500 });
      await inspector.post('Profiler.start');
    },
    end: async () => {
      const { profile } = await inspector.post('Profiler.stop');
      gcObserver?.disconnect();
      if (gcObserver !== undefined) process.stderr.write(`party ${index} ${name}: ${gcSummary()}\n`);
      writeFileSync(join(profDir, `${name}.cpuprofile`), JSON.stringify(profile));
      inspector.disconnect();
    },
  };
}

async function run(c: Cmd): Promise<unknown> {
  const jobId = c.jobId!;
  const timeouts = { connectMs: 120_000, stepMs: 600_000 };
  const channel = await peer.openSession({ jobId, parties: c.parties!, timeouts });
  const session = await createSession({
    id: jobId,
    channel,
    timeouts: { stepMs: 600_000, sessionMs: 3_600_000 },
    testOnlyKeys: c.keys && { ephemeralSecretKey: unhex(c.keys[0]), ownPrgSeed: unhex(c.keys[1]) },
  });
  try {
    return await runParty(session, c.request!, sessionSync(session), profiler(c.request!));
  } catch (err) {
    session.abort(err as Error); // tells the other parties why, instead of a bare close
    throw err;
  } finally {
    await channel.close();
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as Cmd;
  if (c.exit) {
    void peer.stop().finally(() => process.exit(0));
    return;
  }
  if (c.connect !== undefined) {
    const others = c.connect.filter((a) => !a.endsWith(peer.peerId));
    void Promise.all(others.map((a) => peer.dial(a))).then(
      () => out({ connected: true }),
      (err: Error) => out({ connected: false, error: err.message }),
    );
    return;
  }
  void run(c).then(
    (result) => out({ jobId: c.jobId, result }),
    (err: Error) => out({ jobId: c.jobId, error: `party ${index}: ${err.message}` }),
  );
});
