/**
 * `npm run bench -- net`: what the network layer costs.
 *
 * Cases (rows {suite, case, n, protocol, parties, transport, median_ms, p95_ms, ops_per_s,
 * bytes_per_party, rounds, ...}):
 * - `stream` / `channel`: throughput of one raw libp2p stream (1 MiB writes) and of the MPC
 *   Channel (1 MiB payloads, one per step) between two peers in this process; n = MiB moved,
 *   ops_per_s = MB/s. The `channel` row's `vs_stream` is its share of the raw stream's throughput,
 *   measured alternately so machine load hits both alike.
 * - `rtt`: a 32-byte channel ping-pong (n round trips); median and p95 of one round trip.
 * - `discovery`: 20 peers in this process; one adds a dataset, the others search for it by name;
 *   median and p95 of one search (DHT lookup + catalog fetch + signature check).
 * - `rounds` (n = 1000): 1,000 rounds among three parties, in each of which every party sends 8
 *   bytes to each other party and waits for theirs; median_ms and p95_ms are those of one round
 *   (from the moment the last party ended the previous round to the moment the last party ended
 *   this one, pooled over the runs); bytes_per_party, rounds and cpu_ms are per round too.
 * - `mul` (n = 1e6) and `matmul` (n = 512) with rep3, the mpc suite's cases (bench/cases.ts).
 * - `wire` (bench/wire.ts): CPU per MiB of loopback TCP between two processes and of Noise's
 *   cipher, below peermpc and libp2p: what a case's bytes cost at least.
 * - `throughput` (n = 256): one MPC channel between two parties moving n MiB in 8 MiB messages
 *   (party 0 to party 1; a third party idles); ops_per_s is bytes per second, so over libp2p-tcp it
 *   is the throughput of one channel between two processes (Noise, Yamux, frames, reassembly).
 * `rounds`, `mul`, `matmul` and `throughput` run on transport `memory` (simulate, in-memory channels, one
 * thread) and `libp2p-tcp` (three parties in three processes on loopback, each a real peer;
 * bench/multiprocess.ts); their rows add cpu_ms, cpu_ms_per_party (libp2p-tcp), vs_memory
 * (libp2p-tcp: its median over the memory row's) and kernel.
 */
import '../src/polyfills.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Stream } from '@libp2p/interface';
import type { PeerNode } from '../src/node/libp2p-node.js';
import { createPeer, type Peer, type PeerInit } from '../src/node/peer.js';
import type { CaseSpec } from './cases.js';
import { median, percentile, progress, type Row, type SuiteOptions } from './harness.js';
import { wireRows } from './wire.js';
import { chooseTransports, compareTransports, nonTransportFilters, TransportRunner } from './transports.js';

const MiB = 1 << 20;
/** MiB moved per throughput run. */
const TP_MIB = 64;

function init(dataDir: string, extra: Partial<PeerInit> = {}): PeerInit {
  return {
    dataDir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    allowPrivateAddresses: true,
    inboundConnectionThreshold: 10_000,
    dht: { initialQuerySelfInterval: 100 },
    maxFrameBytes: 256 * MiB,
    ...extra,
  };
}

const nodeOf = (p: Peer): PeerNode => (p as unknown as { node: PeerNode }).node;

async function startPeers(root: string, n: number): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (let i = 0; i < n; i++) {
    const bootstrap = i === 0 ? [] : [peers[0]!.multiaddrs()[0]!];
    peers.push(await createPeer(init(join(root, `p${i}`), { bootstrap })));
  }
  const deadline = Date.now() + 60_000;
  while (!peers.every((p) => p.status().routingTableSize >= 1)) {
    if (Date.now() > deadline) throw new Error('peers did not find each other within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return peers;
}

async function rawStreamMbps(a: Peer, b: Peer, mib: number): Promise<number> {
  const chunk = new Uint8Array(MiB);
  const s: Stream = await nodeOf(a).dialProtocol(peerIdFromString(b.peerId), '/peermpc-bench/raw/1.0.0');
  const done = new Promise((r) => s.addEventListener('message', r, { once: true }));
  const t0 = performance.now();
  for (let i = 0; i < mib; i++) if (!s.send(chunk)) await s.onDrain();
  await done;
  const ms = performance.now() - t0;
  await s.close();
  return mib / (ms / 1000);
}

async function channelMbps(a: Peer, b: Peer, mib: number, jobId: string): Promise<number> {
  const parties = [a.peerId, b.peerId];
  const [ca, cb] = await Promise.all([a.openSession({ jobId, parties }), b.openSession({ jobId, parties })]);
  const chunk = new Uint8Array(MiB);
  const t0 = performance.now();
  const recv = (async () => {
    for (let i = 0; i < mib; i++) await cb.recv(0, i);
  })();
  for (let i = 0; i < mib; i++) await ca.send(1, i, chunk);
  await recv;
  const ms = performance.now() - t0;
  await Promise.all([ca.close(), cb.close()]);
  return mib / (ms / 1000);
}

async function rttCase(a: Peer, b: Peer, n: number): Promise<number[]> {
  const parties = [a.peerId, b.peerId];
  const [ca, cb] = await Promise.all([
    a.openSession({ jobId: 'bench-rtt', parties }),
    b.openSession({ jobId: 'bench-rtt', parties }),
  ]);
  const small = new Uint8Array(32);
  const echo = (async () => {
    for (let i = 0; i < n; i++) {
      await cb.recv(0, i);
      await cb.send(0, i, small);
    }
  })();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await ca.send(1, i, small);
    await ca.recv(1, i);
    times.push(performance.now() - t0);
  }
  await echo;
  await Promise.all([ca.close(), cb.close()]);
  return times;
}

async function transportRows(root: string, runs: number): Promise<Row[]> {
  progress('net: stream vs channel throughput, rtt (2 peers, one process)');
  const [a, b] = (await startPeers(join(root, 'pair'), 2)) as [Peer, Peer];
  try {
    await nodeOf(b).handle('/peermpc-bench/raw/1.0.0', (stream) => {
      let n = 0;
      stream.addEventListener('message', (e) => {
        n += e.data.byteLength;
        if (n === TP_MIB * MiB) stream.send(new Uint8Array(1));
      });
    });
    const mib = TP_MIB;
    const raw: number[] = [];
    const chan: number[] = [];
    await rawStreamMbps(a, b, mib);
    await channelMbps(a, b, mib, 'bench-warm');
    for (let r = 0; r < runs; r++) {
      raw.push(await rawStreamMbps(a, b, mib));
      chan.push(await channelMbps(a, b, mib, `bench-tp-${r}`));
    }
    const rtt = await rttCase(a, b, 1000);
    const row = (c: string, mbps: number[]): Row => ({
      suite: 'net',
      case: c,
      n: mib,
      protocol: '',
      parties: 2,
      transport: 'libp2p-tcp',
      median_ms: median(mbps.map((v) => (mib / v) * 1000)),
      p95_ms: percentile(
        mbps.map((v) => (mib / v) * 1000),
        95,
      ),
      ops_per_s: median(mbps) * 1.048576,
      bytes_per_party: mib * MiB,
      rounds: c === 'channel' ? mib : 0,
    });
    return [
      row('stream', raw),
      { ...row('channel', chan), vs_stream: median(chan) / median(raw) },
      {
        suite: 'net',
        case: 'rtt',
        n: 1000,
        protocol: '',
        parties: 2,
        transport: 'libp2p-tcp',
        median_ms: median(rtt),
        p95_ms: percentile(rtt, 95),
        ops_per_s: 1000 / median(rtt),
        bytes_per_party: 32 * 1000,
        rounds: 1000,
      },
    ];
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

async function discoveryRow(root: string, runs: number): Promise<Row> {
  const n = 20;
  progress(`net: discovery among ${n} peers`);
  const peers = await startPeers(join(root, 'disc'), n);
  try {
    const csv = join(root, 'd.csv');
    writeFileSync(csv, 'a,b\n1,2\n3,4\n');
    await peers[0]!.datasets.add({ csvPath: csv, name: 'bench-data', tags: ['bench'] });
    // warm-up: every peer searches once (this also fills the routing tables of late joiners)
    await Promise.all(peers.slice(1).map((p) => p.datasets.search('bench-data')));
    const times: number[] = [];
    const searches = Math.max(runs * 4, 19);
    for (let i = 0; i < searches; i++) {
      const p = peers[1 + (i % (n - 1))]!;
      const t0 = performance.now();
      const r = await p.datasets.search('bench-data');
      times.push(performance.now() - t0);
      if (r.found.length !== 1) throw new Error(`discovery: peer ${i} found ${r.found.length} datasets`);
    }
    return {
      suite: 'net',
      case: 'discovery',
      n,
      protocol: '',
      parties: n,
      transport: 'libp2p-tcp',
      median_ms: median(times),
      p95_ms: percentile(times, 95),
      ops_per_s: 1000 / median(times),
      bytes_per_party: null,
      rounds: null,
    };
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
  }
}

/** The cases run on both transports: rep3 mul 1e6 and matmul 512, rounds (n = 1000), throughput (256 MiB). */
const MULTI: { spec: CaseSpec; protocol: string }[] = [
  { spec: { suite: 'mpc', name: 'mul', n: 1e6 }, protocol: 'rep3' },
  { spec: { suite: 'mpc', name: 'matmul', n: 512 }, protocol: 'rep3' },
  { spec: { suite: 'net', name: 'rounds', n: 1000 }, protocol: '' },
  { spec: { suite: 'net', name: 'throughput', n: 256 }, protocol: '' },
];

async function transportCompareRows(opts: SuiteOptions, names: string[]): Promise<Row[]> {
  const transports = chooseTransports(opts, ['memory', 'libp2p-tcp'], ['memory', 'libp2p-tcp']);
  const cases = MULTI.filter((c) => names.length === 0 || names.includes(c.spec.name));
  const rows: Row[] = [];
  const runner = new TransportRunner();
  try {
    for (const { spec, protocol } of cases) {
      const req = { protocol, spec, runs: opts.runs, warmupMs: opts.warmupMs };
      rows.push(...(await compareTransports(runner, 'net', req, transports, progress, { p95: true })));
    }
  } finally {
    await runner.close();
  }
  return rows;
}

/**
 * Runs the net suite; `only` filters by case name (stream, channel, rtt, discovery, wire, mul,
 * matmul, rounds, throughput) and transport (memory, libp2p-tcp: mul, matmul, rounds and throughput
 * only; or `--transport`).
 */
export async function benchNet(opts: SuiteOptions): Promise<Row[]> {
  const root = mkdtempSync(join(tmpdir(), 'peermpc-bench-net-'));
  const only = nonTransportFilters(opts.only);
  const want = (...names: string[]): boolean => only.length === 0 || names.some((n) => only.includes(n));
  try {
    const rows: Row[] = [];
    if (want('stream', 'channel', 'rtt')) rows.push(...(await transportRows(root, opts.runs)));
    if (want('discovery')) rows.push(await discoveryRow(root, opts.runs));
    if (want('wire')) rows.push(...(await wireRows(opts.runs)));
    const multi = only.filter((o) => MULTI.some((c) => c.spec.name === o));
    if (only.length === 0 || multi.length > 0) rows.push(...(await transportCompareRows(opts, multi)));
    return rows;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
