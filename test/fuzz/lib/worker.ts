/**
 * The fuzz worker: installs the allocation guard, then imports the targets (so the guard sees
 * their allocations), runs the loop and reports to the supervisor: a heartbeat in shared memory
 * (iteration, start of the current run or 0, inputs done) and messages (findings, progress, the
 * final stats).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { installGuard } from './guard.js';
import type { LoopOptions } from './runner.js';
import type { FuzzTarget } from './target.js';

/** What the supervisor sends. */
export interface WorkerInput {
  target: string;
  /** URL of the module exporting `getTarget` (default targets/index.ts). */
  registry?: string;
  heartbeat: SharedArrayBuffer;
  options: Omit<LoopOptions, 'onRun' | 'onFinding' | 'onProgress'>;
}

/** The worker's work (see the module comment). */
async function work(): Promise<void> {
  const input = workerData as WorkerInput;
  installGuard();
  const { getTarget } = (await import(input.registry ?? '../targets/index.js')) as {
    getTarget(name: string): FuzzTarget;
  };
  const { fuzzLoop } = await import('./runner.js');

  const beat = new Float64Array(input.heartbeat);
  const target = getTarget(input.target);
  const prepared = await target.prepare();
  const stats = await fuzzLoop(target, prepared, {
    ...input.options,
    onRun(i, busy) {
      beat[0] = i;
      beat[1] = busy ? Date.now() : 0;
      if (!busy) beat[2] = beat[2]! + 1; // inputs done
    },
    onFinding(f) {
      parentPort!.postMessage({ type: 'finding', finding: f });
    },
    onProgress(s) {
      parentPort!.postMessage({ type: 'progress', stats: { ...s, findings: [] } });
    },
  });
  parentPort!.postMessage({ type: 'done', stats: { ...stats, findings: [] } });
}

// Only in a worker: test runners that import every file of test/fuzz/ must not run it.
if (!isMainThread) await work();
