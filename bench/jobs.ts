/**
 * `npm run bench -- jobs [case...] [--json] [--runs N]`: jobs end to end on real daemons (three
 * hospitals and a scientist; separate processes on 127.0.0.1 talking libp2p; rep3 among the
 * hospitals, which trust each other as compute parties; every owner approves by policy so that no
 * person's delay is measured).
 *
 * The demo's job (the demo's synthetic tables, 2 700 rows), medians over the runs:
 * - case `discovery`: the scientist's DHT search plus fetching and verifying the descriptions;
 * - case `approval`: from the proposals leaving the scientist to every owner's approval;
 * - case `session`: opening the MPC streams between the four parties;
 * - case `input`, `compute`, `output`: the slowest party's time in each phase of the program;
 * - case `total`: submission to result on the scientist (plus the search);
 * - case `party`: one row per party with its bytes sent and received and its rounds.
 *
 * Statistics jobs (bench/jobs-stats.ts), one row each, timed from approval to result: `ols10`,
 * `ols30`, `logit10`, `quantile`, `groupby`.
 *
 * DP rows (bench/jobs-dp.ts): `dp1`, `dp100`, `dp10000`, the same histogram jobs with and without
 * differential privacy (plain_ms, dp_ms, overhead); they run last, after the statistics rows.
 *
 * Filters: `demo` (or any of the demo's case names) runs the demo's rows, `stats` every statistics
 * case, a statistics case's name that case, `dp` the DP cases; none runs them all.
 */
import { demoJobRequest } from '../scripts/demo-job.js';
import { startNetwork, type DemoNetwork } from '../scripts/demo-network.js';
import { HOSPITALS, writeDemoData } from '../scripts/make-demo-data.js';
import type { JobRecord } from '../src/jobs/store.js';
import { join } from 'node:path';
import { median, progress, type Row, type SuiteOptions } from './harness.js';
import { DP_CASES, dpRows } from './jobs-dp.js';
import { STAT_CASES, statRows, waitDone } from './jobs-stats.js';

const ROWS = HOSPITALS.reduce((s, h) => s + h.rows, 0);
const PHASES = ['discovery', 'approval', 'session', 'input', 'compute', 'output', 'total'] as const;

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

/** The demo's rows, timed over `runs` jobs after a warm-up. */
async function demoRows(net: DemoNetwork, runs: number): Promise<Row[]> {
  const files = writeDemoData(join(net.root, 'data'));
  const consortium = HOSPITALS.map((h) => net.get(h.name).peerId);
  for (const h of HOSPITALS) {
    const d = net.get(h.name);
    await d.client.addDataset({ csvPath: files[h.name]!, name: h.name, tags: ['patients'] });
    await d.client.request('PUT', `/policies/${h.name}`, {
      approval: 'auto',
      minRows: 100,
      computeParties: consortium,
    });
  }
  const sci = net.get('scientist');
  for (
    let i = 0;
    i < 40 && (await sci.client.searchDatasets('patients')).found.length < HOSPITALS.length;
    i++
  ) {
    await new Promise((r) => setTimeout(r, 250));
  }
  progress('demo: warm-up job');
  await runOnce(net);
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    progress(`demo: job ${i + 1}/${runs}`);
    results.push(await runOnce(net));
  }
  const rows: Row[] = PHASES.map((phase) => {
    const ms = median(results.map((r) => r.ms[phase]));
    return { suite: 'jobs', case: phase, n: ROWS, median_ms: ms, ops_per_s: ms > 0 ? 1000 / ms : 0 };
  });
  const total = median(results.map((r) => r.ms.total));
  for (const p of results[0]!.parties) {
    const of = (k: 'sent' | 'received' | 'rounds'): number =>
      median(results.map((r) => r.parties.find((x) => x.name === p.name)![k]));
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
}

/** Filters naming the demo's rows. */
const DEMO_FILTERS = ['demo', 'party', ...PHASES];

/** Runs the jobs suite (see the module comment). */
export async function benchJobs(opts: SuiteOptions): Promise<Row[]> {
  const only = opts.only;
  const known = [
    ...DEMO_FILTERS,
    'stats',
    ...STAT_CASES.map((c) => c.name),
    'dp',
    ...DP_CASES.map((c) => c.name),
  ];
  const unknown = only.filter((o) => !known.includes(o));
  if (unknown.length > 0)
    throw new Error(`jobs: unknown case ${unknown.join(', ')} (cases: ${known.join(', ')})`);
  const demo = only.length === 0 || only.some((o) => DEMO_FILTERS.includes(o));
  const cases = STAT_CASES.filter(
    (c) => only.length === 0 || only.includes('stats') || only.includes(c.name),
  );
  const dpCases = DP_CASES.filter((c) => only.length === 0 || only.includes('dp') || only.includes(c.name));
  progress(`starting ${HOSPITALS.length + 1} daemons`);
  // stepMs: a recipient that does not compute waits for the output from the end of input sharing,
  // one step with the step timeout (30 s by default) over the whole compute phase, which the
  // 100,000-row cases approach on a loaded machine (the job then fails with a StepTimeoutError)
  const net = await startNetwork([...HOSPITALS.map((h) => h.name), 'scientist'], {
    jobs: { stepMs: 180_000 },
  });
  try {
    const rows = demo ? await demoRows(net, opts.runs) : [];
    const owners = HOSPITALS.map((h) => h.name);
    if (cases.length > 0) rows.push(...(await statRows(net, owners, cases, opts.runs, opts.json)));
    if (dpCases.length > 0) rows.push(...(await dpRows(net, dpCases, opts.runs)));
    return rows;
  } finally {
    await net.stop();
  }
}
