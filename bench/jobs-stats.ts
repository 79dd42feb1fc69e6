/**
 * The statistics rows of `npm run bench -- jobs`: least squares, logistic regression, quantiles and
 * groupBy as jobs on real daemons (the jobs suite's three owners, rep3 among them, and its
 * scientist as requester and recipient), each owner holding a third of the rows of synthetic tables
 * (bench/jobs-stats-data.ts) and approving by policy.
 *
 * Each case runs once to warm up and then `runs` times (at most 3 for the two 100,000-row cases);
 * `median_ms` is the median time from the job's approval (every owner approved, on the scientist's
 * record) to its result on the scientist (state done, outputs decoded and finished). Where it goes:
 * `prep_ms`, the slowest compute party's work before it opens the session (the release guard's row
 * prints and ledger, reading its rows); `connect_ms`, opening the streams once the last party is
 * there (the least connect time of any party); the slowest compute party's `input_ms` (secret
 * sharing), `compute_ms` and `output_ms`. Then the busiest compute party's bytes sent and received
 * and rounds, and `max_rel_err`, the largest relative error of the released values against a
 * float64 computation in this process over every run including the warm-up (`check` says whether
 * it is within the case's tolerance, so that a wrong result cannot pass for a fast one). A case
 * whose job fails gets a row with no time and the failure in `check`; the other cases still run.
 *
 * Cases (filters of `npm run bench -- jobs`; `stats` selects them all):
 * - `ols10`: ols + olsSummary + olsFit, 10 features of mixed units, 10,000 rows; target < 2 s;
 * - `ols30`: the same with 30 features;
 * - `logit10`: logitSummary + logitFit of a 0/1 outcome on the same 10 features, 10,000 rows (no
 *   input is the requester's, so by the disclosure rules the fit is an aggregate);
 * - `quantile`: quantiles 0.25, 0.5, 0.75 (minCount 100) of 100,000 incomes in dollars;
 * - `groupby`: groupBy mean of 3 columns over 10 region codes (minCount 100), 100,000 rows;
 * - `train`: private training of an MLP 13-16-3 on 360 rows (bench/jobs-train.ts); target < 8 s.
 * Compared: coefficients, standard errors, R², residual SE and VIFs (not t, p or intervals, which
 * the recipient derives from them in float64; n and the residual degrees of freedom must be
 * exact); the quantiles; the group means.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { DemoNetwork } from '../scripts/demo-network.js';
import type { JobEventsResponse } from '../src/daemon/api/routes/jobs.js';
import { ProgramBuilder, type ValueRef } from '../src/jobs/program/builder.js';
import type { JobRequest } from '../src/jobs/service/request.js';
import type { JobOutputValue, JobRecord } from '../src/jobs/store.js';
import { median, progress, type Row } from './harness.js';
import { classesTable, TRAIN_CASE } from './jobs-train.js';
import {
  allRows,
  BIG_VALUES,
  bigTable,
  maxRelErr,
  REG_FEATURES,
  refGroupMeans,
  refLogit,
  refOls,
  refQuantiles,
  regTable,
  writeCsv,
  type Table,
} from './jobs-stats-data.js';

/** Waits for job `id` to end on the scientist; returns its record there. @throws unless done */
export async function waitDone(net: DemoNetwork, id: string): Promise<JobRecord> {
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

/** The synthetic tables. */
export type TableName = 'reg' | 'big' | 'classes';
type Fields = Record<string, number | string | null | undefined>;

/** One statistics case. */
export interface StatCase {
  name: string;
  table: TableName;
  /** Columns each owner's input shares. */
  columns: string[];
  /** Features (regressions) or value columns (groupBy); 1 for a quantile. */
  p: number;
  params: string;
  targetMs?: number;
  /** Most timed runs (the slow cases take fewer than `--runs`). */
  maxRuns?: number;
  /** Largest acceptable max_rel_err. */
  tol: number;
  /** Adds the nodes and outputs over the union of the inputs (the one input for one owner). */
  nodes(b: ProgramBuilder, all: ValueRef): void;
  /** max_rel_err of a result against the float64 reference; extra row fields. */
  check(
    out: (name: string) => (number | null)[],
    t: Table,
  ): { err: number; fields?: Fields } | Promise<{ err: number; fields?: Fields }>;
}

const memo = new Map<string, unknown>();
function once<T>(key: string, f: () => T): T {
  if (!memo.has(key)) memo.set(key, f());
  return memo.get(key) as T;
}

function olsCase(k: number): StatCase {
  const features = REG_FEATURES.slice(0, k);
  const target = `y${k}`;
  const params = { features, target };
  return {
    name: `ols${k}`,
    table: 'reg',
    columns: [...features, target],
    p: k,
    params: `ols+olsSummary+olsFit, target ${target}`,
    ...(k === 10 ? { targetMs: 2000 } : {}),
    tol: 1e-3,
    nodes(b, all) {
      b.output('coef', b.node('ols', [all], params));
      b.output('summary', b.node('olsSummary', [all], params));
      b.output('fit', b.node('olsFit', [all], params));
    },
    check(out, t) {
      const rows = allRows(t);
      const ref = once(`ols${k}`, () =>
        refOls(
          rows,
          features.map((f) => t.columns.indexOf(f)),
          t.columns.indexOf(target),
        ),
      );
      const summary = out('summary');
      const fit = out('fit');
      const exact = fit[5] === rows.length && fit[6] === rows.length - k - 1;
      const err = maxRelErr(
        [...out('coef'), ...summary.filter((_, i) => i % 6 < 2), fit[0]!, fit[2]!, ...fit.slice(7)],
        [...ref.coef, ...ref.coef.flatMap((c, i) => [c, ref.se[i]!]), ref.r2, ref.rse, ...ref.vif],
      );
      return { err: exact ? err : Infinity };
    },
  };
}

const LOGIT_FEATURES = REG_FEATURES.slice(0, 10);
const QS = [0.25, 0.5, 0.75];
const LEVELS = Array.from({ length: 10 }, (_, i) => i + 1);

/** The statistics cases, in the order they run. */
export const STAT_CASES: readonly StatCase[] = [
  olsCase(10),
  olsCase(30),
  {
    name: 'logit10',
    table: 'reg',
    columns: [...LOGIT_FEATURES, 'hit'],
    p: 10,
    params: 'logitSummary+logitFit, target hit',
    tol: 5e-3, // the standard errors' tolerance docs/JOBS.md states
    nodes(b, all) {
      const params = { features: LOGIT_FEATURES, target: 'hit' };
      b.output('summary', b.node('logitSummary', [all], params));
      b.output('fit', b.node('logitFit', [all], params));
    },
    check(out, t) {
      const ref = once('logit10', () =>
        refLogit(
          allRows(t),
          LOGIT_FEATURES.map((f) => t.columns.indexOf(f)),
          t.columns.indexOf('hit'),
        ),
      );
      const summary = out('summary');
      const err = maxRelErr(
        summary.filter((_, i) => i % 6 < 2),
        ref.coef.flatMap((c, i) => [c, ref.se[i]!]),
      );
      return { err, fields: { iterations: out('fit')[0] } };
    },
  },
  {
    name: 'quantile',
    table: 'big',
    columns: ['income_usd'],
    p: 1,
    params: 'income_usd, q 0.25 0.5 0.75, minCount 100',
    maxRuns: 3,
    tol: 1e-4,
    nodes(b, all) {
      b.output('q', b.node('quantile', [all], { column: 'income_usd', q: QS, minCount: 100 }));
    },
    check(out, t) {
      const ref = once('quantile', () =>
        refQuantiles(
          allRows(t).map((r) => r[0]!),
          QS,
        ),
      );
      return { err: maxRelErr(out('q'), ref) };
    },
  },
  {
    name: 'groupby',
    table: 'big',
    columns: ['region', ...BIG_VALUES],
    p: BIG_VALUES.length,
    params: 'mean of 3 columns by region (10 levels), minCount 100',
    maxRuns: 3,
    tol: 1e-4,
    nodes(b, all) {
      const params = { by: 'region', levels: LEVELS, agg: 'mean', columns: BIG_VALUES, minCount: 100 };
      b.output('means', b.node('groupBy', [all], params));
    },
    check(out, t) {
      const cols = BIG_VALUES.map((c) => t.columns.indexOf(c));
      const ref = once('groupby', () => refGroupMeans(allRows(t), t.columns.indexOf('region'), LEVELS, cols));
      return { err: maxRelErr(out('means'), ref) };
    },
  },
  TRAIN_CASE,
];

/** Dataset names of the tables on every owner that holds a part. */
const DATASET: Record<TableName, string> = { reg: 'bench-reg', big: 'bench-big', classes: 'bench-classes' };

const TABLES: Record<TableName, () => Table> = {
  reg: () => regTable(),
  big: () => bigTable(),
  classes: () => classesTable(),
};

/**
 * Policy settings by table beyond auto-approval by the consortium with minRows 100: trained weights
 * stand behind single rows (they can memorise them), so the training table's owners allow the
 * `train` op's release explicitly with minRows 1, as an owner must (docs/JOBS.md).
 */
const POLICY: Partial<Record<TableName, Record<string, unknown>>> = {
  classes: { minRows: 1, outputs: ['train'] },
};

/** Generates the tables the cases need, imports a third on each owner, and sets the policies. */
async function importTables(net: DemoNetwork, owners: string[], cases: readonly StatCase[]) {
  const tables = new Map<TableName, Table>();
  const dir = join(net.root, 'stats-data');
  mkdirSync(dir, { recursive: true });
  const consortium = owners.map((o) => net.get(o).peerId);
  for (const name of new Set(cases.map((c) => c.table))) {
    progress(`generating and importing table ${DATASET[name]}`);
    const t = TABLES[name]();
    tables.set(name, t);
    const holders = owners.slice(0, t.parts.length);
    for (const [i, o] of holders.entries()) {
      const d = net.get(o);
      const csv = join(dir, `${o}-${name}.csv`);
      writeCsv(csv, t, i);
      await d.client.addDataset({ csvPath: csv, name: DATASET[name], tags: ['bench-stats'] });
      await d.client.request('PUT', `/policies/${DATASET[name]}`, {
        approval: 'auto',
        minRows: 100,
        computeParties: consortium,
        ...POLICY[name],
      });
    }
    // the scientist fetches and verifies each description (what resolving the job does)
    for (const o of holders) await net.get('scientist').client.showDataset(net.get(o).peerId, DATASET[name]);
  }
  return tables;
}

function request(net: DemoNetwork, owners: string[], c: StatCase, t: Table): JobRequest {
  const b = new ProgramBuilder();
  const holders = owners.slice(0, t.parts.length);
  const refs = holders.map((_, i) => b.input(`h${i + 1}`, c.columns));
  c.nodes(b, refs.length === 1 ? refs[0]! : b.union(...refs));
  return {
    program: b.build(),
    computeParties: owners.map((o) => net.get(o).peerId),
    inputs: holders.map((o, i) => ({
      name: `h${i + 1}`,
      owner: net.get(o).peerId,
      dataset: DATASET[c.table],
      columns: c.columns,
    })),
  };
}

interface StatRun {
  ms: number;
  prep: number;
  connect: number;
  input: number;
  compute: number;
  output: number;
  sent: number;
  received: number;
  rounds: number;
  err: number;
  fields?: Fields;
}

const at = (r: JobRecord, state: string): number =>
  Date.parse(r.history.findLast((h) => h.state === state)!.at);

async function runCase(net: DemoNetwork, owners: string[], c: StatCase, t: Table): Promise<StatRun> {
  const sci = net.get('scientist').client;
  const submitted = await sci.request<JobRecord>('POST', '/jobs', request(net, owners, c, t));
  const done = await waitDone(net, submitted.id);
  const records = await Promise.all(
    net.daemons.map((d) => d.client.request<JobRecord>('GET', `/jobs/${submitted.id}`)),
  );
  const compute = records.filter((r) => r.roles.includes('compute'));
  const most = (f: (r: JobRecord) => number | undefined): number =>
    Math.max(...compute.map((r) => f(r) ?? 0));
  const result = done.result ?? [];
  const out = (name: string): (number | null)[] => {
    const o: JobOutputValue | undefined = result.find((x) => x.name === name);
    if (o === undefined) throw new Error(`${c.name}: no output "${name}"`);
    return o.values;
  };
  const { err, fields } = await c.check(out, t);
  return {
    ms: at(done, 'done') - at(done, 'approved'),
    // a party's time between its `running` and its `done` outside the session: the release guard
    // (row prints of the columns used, the release ledger) and reading its dataset, before it opens
    // the session; the channel opens once the last party is there
    prep: most((r) => at(r, 'done') - at(r, 'running') - (r.stats?.ms.total ?? 0)),
    connect: Math.min(...records.map((r) => r.stats?.ms.connect ?? Infinity)),
    input: most((r) => r.stats?.ms.input),
    compute: most((r) => r.stats?.ms.compute),
    output: most((r) => r.stats?.ms.output),
    sent: most((r) => r.stats?.bytesSent),
    received: most((r) => r.stats?.bytesReceived),
    rounds: most((r) => r.stats?.rounds),
    err,
    ...(fields !== undefined ? { fields } : {}),
  };
}

/**
 * Runs `cases` on the network's owners (`owners`, in input order); one row per case. With `json`,
 * `max_rel_err` is a number, else a string in exponent form (the table prints numbers to 3 places).
 */
export async function statRows(
  net: DemoNetwork,
  owners: string[],
  cases: readonly StatCase[],
  runs: number,
  json = false,
): Promise<Row[]> {
  const tables = await importTables(net, owners, cases);
  const rows: Row[] = [];
  for (const c of cases) {
    const t = tables.get(c.table)!;
    const n = Math.min(runs, c.maxRuns ?? runs);
    const all: StatRun[] = [];
    const timed: StatRun[] = [];
    try {
      progress(`${c.name}: warm-up job`);
      all.push(await runCase(net, owners, c, t));
      for (let i = 0; i < n; i++) {
        const r = await runCase(net, owners, c, t);
        progress(
          `${c.name}: job ${i + 1}/${n}: ${r.ms} ms after approval (prep ${Math.round(r.prep)}, compute ${Math.round(r.compute)})`,
        );
        timed.push(r);
      }
    } catch (err) {
      // a failed job (e.g. a step timeout on an overloaded machine) spoils this row, not the others
      const message = (err as Error).message;
      progress(`${c.name}: FAILED: ${message}`);
      rows.push({
        suite: 'jobs',
        case: c.name,
        n: allRows(t).length,
        median_ms: NaN,
        ops_per_s: NaN,
        protocol: 'rep3',
        p: c.p,
        params: c.params,
        check: `FAILED after ${timed.length} of ${n} runs: ${message.slice(0, 160)}`,
      });
      continue;
    }
    all.push(...timed);
    const med = (k: keyof Omit<StatRun, 'fields'>): number => median(timed.map((r) => r[k]));
    const ms = med('ms');
    const err = Math.max(...all.map((r) => r.err));
    if (!(err <= c.tol)) progress(`${c.name}: WRONG RESULT, max relative error ${err} > ${c.tol}`);
    rows.push({
      suite: 'jobs',
      case: c.name,
      n: allRows(t).length,
      median_ms: ms,
      ops_per_s: ms > 0 ? 1000 / ms : 0,
      protocol: 'rep3',
      p: c.p,
      params: c.params,
      runs: timed.length,
      prep_ms: med('prep'),
      connect_ms: med('connect'),
      input_ms: med('input'),
      compute_ms: med('compute'),
      output_ms: med('output'),
      bytes_sent: med('sent'),
      bytes_received: med('received'),
      rounds: med('rounds'),
      ...timed[timed.length - 1]!.fields,
      // a number in JSON; in the table, where numbers get 3 decimals, in exponent form
      max_rel_err: json ? err : err.toExponential(2),
      check: err <= c.tol ? 'ok' : `FAIL (tol ${c.tol})`,
      ...(c.targetMs !== undefined ? { target_ms: c.targetMs, meets: ms < c.targetMs ? 'yes' : 'no' } : {}),
    });
  }
  return rows;
}
