/**
 * V8's old-generation growth for a process that moves MPC messages ({@link tuneGcForTransfers}).
 *
 * A party receiving shares allocates every byte twice off the JavaScript heap (the socket's read,
 * the message's destination; before 2026-12-06 a third time for Noise messages cut between reads)
 * while its JavaScript heap stays small (about 30 MB for a peer). V8 then starts full collections at its old
 * generation's allocation limit, which it sets after each one from that small live size: the
 * receiver of `npm run bench -- net throughput` ran 70-79 full collections per 1.5 GB ("heap
 * limit" in the bench's GC line), 40 % of its busy time in GC. With a growth factor of 3
 * ({@link HEAP_GROWING_PERCENT}) it runs 20-35, nearly all started by the off-heap memory itself
 * (which V8 bounds on its own), and needs about 30 % less CPU (864-928 -> 598-684 ms per 256 MiB).
 * Since then most of those buffers are outside V8's count (util/large-buffers.ts,
 * socket-reads.ts), so fewer collections start either way; the factor still bounds the rest.
 *
 * The flag fixes the factor rather than raising a floor (V8 has no floor): where V8 would pick up to
 * 4 (a program whose collections are cheap next to its work) it now gets 3, a few more full
 * collections; where it would shrink the limit for memory's sake (its memory reducer, an idle
 * process) it no longer does, so the old generation may reach 3x its live size before a full
 * collection, still capped by V8's heap limit. An idle daemon is not affected in practice: when its
 * last session ends it runs one full collection itself (mpc/release.ts; `npm run bench -- memory`
 * shows the same idle and peak memory with and without this). The setting is process-wide (worker
 * threads and an application embedding peermpc included); it is applied once, and not at all with
 * `PEERMPC_GC_TUNING=0` or when the process was started with its own `--heap-growing-percent`
 * (`node --heap-growing-percent=50 ...`). Node calls flags set after start undefined behaviour;
 * this one is a number V8 reads each time it computes a limit, and test/node/gc-tuning.test.ts
 * checks from V8's own trace that the limits then grow by 3.
 */
import v8 from 'node:v8';

/** The old generation may grow to (1 + this / 100) x its live size between full collections. */
export const HEAP_GROWING_PERCENT = 200;

let applied: boolean | undefined;

/** Whether the process set its own growth on its command line (NODE_OPTIONS refuses the flag). */
function ownSetting(): boolean {
  return process.execArgv.some((a) => /^--heap[-_]growing[-_]percent/.test(a));
}

/**
 * Sets V8's heap growing factor for the process (see the module comment), once. Returns whether
 * the setting is in force: false with `PEERMPC_GC_TUNING=0` or a setting of the process's own.
 */
export function tuneGcForTransfers(): boolean {
  if (applied !== undefined) return applied;
  applied = process.env.PEERMPC_GC_TUNING !== '0' && !ownSetting();
  if (applied) v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return applied;
}
