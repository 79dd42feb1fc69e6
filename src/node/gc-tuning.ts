/**
 * V8's old-generation growth for a process that moves MPC messages ({@link tuneGcForTransfers}).
 *
 * A party receiving shares allocates every byte twice off the JavaScript heap (the socket's read,
 * the message's destination) while its JavaScript heap stays small (about 30 MB for a peer). With
 * such a heap V8 grows the old generation's limit by a factor near its minimum (1.1) after each
 * full collection, so the buffers and their small wrapper objects that survive two scavenges (a
 * destination lives while its 8 MB arrive) reach the limit within a few messages: the receiver of
 * `npm run bench -- net throughput` ran 70-79 full collections per 1.5 GB, 40 % of its busy time
 * in GC. With a factor of 3 ({@link HEAP_GROWING_PERCENT}) it runs about 25, started by the
 * off-heap memory itself (which V8 bounds separately, at 64 MB above what the last collection left),
 * and the channel's receiver needs about 30 % less CPU.
 *
 * The cost is memory: the old generation may grow to 3x its live size before a full collection
 * (V8 itself picks factors from 1.1 up to 4 by how fast it collects against how fast the program
 * allocates; the flag fixes it at 3), and V8's heap limit still caps it. The setting is
 * process-wide; it is applied once, and not at all with `PEERMPC_GC_TUNING=0` or when the
 * process was started with its own `--heap-growing-percent` (`node --heap-growing-percent=50 ...`).
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
