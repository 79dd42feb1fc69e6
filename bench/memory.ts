/**
 * `npm run bench -- memory [rows=N] [cols=C] [jobs=K] [hist=0|1] [idle=S] [snap=0|1] [--json]`:
 * what daemons keep after big jobs once idle (issue 13). Three hospitals (N rows each, default
 * 200,000, of the demo's synthetic columns) and a scientist run as real daemons, with
 * bench/memory-probe.ts preloaded and `--expose-gc` so that the probe can also measure after a full
 * collection; the hospitals approve by policy and compute under rep3. The scientist runs a
 * histogram of `age` (6 edges; unless hist=0) and then K times (default 1) `mean, std,
 * correlation`, over the first C (default 3) of age, bmi, systolic_bp, cholesterol, glucose; then
 * every daemon idles S seconds (default 30). snap=1 also writes a heap snapshot after each forced
 * collection (the directory is printed).
 *
 * One row per daemon and phase, sizes in MiB from process.memoryUsage() (`tf_tensors`: live tfjs
 * tensors when tfjs is loaded):
 * - `loaded`: the datasets imported, before any job; `loaded+gc`: the same after a full collection;
 * - `job-end`: every daemon has the last job's final state (the daemon's own release, one second
 *   after its last session closed, may or may not have run yet);
 * - `idle`: S seconds later, nothing forced: what an idle daemon holds;
 * - `idle+gc`: then after a full collection: the heap still referenced, and in rss what the
 *   allocator keeps of what was freed.
 * `gc_ms` is the time of the forced collection of a `+gc` row; `median_ms` the time of all the
 * jobs (the same on every row of a run); `ops_per_s` is 0. The daemons inherit the environment,
 * e.g. `MALLOC_MMAP_THRESHOLD_=131072 npm run bench -- memory`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cleanupOnSignals,
  startNetwork,
  type DemoDaemon,
  type DemoNetwork,
} from '../scripts/demo-network.js';
import { generateHospital, HOSPITALS, toCsv } from '../scripts/make-demo-data.js';
import { shorthandProgram, type ShorthandSpec } from '../src/jobs/program/shorthand.js';
import type { JobRequest } from '../src/jobs/service/request.js';
import type { JobRecord } from '../src/jobs/store.js';
import { progress, type Row, type SuiteOptions } from './harness.js';
import type { ProbeReport, ProbeRequest, ProbeSample } from './memory-probe.js';

/** Columns of the jobs (the first `cols=C` of them). */
const ALL_COLUMNS = ['age', 'bmi', 'systolic_bp', 'cholesterol', 'glucose'];
const FINAL = ['done', 'failed', 'rejected', 'expired', 'cancelled'];
const MIB = 1024 * 1024;

/** The `key=N` filter's value, or `dflt`. */
function setting(only: readonly string[], key: string, dflt: number): number {
  const hit = only.find((o) => o.startsWith(`${key}=`));
  if (hit === undefined) return dflt;
  const v = Number(hit.slice(key.length + 1));
  if (!Number.isFinite(v) || v < 0) throw new Error(`memory: ${key} takes a number, not ${hit}`);
  return v;
}

/** Asks `d`'s probe for a report (SIGUSR2; see bench/memory-probe.ts). */
async function probe(dir: string, d: DemoDaemon, req: ProbeRequest = {}): Promise<ProbeReport> {
  const pid = d.child.pid!;
  const out = join(dir, `${pid}.json`);
  rmSync(out, { force: true });
  writeFileSync(join(dir, `${pid}.req`), JSON.stringify(req));
  d.child.kill('SIGUSR2');
  for (let i = 0; i < 1200; i++) {
    if (existsSync(out)) return JSON.parse(readFileSync(out, 'utf8')) as ProbeReport;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`memory: daemon ${d.name} did not answer the probe`);
}

/** Polls every daemon until job `id` is final there; throws unless it is done on the scientist. */
async function waitFinal(net: DemoNetwork, id: string): Promise<void> {
  const sci = net.get('scientist');
  for (const d of [sci, ...net.daemons.filter((x) => x !== sci)]) {
    for (;;) {
      // a daemon busy computing may drop an idle keep-alive connection: ask again
      const r = await d.client.request<JobRecord>('GET', `/jobs/${id}`).catch(() => undefined);
      if (r !== undefined && FINAL.includes(r.state)) {
        if (d.name === 'scientist' && r.state !== 'done')
          throw new Error(`job ${id} ended ${r.state}: ${r.error?.message ?? ''}`);
        break;
      }
      await new Promise((res) => setTimeout(res, 200));
    }
  }
}

function request(net: DemoNetwork, columns: string[], spec: Omit<ShorthandSpec, 'inputs'>): JobRequest {
  return {
    program: shorthandProgram({
      ...spec,
      inputs: HOSPITALS.map((_, i) => ({ name: `h${i + 1}`, columns })),
    }),
    inputs: HOSPITALS.map((h, i) => ({
      name: `h${i + 1}`,
      owner: net.get(h.name).peerId,
      dataset: h.name,
      columns,
    })),
  };
}

/** Runs the suite (see the module comment). */
export async function benchMemory(opts: SuiteOptions): Promise<Row[]> {
  const unknown = opts.only.filter((o) => !/^(rows|idle|jobs|cols|hist|snap)=/.test(o));
  if (unknown.length > 0)
    throw new Error(
      `memory: unknown filter ${unknown.join(', ')} (rows=N idle=S jobs=K cols=C hist=0|1 snap=0|1)`,
    );
  const rows = setting(opts.only, 'rows', 200_000);
  const idleS = setting(opts.only, 'idle', 30);
  const jobs = setting(opts.only, 'jobs', 1);
  const hist = setting(opts.only, 'hist', 1) > 0;
  const snapDir =
    setting(opts.only, 'snap', 0) > 0 ? mkdtempSync(join(tmpdir(), 'peermpc-snap-')) : undefined;
  if (snapDir !== undefined) progress(`heap snapshots (after each collection) go to ${snapDir}`);
  const columns = ALL_COLUMNS.slice(0, Math.max(1, setting(opts.only, 'cols', 3)));
  const dir = mkdtempSync(join(tmpdir(), 'peermpc-memprobe-'));
  const probeUrl = new URL('./memory-probe.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx');
  const nodeOptions = [
    process.env.NODE_OPTIONS ?? '',
    '--expose-gc',
    `--import=${tsx}`,
    `--import=${probeUrl}`,
  ];
  const removeHandlers = cleanupOnSignals(() => rmSync(dir, { recursive: true, force: true }));
  let net: DemoNetwork | undefined;
  const out: Row[] = [];
  const samples: { phase: string; d: DemoDaemon; s: ProbeSample; gcMs?: number }[] = [];
  const measure = async (phase: string, gc: boolean): Promise<void> => {
    for (const d of net!.daemons) {
      const snapshot =
        snapDir === undefined || !gc ? undefined : join(snapDir, `${d.name}-${phase}.heapsnapshot`);
      const r = await probe(dir, d, { gc, ...(snapshot ? { snapshot } : {}) });
      samples.push({ phase, d, s: r.before });
      if (gc && r.afterGc !== undefined)
        samples.push({
          phase: `${phase}+gc`,
          d,
          s: r.afterGc,
          ...(r.gcMs !== undefined ? { gcMs: r.gcMs } : {}),
        });
    }
  };
  try {
    progress(`starting ${HOSPITALS.length + 1} daemons`);
    net = await startNetwork([...HOSPITALS.map((h) => h.name), 'scientist'], {
      jobs: { stepMs: 300_000, connectMs: 120_000, proposeMs: 300_000 },
      env: { NODE_OPTIONS: nodeOptions.join(' ').trim(), PEERMPC_MEMORY_PROBE_DIR: dir },
    });
    const consortium = HOSPITALS.map((h) => net!.get(h.name).peerId);
    for (const [i, h] of HOSPITALS.entries()) {
      progress(`${h.name}: ${rows} rows`);
      const csv = join(net.root, `${h.name}.csv`);
      writeFileSync(csv, toCsv(generateHospital({ ...h, rows, seed: h.seed + i })));
      const d = net.get(h.name);
      const add = { csvPath: csv, name: h.name, tags: ['patients'] };
      // a busy daemon may drop the kept-alive connection under the request: import again
      await d.client.addDataset(add).catch(() => d.client.addDataset({ ...add, replace: true }));
      await d.client.request('PUT', `/policies/${h.name}`, {
        approval: 'auto',
        minRows: 1,
        computeParties: consortium,
      });
      rmSync(csv, { force: true });
    }
    await measure('loaded', true);
    const sci = net.get('scientist');
    const specs: Omit<ShorthandSpec, 'inputs'>[] = [
      ...(hist ? [{ histogram: { column: 'age', edges: [30, 40, 50, 60, 70, 80], minCount: 10 } }] : []),
      ...Array.from({ length: jobs }, () => ({
        stats: ['mean', 'std', 'correlation'] as ShorthandSpec['stats'],
      })),
    ];
    const t0 = performance.now();
    for (const [k, spec] of specs.entries()) {
      progress(`job ${k + 1}/${specs.length}: ${spec.stats ? spec.stats.join(',') : 'histogram'}`);
      const r = await sci.client.request<JobRecord>('POST', '/jobs', request(net, columns, spec));
      await waitFinal(net, r.id);
    }
    const jobsMs = performance.now() - t0;
    await measure('job-end', false);
    progress(`idling ${idleS} s`);
    await new Promise((r) => setTimeout(r, idleS * 1000));
    await measure('idle', true);
    for (const { phase, d, s, gcMs } of samples) {
      out.push({
        suite: 'memory',
        case: phase,
        n: rows * HOSPITALS.length,
        median_ms: jobsMs,
        ops_per_s: 0,
        daemon: d.name,
        rss_mb: s.rss / MIB,
        heap_used_mb: s.heapUsed / MIB,
        heap_total_mb: s.heapTotal / MIB,
        external_mb: s.external / MIB,
        array_buffers_mb: s.arrayBuffers / MIB,
        large_buffers_mb: s.largeBuffers / MIB,
        tf_tensors: s.tfTensors ?? null,
        gc_ms: gcMs ?? null,
      });
    }
    return out.sort((a, b) => String(a.daemon).localeCompare(String(b.daemon)));
  } catch (err) {
    for (const d of net?.daemons ?? []) progress(`${d.name} said:\n${d.output().slice(-4000)}`);
    throw err;
  } finally {
    removeHandlers();
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
