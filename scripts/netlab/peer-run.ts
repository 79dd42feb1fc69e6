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
    state: string;
    ms: number;
    error?: string;
    result?: number[];
    plaintext: number[];
    /** How the requester reached each other party in the session (host -> direct/relayed). */
    links?: Record<string, string>;
    /** Payload bytes the requester sent and received in the session. */
    bytes?: { sent: number; received: number };
  };
  /** Whether the job's count and means equal the plaintext's (means within 1e-3). */
  jobMatchesPlaintext: boolean;
}

const ROWS = 40;

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
  const hostOf = new Map(peers.map((p) => [p.peerId, p.host]));
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
  const plaintext = await publish(peers);
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
  const job = await runJob(peers, plaintext, log, hostOf);
  const connections = await readConnections(peers, hostOf);
  return {
    reachability,
    discoveryMs,
    connections,
    job,
    jobMatchesPlaintext:
      job.state === 'done' &&
      job.result !== undefined &&
      job.result.length === plaintext.length &&
      job.result.every((v, i) => Math.abs(v - plaintext[i]!) <= 1e-3),
  };
}

/** Each site peer publishes its rows under policy auto; returns [count, mean x, mean y]. */
async function publish(peers: readonly LabDaemon[]): Promise<number[]> {
  const ids = peers.map((p) => p.peerId).join(',');
  const all: number[][] = [];
  await Promise.all(
    peers.map(async (p, i) => {
      const rows = rowsOf(i);
      all.push(...rows);
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
  const mean = (c: number): number => all.reduce((s, r) => s + r[c]!, 0) / all.length;
  return [all.length, mean(0), mean(1)];
}

/** The rep3 job among the site peers, requested by the first. */
async function runJob(
  peers: readonly LabDaemon[],
  plaintext: number[],
  log: (line: string) => void,
  hostOf: Map<string, string>,
): Promise<PeerRunSummary['job']> {
  const t0 = Date.now();
  const compute = peers.map((p) => p.peerId).join(',');
  try {
    const r = await peers[0]!.cli<{
      state: string;
      result: { name: string; values: number[] }[] | null;
      error: { message: string } | null;
      stats: { bytesSent: number; bytesReceived: number; links?: Record<string, string> } | null;
    }>(
      [
        'job',
        'run',
        '--search',
        'netlab',
        '--columns',
        'x,y',
        '--stats',
        'count,mean',
        '--compute',
        compute,
        '--timeout',
        '240',
      ],
      300_000,
    );
    const values = (r.result ?? []).flatMap((o) => o.values);
    log(`job ${r.state} in ${Date.now() - t0} ms`);
    return {
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
