/**
 * DP rows of `npm run bench -- jobs` (issue 16): what differential privacy adds to a job that
 * releases 1, 100 and 10,000 values, on the demo network of real daemons (three hospitals, a
 * scientist, rep3 among the hospitals, auto approval). Each case runs the same program with and
 * without `dp: {epsilon: 1, delta: 1e-6}`, alternately, timed from submission to `done` on the
 * scientist; the row gives both medians and overhead = dp_ms / plain_ms - 1.
 *
 * - `dp1`: a histogram of age with 1 bin, the three hospitals' rows (2,700);
 * - `dp100`: a histogram of bmi with 100 bins, the same rows;
 * - `dp10000`: ten histograms of systolic_bp with 1,000 bins each (a histogram takes at most
 *   1,024), on the smallest hospital's rows (700), at most 3 runs.
 * Each case has a column of its own: the differencing guard refuses a histogram of a column with
 * other edges than an earlier release's, DP or not.
 *
 * What DP adds: clipping every bounded input column (two comparisons per value), each of the two
 * noise parties' draws (exact discrete Gaussian, a few microseconds each) secret-shared in one
 * input round per output, and the budget's fsynced spend before the shares move.
 */
import { join } from 'node:path';
import type { DemoNetwork } from '../scripts/demo-network.js';
import { HOSPITALS, writeDemoData } from '../scripts/make-demo-data.js';
import type { JobRecord } from '../src/jobs/store.js';
import type { Program } from '../src/jobs/program/types.js';
import { median, progress, type Row } from './harness.js';
import { waitDone } from './jobs-stats.js';

/** A DP case: how many values it releases, from which hospitals. */
interface DpCase {
  name: string;
  values: number;
  /** Histograms in the program and bins in each. */
  outputs: number;
  bins: number;
  /** The column and its range (the differencing guard refuses other edges on a column later). */
  column: string;
  range: [number, number];
  owners: string[];
  maxRuns?: number;
}

/** The DP cases. */
export const DP_CASES: readonly DpCase[] = [
  {
    name: 'dp1',
    values: 1,
    outputs: 1,
    bins: 1,
    column: 'age',
    range: [18, 96],
    owners: HOSPITALS.map((h) => h.name),
  },
  {
    name: 'dp100',
    values: 100,
    outputs: 1,
    bins: 100,
    column: 'bmi',
    range: [16, 56],
    owners: HOSPITALS.map((h) => h.name),
  },
  {
    name: 'dp10000',
    values: 10_000,
    outputs: 10,
    bins: 1_000,
    column: 'systolic_bp',
    range: [85, 221],
    owners: [[...HOSPITALS].sort((a, b) => a.rows - b.rows)[0]!.name],
    maxRuns: 3,
  },
];

const BOUNDS = { age: [0, 120], bmi: [10, 60], systolic_bp: [80, 230] };

/** The program of a case: `outputs` histograms of its column over the owners' union. */
function programOf(c: DpCase): Program {
  const [lo, hi] = c.range;
  const edges = Array.from({ length: c.bins + 1 }, (_, i) => lo + ((hi - lo) * i) / c.bins);
  const inputs = c.owners.map((_, i) => ({ name: `h${i + 1}`, columns: [c.column] }));
  const union = inputs.length > 1 ? [{ id: 'all', op: 'union', args: inputs.map((i) => i.name) }] : [];
  const table = inputs.length > 1 ? 'all' : 'h1';
  const hists = Array.from({ length: c.outputs }, (_, k) => ({
    id: `hist${k}`,
    op: 'histogram',
    args: [table],
    params: { edges },
  }));
  return {
    version: 1,
    inputs,
    nodes: [...union, ...hists],
    outputs: hists.map((h) => ({ name: h.id, node: h.id })),
  };
}

/** One job of `c`, with or without DP; its time from submission to done (ms). */
async function runOnce(net: DemoNetwork, c: DpCase, dp: boolean): Promise<number> {
  const sci = net.get('scientist').client;
  const body = {
    program: programOf(c),
    inputs: c.owners.map((o, i) => ({
      name: `h${i + 1}`,
      owner: net.get(o).peerId,
      dataset: o,
      columns: [c.column],
    })),
    computeParties: HOSPITALS.map((h) => net.get(h.name).peerId),
    ...(dp ? { dp: { epsilon: 1, delta: 1e-6 } } : {}),
  };
  const t0 = performance.now();
  const r = await sci.request<JobRecord>('POST', '/jobs', body);
  const done = await waitDone(net, r.id);
  if (dp && done.result?.[0]?.dp === undefined) throw new Error(`job ${r.id} released no DP facts`);
  return performance.now() - t0;
}

/** Imports the demo data with bounds on age; policies that let both variants run (a bench). */
async function prepare(net: DemoNetwork): Promise<void> {
  const files = writeDemoData(join(net.root, 'dp-data'));
  const consortium = HOSPITALS.map((h) => net.get(h.name).peerId);
  for (const h of HOSPITALS) {
    const d = net.get(h.name);
    await d.client.addDataset({
      csvPath: files[h.name]!,
      name: h.name,
      replace: true,
      bounds: BOUNDS,
    } as never);
    // minRows 1: the plain variant releases exact bins (row-level), which only a bench allows
    await d.client.request('PUT', `/policies/${h.name}`, {
      approval: 'auto',
      minRows: 1,
      computeParties: consortium,
    });
  }
}

/** The DP rows of `cases`, `runs` runs each after a warm-up of both variants. */
export async function dpRows(net: DemoNetwork, cases: readonly DpCase[], runs: number): Promise<Row[]> {
  await prepare(net);
  const rows: Row[] = [];
  for (const c of cases) {
    const n = Math.min(runs, c.maxRuns ?? runs);
    progress(`${c.name}: warm-up, plain and DP`);
    await runOnce(net, c, false);
    await runOnce(net, c, true);
    const plain: number[] = [];
    const dp: number[] = [];
    for (let i = 0; i < n; i++) {
      plain.push(await runOnce(net, c, false));
      dp.push(await runOnce(net, c, true));
      progress(
        `${c.name}: run ${i + 1}/${n}: plain ${Math.round(plain[i]!)} ms, dp ${Math.round(dp[i]!)} ms`,
      );
    }
    const [p, d] = [median(plain), median(dp)];
    rows.push({
      suite: 'jobs',
      case: c.name,
      n: c.values,
      median_ms: d,
      ops_per_s: d > 0 ? 1000 / d : 0,
      values: c.values,
      plain_ms: p,
      dp_ms: d,
      overhead: d / p - 1,
      runs: n,
    });
  }
  return rows;
}
