/**
 * Runs a target in a worker thread under a watchdog. A run still busy 3x past the time limit is a
 * suspected hang: the worker is killed and the input (regenerated from seed and iteration) is run
 * again alone in a fresh worker; only if that hangs too is it a `timeout` finding (a loaded
 * machine can stall a thread for seconds). A worker that runs out of heap is a `memory` finding.
 * Either way the loop resumes at the next iteration. The worker's heap is capped and its stack is
 * the size of a main thread's, as in the daemon.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describeFinding, saveFinding } from './findings.js';
import { emptyStats, inputAt, type Finding, type Limits, type LoopStats } from './runner.js';
import type { Prepared } from './target.js';
import type { WorkerInput } from './worker.js';

/** Options of {@link supervise}. */
export interface SuperviseOptions extends Limits {
  seed: string;
  seconds?: number;
  iterations?: number;
  /** Findings directory. */
  out: string;
  minimize: boolean;
  /** URL of the module exporting `getTarget` (default targets/index.ts; tests use fixtures). */
  registry?: string;
  /** Heap cap of the worker, MB (default 1024). */
  heapMb?: number;
  log(line: string): void;
}

type Message = { type: 'finding'; finding: Finding } | { type: 'progress' | 'done'; stats: LoopStats };

/** How one worker ended: done, a suspected hang at `iteration`, or an error while busy with it. */
interface Run {
  end: 'done' | 'hang' | 'error';
  error?: Error;
  iteration: number;
  busy: boolean;
  /** Inputs it finished. */
  done: number;
  stats?: LoopStats;
}

function spawn(data: WorkerInput, heapMb: number): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const file = new URL('./worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(file)}); })`;
  return new Worker(code, {
    eval: true,
    workerData: data,
    resourceLimits: { maxOldGenerationSizeMb: heapMb, stackSizeMb: 1 },
    stdout: false,
    stderr: false,
  });
}

/** Runs one worker from `start` until done, a suspected hang or an error. */
async function runWorker(
  name: string,
  o: SuperviseOptions,
  start: number,
  iterations: number | undefined,
  deadline: number | undefined,
  onFinding: (f: Finding) => void,
): Promise<Run> {
  const heartbeat = new SharedArrayBuffer(24);
  const beat = new Float64Array(heartbeat);
  beat[0] = start;
  const { seed, minimize, timeoutMs, memoryFloor, memoryRatio } = o;
  const options = { seed, minimize, timeoutMs, memoryFloor, memoryRatio, start, iterations, deadline };
  const worker = spawn({ target: name, registry: o.registry, heartbeat, options }, o.heapMb ?? 1024);
  const limit = 3 * (o.timeoutMs ?? 2000);
  let stats: LoopStats | undefined;
  const run = await new Promise<Run>((resolve) => {
    const snap = (end: Run['end'], error?: Error): void =>
      resolve({ end, error, iteration: beat[0]!, busy: beat[1]! > 0, done: beat[2]! });
    const timer = setInterval(() => {
      const i = beat[0]!;
      const since = beat[1]!; // read once: the worker may clear it between two reads
      if (since > 0 && Date.now() - since > limit && beat[0] === i)
        resolve({ end: 'hang', iteration: i, busy: true, done: beat[2]! });
    }, 100);
    worker.on('message', (m: Message) => {
      if (m.type === 'finding') onFinding(m.finding);
      else stats = m.stats;
      if (m.type === 'done') snap('done');
    });
    worker.on('error', (error) => snap('error', error));
    worker.on('exit', () => {
      clearInterval(timer);
      snap('error', new Error('the worker exited'));
    });
  });
  await worker.terminate();
  return { ...run, stats, done: Math.max(run.done, stats?.iterations ?? 0) };
}

/** Fuzzes target `name` for the time or iterations asked; saves and prints findings. */
export async function supervise(name: string, o: SuperviseOptions): Promise<LoopStats> {
  const total = emptyStats(name);
  const t0 = Date.now();
  const deadline = o.seconds !== undefined ? t0 + o.seconds * 1000 : undefined;
  const seen = new Set<string>();
  const keep = (f: Finding): void => {
    if (seen.has(f.signature)) {
      total.duplicates++;
      return;
    }
    seen.add(f.signature);
    total.findings.push(f);
    o.log(describeFinding(f, saveFinding(o.out, f)));
  };
  let prepared: Prepared | undefined;
  const regenerate = async (i: number): Promise<Uint8Array> => {
    const registry = (await import(o.registry ?? '../targets/index.js')) as {
      getTarget(n: string): { prepare(): Promise<Prepared> };
    };
    prepared ??= await registry.getTarget(name).prepare();
    return (await inputAt(prepared, name, o.seed, i)).bytes;
  };
  const tmp = mkdtempSync(join(tmpdir(), 'peermpc-fuzz-'));
  process.env.PEERMPC_FUZZ_TMP = tmp;
  try {
    for (let start = 0; ;) {
      const remaining = o.iterations !== undefined ? o.iterations - total.iterations : undefined;
      if ((remaining !== undefined && remaining <= 0) || (deadline !== undefined && Date.now() >= deadline))
        break;
      const r = await runWorker(name, o, start, remaining, deadline, keep);
      total.iterations += r.done;
      if (r.stats !== undefined) {
        total.ok += r.stats.ok;
        total.duplicates += r.stats.duplicates;
        total.slowestMs = Math.max(total.slowestMs, r.stats.slowestMs);
        for (const [k, v] of Object.entries(r.stats.refused)) total.refused[k] = (total.refused[k] ?? 0) + v;
      }
      if (r.end === 'done') break;
      const oom = r.end === 'error' && /OUT_OF_MEMORY|heap/i.test(`${r.error!.message} ${String(r.error)}`);
      if (r.end === 'error' && !r.busy && !oom) throw r.error; // the harness itself failed
      start = r.iteration + 1;
      if (r.end === 'error' && !r.busy) {
        // out of heap between runs (generating or minimizing): the harness's, not a finding
        o.log(`(the worker ran out of heap between runs after input ${r.iteration}: resuming after it)`);
        continue;
      }
      total.iterations++;
      if (r.end === 'hang') {
        const again = await runWorker(name, { ...o, minimize: false }, r.iteration, 1, undefined, () => {});
        if (again.end === 'done') {
          o.log(`(input ${r.iteration} stalled once but not when run again: not a finding)`);
          continue;
        }
      }
      const error =
        r.end === 'hang'
          ? new Error(`no answer within ${3 * (o.timeoutMs ?? 2000)} ms, twice (killed)`)
          : oom
            ? new Error(`the worker ran out of its ${o.heapMb ?? 1024} MB heap: ${r.error!.message}`)
            : r.error!;
      const kind = r.end === 'hang' ? 'timeout' : oom ? 'memory' : 'crash';
      const input = await regenerate(r.iteration);
      keep({
        target: name,
        kind,
        seed: o.seed,
        iteration: r.iteration,
        error: { name: error.name, message: error.message, stack: error.stack ?? '' },
        signature: `${kind}|${error.name}|${kind === 'crash' ? error.message.slice(0, 80) : 'worker'}|`,
        input,
        minimized: input,
        ms: 3 * (o.timeoutMs ?? 2000),
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  total.ms = Date.now() - t0;
  return total;
}
