/**
 * Preloaded into the daemons of the memory benchmark (bench/memory.ts) with
 * `NODE_OPTIONS=--import <this file>`: on SIGUSR2 it reads `<PEERMPC_MEMORY_PROBE_DIR>/<pid>.req`
 * (JSON {@link ProbeRequest}, optional) and writes `<pid>.json` ({@link ProbeReport}): the
 * process's memory before and, when asked and `global.gc` exists (`--expose-gc`), after a full
 * garbage collection; and, when asked, a heap snapshot. It reads sizes only, never a value.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

/** What the benchmark asks for. */
export interface ProbeRequest {
  /** Also measure after a full collection (needs --expose-gc). */
  gc?: boolean;
  /** Write a heap snapshot to this path (after the collection, if any). */
  snapshot?: string;
}

/** One measurement, in bytes. */
export interface ProbeSample {
  /** Resident set (process.memoryUsage().rss). */
  rss: number;
  /** V8 heap used. */
  heapUsed: number;
  /** V8 heap reserved. */
  heapTotal: number;
  /** Memory of C++ objects bound to JS objects (ArrayBuffers included). */
  external: number;
  /** ArrayBuffer and SharedArrayBuffer backing stores. */
  arrayBuffers: number;
  /**
   * Shared buffers of src/util/large-buffers.ts not yet collected (in no other field when made by
   * its addon), every copy of that module in the process together.
   */
  largeBuffers: number;
  /** Live tfjs tensors, when tfjs is loaded in the process. */
  tfTensors?: number;
}

/** What the probe writes. */
export interface ProbeReport {
  pid: number;
  /** Before any collection. */
  before: ProbeSample;
  /** After a full collection (when asked and possible). */
  afterGc?: ProbeSample;
  /** Time of that collection (the first of its two passes), ms. */
  gcMs?: number;
}

/**
 * Over the process's copies of util/large-buffers.ts (LARGE_BUFFER_STATS_KEY there): the sum of
 * their own counts, and the addon's process-wide count once.
 */
function largeBuffersUncollected(): number {
  const list = (globalThis as Record<symbol, unknown>)[Symbol.for('peermpc.largeBufferStats')];
  if (!Array.isArray(list)) return 0;
  const stats = (list as (() => { uncollectedBytes: number; processWide?: boolean })[]).map((f) => f());
  const own = stats.filter((s) => s.processWide !== true).reduce((n, s) => n + s.uncollectedBytes, 0);
  return own + Math.max(0, ...stats.filter((s) => s.processWide === true).map((s) => s.uncollectedBytes));
}

function sample(): ProbeSample {
  const m = process.memoryUsage();
  // tfjs-core keeps its engine on the global object; read the count only if it is there
  const engine = (globalThis as { _tfengine?: { state?: { numTensors?: number } } })._tfengine;
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    largeBuffers: largeBuffersUncollected(),
    ...(engine?.state?.numTensors !== undefined ? { tfTensors: engine.state.numTensors } : {}),
  };
}

const dir = process.env.PEERMPC_MEMORY_PROBE_DIR;
if (dir !== undefined && dir !== '') {
  process.on('SIGUSR2', () => {
    let req: ProbeRequest = {};
    try {
      req = JSON.parse(readFileSync(join(dir, `${process.pid}.req`), 'utf8')) as ProbeRequest;
    } catch {
      // no request: measure only
    }
    const report: ProbeReport = { pid: process.pid, before: sample() };
    const gc = (globalThis as { gc?: () => void }).gc;
    if (req.gc === true && gc !== undefined) {
      const t0 = performance.now();
      gc();
      report.gcMs = performance.now() - t0;
      gc(); // a second pass collects what the first one's finalizers released
      report.afterGc = sample();
    }
    if (req.snapshot !== undefined) writeHeapSnapshot(req.snapshot);
    const out = join(dir, `${process.pid}.json`);
    writeFileSync(`${out}.tmp`, JSON.stringify(report));
    renameSync(`${out}.tmp`, out);
  });
}
