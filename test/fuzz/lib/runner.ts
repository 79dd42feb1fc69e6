/**
 * The fuzz loop, in-process: generate input i from `(seed, target, i)`, run it under the
 * allocation guard with a clock, classify the outcome, minimize and keep each new finding.
 *
 * An input passes when the decoder returns (and its result passes the target's check) or throws an
 * expected error. A finding is an unexpected error (`crash`), an input slower than the time limit
 * (`timeout`), more memory than the budget (`memory`: max(64 MiB, 64 x input) bytes asked for, or
 * that much more heap after the call), a broken invariant (`invariant`), or an error escaping to
 * the event loop (`unhandled`). A hang that never returns is caught by the supervisor's watchdog.
 */
import {
  captureEscapes,
  errorInfo,
  execute,
  minimize,
  signatureOf,
  type Finding,
  type Limits,
} from './execute.js';
import { Rng } from './rng.js';
import type { Candidate, FuzzTarget, Prepared } from './target.js';

export * from './execute.js';

/** Options of {@link fuzzLoop}. */
export interface LoopOptions extends Limits {
  seed: string;
  /** First iteration (default 0). */
  start?: number;
  /** Stop after this many iterations... */
  iterations?: number;
  /** ...or at this time (Date.now() ms), whichever first. */
  deadline?: number;
  /** Minimize findings (default true). */
  minimize?: boolean;
  /** Called around each run (the worker's heartbeat). */
  onRun?(iteration: number, busy: boolean): void;
  /** Called with each new finding. */
  onFinding?(f: Finding): void;
  /** Called now and then with the stats so far. */
  onProgress?(s: LoopStats): void;
}

/** Counts of a run. */
export interface LoopStats {
  target: string;
  iterations: number;
  /** Next iteration to run. */
  next: number;
  ms: number;
  ok: number;
  refused: Record<string, number>;
  findings: Finding[];
  /** Findings whose signature was already kept. */
  duplicates: number;
  /** The slowest input, ms. */
  slowestMs: number;
}

/** The input of iteration `i` (a pure function of seed, target and i). */
export function inputAt(p: Prepared, target: string, seed: string, i: number): Promise<Candidate> {
  return p.generate(new Rng(`${seed}/${target}/${i}`));
}

/** Stats of a run that has not started, its next input being `next`. */
export function emptyStats(target: string, next = 0): LoopStats {
  const refused = {};
  return { target, iterations: 0, next, ms: 0, ok: 0, refused, findings: [], duplicates: 0, slowestMs: 0 };
}

/** Runs `target` until the iteration count or the deadline. */
export async function fuzzLoop(target: FuzzTarget, p: Prepared, o: LoopOptions): Promise<LoopStats> {
  const stats = emptyStats(target.name, o.start ?? 0);
  const seen = new Set<string>();
  const t0 = Date.now();
  let lastProgress = t0;
  captureEscapes(true);
  const traceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50; // deep enough to name the src/ frame of most errors
  try {
    for (let i = o.start ?? 0; ; i++) {
      if (o.iterations !== undefined && stats.iterations >= o.iterations) break;
      if (o.deadline !== undefined && Date.now() >= o.deadline) break;
      const c = await inputAt(p, target.name, o.seed, i);
      o.onRun?.(i, true);
      const out = await execute(p, c.bytes, o);
      o.onRun?.(i, false);
      stats.iterations++;
      stats.next = i + 1;
      stats.slowestMs = Math.max(stats.slowestMs, out.ms);
      if (out.status === 'ok') stats.ok++;
      else if (out.status === 'refused')
        stats.refused[out.refusedBy!] = (stats.refused[out.refusedBy!] ?? 0) + 1;
      else {
        const signature = signatureOf(out.kind!, out.error);
        if (seen.has(signature)) stats.duplicates++;
        else {
          seen.add(signature);
          const minimized = o.minimize === false ? c.bytes : await minimize(p, c, out, o);
          const f: Finding = {
            target: target.name,
            kind: out.kind!,
            seed: o.seed,
            iteration: i,
            error: errorInfo(out.error),
            signature,
            input: c.bytes,
            minimized,
            ms: out.ms,
          };
          stats.findings.push(f);
          o.onFinding?.(f);
        }
      }
      if (Date.now() - lastProgress > 1000) {
        lastProgress = Date.now();
        stats.ms = lastProgress - t0;
        o.onProgress?.(stats);
      }
    }
  } finally {
    captureEscapes(false);
    Error.stackTraceLimit = traceLimit;
  }
  stats.ms = Date.now() - t0;
  return stats;
}
