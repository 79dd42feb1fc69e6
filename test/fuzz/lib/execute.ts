/**
 * Running one input: under the allocation guard, with a clock and the escape catchers, classified
 * as passed (`ok`, `refused` with an expected error) or a finding (see runner.ts); and minimizing
 * a failing input while it fails the same way.
 */
import { getHeapStatistics } from 'node:v8';
import { AllocationBudgetError, beginGuard, endGuard } from './guard.js';
import type { Candidate, Prepared } from './target.js';
import { InvariantError } from './target.js';

/** Kinds of findings. */
export type FindingKind = 'crash' | 'timeout' | 'memory' | 'invariant' | 'unhandled';

/** A failing input. */
export interface Finding {
  target: string;
  kind: FindingKind;
  /** The seed and iteration that produced it (-1: not from the loop). */
  seed: string;
  iteration: number;
  /** The error (or what went wrong). */
  error: { name: string; message: string; stack: string };
  /** Dedup key: kind, error class, normalized message, first src/ frame. */
  signature: string;
  /** The input as generated. */
  input: Uint8Array;
  /** The smallest input found that fails the same way. */
  minimized: Uint8Array;
  /** Time the input took, ms. */
  ms: number;
}

/** Limits of one run. */
export interface Limits {
  /** Per-input time limit, ms (default 2000). */
  timeoutMs?: number;
  /** Memory budget: max(`memoryFloor`, `memoryRatio` x input bytes) (defaults 64 MiB, 64). */
  memoryFloor?: number;
  memoryRatio?: number;
  /** Run a slow input again before calling it a timeout (default true). */
  confirmTimeouts?: boolean;
}

/** What one execution did. */
export interface Outcome {
  status: 'ok' | 'refused' | 'finding';
  kind?: FindingKind;
  error?: unknown;
  /** Error class of a refusal. */
  refusedBy?: string;
  ms: number;
}

const pendingEscapes: unknown[] = [];
const onEscape = (err: unknown): void => {
  pendingEscapes.push(err);
};

let capturing = 0;

/** Routes uncaught errors and unhandled rejections to the current input while fuzzing (nests). */
export function captureEscapes(on: boolean): void {
  capturing += on ? 1 : -1;
  if (on && capturing === 1) {
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
  } else if (!on && capturing === 0) {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  }
}

/** Name, message and stack of anything thrown. */
export function errorInfo(err: unknown): { name: string; message: string; stack: string } {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack ?? '' };
  return { name: typeof err, message: String(err), stack: '' };
}

/** JS heap plus external memory (Buffers, zlib output) in use. */
function heapNow(): number {
  const h = getHeapStatistics() as ReturnType<typeof getHeapStatistics> & { external_memory?: number };
  return h.used_heap_size + (h.external_memory ?? 0);
}

/** The time of a second run (a slow first run may be the machine's load, not the input). */
async function rerunMs(p: Prepared, bytes: Uint8Array): Promise<number> {
  const t0 = performance.now();
  await p.run(bytes).catch(() => {});
  return performance.now() - t0;
}

/** Runs one input and classifies what happened. */
export async function execute(p: Prepared, bytes: Uint8Array, limits: Limits = {}): Promise<Outcome> {
  captureEscapes(true);
  try {
    return await classify(p, bytes, limits);
  } finally {
    captureEscapes(false);
  }
}

async function classify(p: Prepared, bytes: Uint8Array, limits: Limits): Promise<Outcome> {
  const budget = Math.max(limits.memoryFloor ?? 64 * 2 ** 20, (limits.memoryRatio ?? 64) * bytes.length);
  pendingEscapes.length = 0;
  const heapBefore = heapNow();
  const t0 = performance.now();
  let result: unknown;
  let error: unknown;
  let threw = false;
  beginGuard(budget);
  try {
    result = await p.run(bytes);
  } catch (err) {
    threw = true;
    error = err;
  }
  const alloc = endGuard();
  const ms = performance.now() - t0;
  if (!threw && p.check) {
    try {
      p.check(result, bytes);
    } catch (err) {
      return { status: 'finding', kind: 'invariant', error: err, ms };
    }
  }
  const heapGrowth = heapNow() - heapBefore; // the result still held: counted
  await new Promise((r) => setImmediate(r)); // let escaped errors surface
  if (alloc.violation !== undefined || error instanceof AllocationBudgetError)
    return { status: 'finding', kind: 'memory', error: new AllocationBudgetError(alloc.violation), ms };
  if (heapGrowth > budget) {
    const e = new AllocationBudgetError(
      `heap and external memory grew by ${heapGrowth} bytes (budget ${budget})`,
    );
    return { status: 'finding', kind: 'memory', error: e, ms };
  }
  if (pendingEscapes.length > 0)
    return { status: 'finding', kind: 'unhandled', error: pendingEscapes[0], ms };
  if (error instanceof InvariantError) return { status: 'finding', kind: 'invariant', error, ms };
  if (threw && !p.expected(error)) return { status: 'finding', kind: 'crash', error, ms };
  const limit = limits.timeoutMs ?? 2000;
  const confirm = limits.confirmTimeouts !== false;
  if (ms > limit && (!confirm || (await rerunMs(p, bytes)) > limit)) {
    const e = new Error(`took ${Math.round(ms)} ms (limit ${limit} ms)${confirm ? ', twice' : ''}`);
    return { status: 'finding', kind: 'timeout', error: e, ms };
  }
  return threw ? { status: 'refused', refusedBy: errorInfo(error).name, ms } : { status: 'ok', ms };
}

/** The dedup key of a finding. */
export function signatureOf(kind: FindingKind, err: unknown): string {
  const { name, message, stack } = errorInfo(err);
  const msg = message
    .split('\n')[0]!
    .replace(/"[^"]*"/g, '"…"')
    .replace(/-?(\d+|Infinity|NaN)/g, 'N')
    .slice(0, 100);
  const frame = /\((?:[^()]*\/)?(src\/[^():]+):\d+/.exec(stack)?.[1] ?? '';
  return `${kind}|${name}|${msg}|${frame}`;
}

/** Inputs larger than this are kept as generated (shrinking copies them for every variant). */
const MINIMIZE_MAX_BYTES = 256 * 1024;

/** Shrinks a failing candidate while it fails with the same kind and error class. */
export async function minimize(
  p: Prepared,
  c: Candidate,
  first: Outcome,
  limits: Limits,
  budgetMs = 3000,
): Promise<Uint8Array> {
  if (first.kind === 'timeout' || c.bytes.length > MINIMIZE_MAX_BYTES) return c.bytes;
  const want = signatureOf(first.kind!, first.error).split('|').slice(0, 2).join('|');
  const end = performance.now() + budgetMs;
  let best = c;
  for (let improved = true; improved && performance.now() < end;) {
    improved = false;
    for await (const v of p.shrink(best)) {
      if (performance.now() > end) break;
      if (v.bytes.length > best.bytes.length) continue;
      const o = await execute(p, v.bytes, limits);
      if (o.status === 'finding' && signatureOf(o.kind!, o.error).startsWith(want)) {
        best = v;
        improved = true;
        break;
      }
    }
  }
  return best.bytes;
}
