/**
 * The peermpc part of a lab run: a relay daemon on the public network, one daemon per site host
 * behind its NAT; each learns it is private and reserves a relay slot; each publishes a small
 * dataset; every site searches for all of them; one rep3 job among the three site peers computes
 * count and means, checked against the plaintext; and the connections between peers are read back
 * (direct or relayed, hole punched or not).
 */
import type { Lab } from './lab.js';
import { startLabDaemon, until, type LabDaemon } from './daemons.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One connection between two lab peers, as the `from` peer sees it. */
export interface LabConnection {
  /** Host names. */
  from: string;
  /** Host names. */
  to: string;
  /** Direct or through the relay. */
  kind: 'direct' | 'relayed';
  /** Made by a hole punch (either side). */
  holePunched: boolean;
}

/** What the peer run reports. */
export interface PeerRunSummary {
  /** Reachability each site peer learned, and how long until it held a relay slot (ms). */
  reachability: Record<string, { state: string; relayedAfterMs: number }>;
  /** Per site: ms until its search found every site's dataset. */
  discoveryMs: Record<string, number>;
  /** Connections among site peers at the end. */
  connections: LabConnection[];
  /** The job: state, time, result against the plaintext. */
  job: {
    /** The job's id. */
    id?: string;
    state: string;
    ms: number;
    error?: string;
    result?: number[];
    plaintext: number[];
    /** How the requester reached each other party in the session (host -> direct/relayed). */
    links?: Record<string, string>;
    /** Payload bytes the requester sent and received in the session. */
    bytes?: { sent: number; received: number };
    /** The MPC session on the requester: connect, input, compute, output (ms). */
    sessionMs?: number;
  };
  /** Whether the job's count and means equal the plaintext's (means within 1e-3). */
  jobMatchesPlaintext: boolean;
  /** The same job with a1, b1 and the (public) relay host as compute parties: every link direct. */
  jobAllDirect: PeerRunSummary['job'];
  /** Payload bytes c1 sent and received in the first job: all of it went through the relay. */
  relayedPayloadBytes: number;
  /** Hole punches each site led: host -> (other host -> `direct` or why it stayed relayed). */
  holePunches: Record<string, Record<string, string>>;
  /** How long after discovery the cone sites' direct connection took (-1: not within the wait). */
  punchMs: number;
}

const ROWS = 2_000;

/** A site's rows: deterministic, different per site. */
function rowsOf(site: number): number[][] {
  return Array.from({ length: ROWS }, (_, i) => [20 + ((i * 7 + site * 13) % 50), (i * 3 + site) % 17]);
}

interface ConnectedPeerJson {
  peerId: string;
  kind: 'direct' | 'relayed';
  holePunched?: boolean;
}

/** Runs the peers, the searches and the job in `lab`; `log` gets progress lines. */
export async function runPeers(lab: Lab, log: (line: string) => void): Promise<PeerRunSummary> {
  const relay = await startLabDaemon(lab, 'relay', { relay: true, reachability: 'public' });
  log(`relay ${relay.peerId} at ${relay.addr}`);
  const siteHosts = lab.hosts.filter((h) => lab.siteOf(h) !== undefined);
  const peers = await Promise.all(siteHosts.map((h) => startLabDaemon(lab, h, { bootstrap: [relay.addr] })));
  const hostOf = new Map([...peers, relay].map((p) => [p.peerId, p.host]));
  const reachability: PeerRunSummary['reachability'] = {};
  await Promise.all(
    peers.map(async (p) => {
      const ms = await until(`${p.host}: a relay slot`, async () => {
        const s = await p.cli<{ relayedAddrs: string[] }>(['status']);
        return s.relayedAddrs.length > 0;
      });
      const s = await p.cli<{ reachability: string }>(['status']);
      reachability[p.host] = { state: s.reachability, relayedAfterMs: ms };
      log(`${p.host}: ${s.reachability}, relay slot after ${ms} ms`);
    }),
  );
  const all = await publish(peers, [...peers, relay]);
  const cones = peers.filter((p) => lab.natOf(lab.siteOf(p.host)!) === 'cone').slice(0, 2);
  const c1 = peers.find((p) => lab.natOf(lab.siteOf(p.host)!) === 'symmetric');
  // the cone sites' datasets: the same inputs for both jobs below
  const inputs = cones.map((p) => `${p.peerId}/data-${p.host}`);
  const plaintext = statsOf(cones.flatMap((p) => all.get(p.host)!));
  const discoveryMs: Record<string, number> = {};
  await Promise.all(
    peers.map(async (p) => {
      discoveryMs[p.host] = await until(`${p.host}: every dataset`, async () => {
        const r = await p.cli<{ found: unknown[] }>(['dataset', 'search', 'netlab'], 30_000);
        return r.found.length === peers.length;
      });
      log(`${p.host}: found all ${peers.length} datasets after ${discoveryMs[p.host]} ms`);
    }),
  );
  // the relayed connections between sites opened during discovery; a hole punch between the cones
  // may still run (on a loaded machine, the dial-back probes that tell a peer its public address
  // can end after that): give it a bounded wait, so the first job's links are the settled ones
  let punchMs = -1;
  if (cones.length === 2) {
    punchMs = await until(
      `${cones[0]!.host}-${cones[1]!.host}: a direct connection`,
      async () => {
        const list = await cones[0]!.cli<ConnectedPeerJson[]>(['peers']);
        return list.some((c) => c.peerId === cones[1]!.peerId && c.kind === 'direct');
      },
      45_000,
    ).catch(() => -1);
    log(
      `${cones[0]!.host}-${cones[1]!.host}: ${punchMs < 0 ? 'no direct connection' : `direct after ${punchMs} ms`}`,
    );
  }
  // c1 computes through the relay; then the public relay host computes instead: all direct
  const job = await runJob(cones[0]!, [...cones, ...(c1 ? [c1] : [])], inputs, plaintext, log, hostOf);
  let relayedPayloadBytes = 0;
  if (c1 !== undefined && job.id !== undefined) {
    const rec = await c1.cli<{ stats?: { bytesSent: number; bytesReceived: number } }>([
      'job',
      'show',
      job.id,
    ]);
    relayedPayloadBytes = (rec.stats?.bytesSent ?? 0) + (rec.stats?.bytesReceived ?? 0);
  }
  const jobAllDirect = await runJob(cones[0]!, [...cones, relay], inputs, plaintext, log, hostOf);
  const connections = await readConnections(peers, hostOf);
  const holePunches: PeerRunSummary['holePunches'] = {};
  for (const p of peers) {
    const s = await p.cli<{ holePunches?: Record<string, string> }>(['status']);
    holePunches[p.host] = Object.fromEntries(
      Object.entries(s.holePunches ?? {}).map(([id, outcome]) => [hostOf.get(id) ?? id, outcome]),
    );
  }
  return {
    holePunches,
    punchMs,
    reachability,
    discoveryMs,
    connections,
    job,
    jobMatchesPlaintext: matches(job, plaintext) && matches(jobAllDirect, plaintext),
    jobAllDirect,
    relayedPayloadBytes,
  };
}

/** Whether a job's values equal the plaintext's (count exactly, means within 1e-3). */
function matches(job: PeerRunSummary['job'], plaintext: number[]): boolean {
  return (
    job.state === 'done' &&
    job.result !== undefined &&
    job.result.length === plaintext.length &&
    job.result.every((v, i) => Math.abs(v - plaintext[i]!) <= 1e-3)
  );
}

/** [count, mean x, mean y] of rows. */
function statsOf(rows: readonly number[][]): number[] {
  const mean = (c: number): number => rows.reduce((s, r) => s + r[c]!, 0) / rows.length;
  return [rows.length, mean(0), mean(1)];
}

/** Each site peer publishes its rows under policy auto; returns the rows by host. */
async function publish(
  peers: readonly LabDaemon[],
  computeParties: readonly LabDaemon[],
): Promise<Map<string, number[][]>> {
  const ids = computeParties.map((p) => p.peerId).join(',');
  const all = new Map<string, number[][]>();
  await Promise.all(
    peers.map(async (p, i) => {
      const rows = rowsOf(i);
      all.set(p.host, rows);
      const csv = join(p.dataDir, 'netlab.csv');
      writeFileSync(csv, `x,y\n${rows.map((r) => r.join(',')).join('\n')}\n`);
      await p.cli(['dataset', 'add', csv, '--name', `data-${p.host}`, '--tags', 'netlab']);
      await p.cli([
        'policy',
        'set',
        `data-${p.host}`,
        '--outputs',
        'count,mean',
        '--min-rows',
        '10',
        '--approval',
        'auto',
        '--compute-parties',
        ids,
        '--requesters',
        '*',
      ]);
    }),
  );
  return all;
}

/** The rep3 job over every site's dataset, requested by `requester`, computed by `compute`. */
async function runJob(
  requester: LabDaemon,
  compute: readonly LabDaemon[],
  inputs: readonly string[],
  plaintext: number[],
  log: (line: string) => void,
  hostOf: Map<string, string>,
): Promise<PeerRunSummary['job']> {
  const t0 = Date.now();
  try {
    const r = await requester.cli<{
      id: string;
      state: string;
      result: { name: string; values: number[] }[] | null;
      error: { message: string } | null;
      stats: {
        bytesSent: number;
        bytesReceived: number;
        links?: Record<string, string>;
        ms: Record<string, number>;
      } | null;
    }>(
      [
        'job',
        'run',
        ...inputs.flatMap((d) => ['--dataset', d]),
        '--columns',
        'x,y',
        '--stats',
        'count,mean',
        '--compute',
        compute.map((p) => p.peerId).join(','),
        '--timeout',
        '240',
      ],
      300_000,
    );
    const values = (r.result ?? []).flatMap((o) => o.values);
    log(`job (${compute.map((p) => p.host).join(', ')}) ${r.state} in ${Date.now() - t0} ms`);
    return {
      id: r.id,
      state: r.state,
      ms: Date.now() - t0,
      result: values,
      plaintext,
      ...(r.error ? { error: r.error.message } : {}),
      ...(r.stats?.links !== undefined
        ? {
            links: Object.fromEntries(Object.entries(r.stats.links).map(([p, k]) => [hostOf.get(p) ?? p, k])),
          }
        : {}),
      ...(r.stats ? { bytes: { sent: r.stats.bytesSent, received: r.stats.bytesReceived } } : {}),
      ...(r.stats ? { sessionMs: sessionMs(r.stats.ms) } : {}),
    };
  } catch (err) {
    return { state: 'failed', ms: Date.now() - t0, error: (err as Error).message.slice(0, 500), plaintext };
  }
}

/** Connections among site peers, from both sides (a hole punch is marked by the side that dialled). */
async function readConnections(
  peers: readonly LabDaemon[],
  hostOf: Map<string, string>,
): Promise<LabConnection[]> {
  const seen = new Map<string, LabConnection>();
  for (const p of peers) {
    const list = await p.cli<ConnectedPeerJson[]>(['peers']);
    for (const c of list) {
      const to = hostOf.get(c.peerId);
      if (to === undefined) continue;
      const [a, b] = [p.host, to].sort() as [string, string];
      const key = `${a}|${b}|${c.kind}`;
      const prev = seen.get(key);
      seen.set(key, {
        from: a,
        to: b,
        kind: c.kind,
        holePunched: (prev?.holePunched ?? false) || c.holePunched === true,
      });
    }
  }
  return [...seen.values()].sort((x, y) => `${x.from}${x.to}`.localeCompare(`${y.from}${y.to}`));
}

/** The session's part of a job's phases (connect, input, compute, output), in ms. */
function sessionMs(ms: Record<string, number>): number {
  return Math.round(['connect', 'input', 'compute', 'output'].reduce((t, k) => t + (ms[k] ?? 0), 0));
}
