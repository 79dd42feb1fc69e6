/**
 * `npm run bench -- jobs [--json] [--runs N]`: the demo's job end to end on real daemons (three
 * hospitals with the demo's synthetic tables, 2 700 rows, and a scientist; separate processes on
 * 127.0.0.1; rep3 among the hospitals; every owner approves by policy so that no person's delay is
 * measured).
 *
 * Rows, medians over the runs:
 * - case `discovery`: the scientist's DHT search plus fetching and verifying the descriptions;
 * - case `approval`: from the proposals leaving the scientist to every owner's approval;
 * - case `session`: opening the MPC streams between the four parties;
 * - case `input`, `compute`, `output`: the slowest party's time in each phase of the program;
 * - case `total`: submission to result on the scientist (plus the search);
 * - case `party`: one row per party with its bytes sent and received and its rounds.
 */
import { demoJobRequest } from '../scripts/demo-job.js';
import { startNetwork, type DemoNetwork } from '../scripts/demo-network.js';
import { HOSPITALS, writeDemoData } from '../scripts/make-demo-data.js';
import type { JobEventsResponse } from '../src/daemon/api/routes/jobs.js';
import type { JobRecord } from '../src/jobs/store.js';
import { join } from 'node:path';
import { median, progress, type Row, type SuiteOptions } from './harness.js';

const ROWS = HOSPITALS.reduce((s, h) => s + h.rows, 0);
const PHASES = ['discovery', 'approval', 'session', 'input', 'compute', 'output', 'total'] as const;

async function waitDone(net: DemoNetwork, id: string): Promise<JobRecord> {
  const sci = net.get('scientist').client;
  let after = 0;
  for (;;) {
    const res = await sci.request<JobEventsResponse>('GET', `/jobs/${id}/events?after=${after}&waitMs=20000`);
    for (const e of res.events) after = Math.max(after, e.seq);
    if (['done', 'failed', 'rejected', 'expired', 'cancelled'].includes(res.state)) {
      const r = await sci.request<JobRecord>('GET', `/jobs/${id}`);
      if (r.state !== 'done') throw new Error(`job ${id} ended ${r.state}: ${r.error?.message ?? ''}`);
      return r;
    }
  }
}

interface RunResult {
  ms: Record<(typeof PHASES)[number], number>;
  parties: { name: string; role: string; sent: number; received: number; rounds: number }[];
}

async function runOnce(net: DemoNetwork): Promise<RunResult> {
  const sci = net.get('scientist');
  const t0 = performance.now();
  const found = (await sci.client.searchDatasets('patients')).found;
  const searchMs = performance.now() - t0;
  if (found.length !== HOSPITALS.length) throw new Error(`search found ${found.length} datasets`);
  const submitted = await sci.client.request<JobRecord>('POST', '/jobs', demoJobRequest(found));
  const done = await waitDone(net, submitted.id);
  const total = performance.now() - t0;
  const records = await Promise.all(
    net.daemons.map(async (d) => ({
      d,
      r: await d.client.request<JobRecord>('GET', `/jobs/${submitted.id}`),
    })),
  );
  const slowest = (k: 'input' | 'compute' | 'output'): number =>
    Math.max(...records.filter(({ r }) => r.roles.includes('compute')).map(({ r }) => r.stats?.ms[k] ?? 0));
  const m = done.stats!.ms;
  return {
    ms: {
      discovery: searchMs + (m.discovery ?? 0),
      approval: m.approval ?? 0,
      session: Math.max(...records.map(({ r }) => r.stats?.ms.connect ?? 0)),
      input: slowest('input'),
      compute: slowest('compute'),
      output: slowest('output'),
      total,
    },
    parties: records.map(({ d, r }) => ({
      name: d.name,
      role: r.roles.join('+'),
      sent: r.stats?.bytesSent ?? 0,
      received: r.stats?.bytesReceived ?? 0,
      rounds: r.stats?.rounds ?? 0,
    })),
  };
}

/** Runs the jobs suite (see the module comment). */
export async function benchJobs(opts: SuiteOptions): Promise<Row[]> {
  progress(`starting ${HOSPITALS.length + 1} daemons`);
  const net = await startNetwork([...HOSPITALS.map((h) => h.name), 'scientist']);
  try {
    const files = writeDemoData(join(net.root, 'data'));
    for (const h of HOSPITALS) {
      const d = net.get(h.name);
      await d.client.addDataset({ csvPath: files[h.name]!, name: h.name, tags: ['patients'] });
      await d.client.request('PUT', `/policies/${h.name}`, { approval: 'auto', minRows: 100 });
    }
    const sci = net.get('scientist');
    for (
      let i = 0;
      i < 40 && (await sci.client.searchDatasets('patients')).found.length < HOSPITALS.length;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 250));
    }
    progress('warm-up job');
    await runOnce(net);
    const runs: RunResult[] = [];
    for (let i = 0; i < opts.runs; i++) {
      progress(`job ${i + 1}/${opts.runs}`);
      runs.push(await runOnce(net));
    }
    const rows: Row[] = PHASES.map((phase) => {
      const ms = median(runs.map((r) => r.ms[phase]));
      return { suite: 'jobs', case: phase, n: ROWS, median_ms: ms, ops_per_s: ms > 0 ? 1000 / ms : 0 };
    });
    const total = median(runs.map((r) => r.ms.total));
    for (const p of runs[0]!.parties) {
      const of = (k: 'sent' | 'received' | 'rounds'): number =>
        median(runs.map((r) => r.parties.find((x) => x.name === p.name)![k]));
      rows.push({
        suite: 'jobs',
        case: 'party',
        n: ROWS,
        median_ms: total,
        ops_per_s: 1000 / total,
        party: p.name,
        role: p.role,
        bytes_sent: of('sent'),
        bytes_received: of('received'),
        rounds: of('rounds'),
      });
    }
    return rows;
  } finally {
    await net.stop();
  }
}
