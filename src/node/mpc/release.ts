/**
 * Gives a job's memory back when the process has no MPC session open any more.
 *
 * A job's shares are BigUint64Arrays: their bytes live outside the V8 heap, and V8 frees them only
 * when a garbage collection finds their (small) JavaScript objects dead. V8 collects when
 * JavaScript allocates; once the last job ends a daemon allocates almost nothing, so the shares of
 * that job (hundreds of MiB after a 600,000-row histogram, see `npm run bench -- memory`) stayed
 * allocated, unreferenced, until the next job. So when the last session of the process ends, and
 * none opens for {@link RELEASE_DELAY_MS} (the job's own frames unwind meanwhile), one full
 * collection runs. It is one collection per idle period, not per job or per step: back-to-back
 * jobs leave collecting to V8.
 *
 * The collection needs `gc`, which Node exposes only under `--expose-gc`: without that flag it is
 * obtained once from a new vm context with the flag turned on for that moment only
 * ({@link garbageCollector}); where that fails nothing is collected and nothing else changes.
 * Process-wide on purpose: garbage is process-wide, so one daemon (or one test process with several
 * peers) collects once its last session ends, whichever peer owned it.
 *
 * glibc's malloc keeps most of what the collection frees for the process's later allocations, so
 * the resident size of a daemon would hardly drop: {@link TRIM_DELAY_MS} after the collection, the
 * native addon's `malloc_trim(0)` gives it back to the operating system (a fixed mmap threshold
 * does too, but measured about twice the CPU time of a job). `npm run bench -- memory` shows both.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimNativeHeap } from '../../tensor/kernels/native.js';
import { nodeLogger } from '../log.js';

const log = nodeLogger('mpc:release');

/** Time from the end of the last open session to the collection, ms. */
export const RELEASE_DELAY_MS = 1_000;
/** Time from the collection to returning the allocator's free memory to the system, ms. */
export const TRIM_DELAY_MS = 500;

let found: (() => void) | null | undefined;

/** The `gc` function (see the module comment), or undefined when this runtime has none. */
export function garbageCollector(): (() => void) | undefined {
  if (found === undefined) {
    const own = (globalThis as { gc?: unknown }).gc;
    if (typeof own === 'function') found = own as () => void;
    else {
      try {
        setFlagsFromString('--expose-gc');
        const fn: unknown = runInNewContext('gc');
        found = typeof fn === 'function' ? (fn as () => void) : null;
      } catch {
        found = null;
      } finally {
        setFlagsFromString('--no-expose-gc'); // later contexts get no `gc` global
      }
    }
  }
  return found ?? undefined;
}

/** Options of {@link IdleRelease}. */
export interface IdleReleaseOptions {
  /** Time from the end of the last session to the collection, ms (default {@link RELEASE_DELAY_MS}). */
  delayMs?: number;
  /** Runs the collection (default: {@link garbageCollector}'s `gc`). */
  collect?: () => void;
  /** Returns the allocator's free memory to the system (default: the native addon's `malloc_trim`). */
  trim?: () => boolean;
}

/** Counts the open sessions and collects once after the last one ends; see the module comment. */
export class IdleRelease {
  private open = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waiters: (() => void)[] = [];
  /** Collections run so far. */
  releases = 0;
  /** Duration of the last collection, ms (0 before any). */
  lastMs = 0;

  constructor(private readonly options: IdleReleaseOptions = {}) {}

  /** Sessions open now. */
  get sessions(): number {
    return this.open;
  }

  /** A session opened: no collection while it runs. */
  opened(): void {
    this.open++;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A session ended (closed or failed); the last one schedules the collection. */
  closed(): void {
    if (this.open === 0) return;
    if (--this.open > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.release(), this.options.delayMs ?? RELEASE_DELAY_MS);
    if (this.waiters.length === 0) this.timer.unref(); // keeps a process alive only for a waiter
  }

  /** Resolves after the next collection. */
  whenReleased(): Promise<void> {
    this.timer?.ref();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    this.timer = undefined;
    if (this.open > 0) return;
    const collect = this.options.collect ?? garbageCollector();
    const t0 = performance.now();
    collect?.();
    this.lastMs = performance.now() - t0;
    this.releases++;
    if (collect === undefined) log('no session open; no gc function, nothing collected');
    else log('no session open; collected in %d ms', Math.round(this.lastMs));
    // V8 frees the buffers' memory (partly on a background thread); then the allocator may return it
    const trim = this.options.trim ?? trimNativeHeap;
    const trimmer = setTimeout(() => {
      if (this.open === 0) log('allocator %s memory to the system', trim() ? 'returned' : 'had no');
    }, TRIM_DELAY_MS);
    trimmer.unref();
    for (const w of this.waiters.splice(0)) w();
  }
}

/** The process's tracker, shared by every SessionManager of the process. */
export const mpcRelease = new IdleRelease();
