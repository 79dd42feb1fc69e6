/** Benchmark plumbing shared by every suite: timing, medians, rows, and table output. */

/** One benchmark result row; suites add their own fields (protocol, parties, bytes...). */
export interface Row {
  suite: string;
  case: string;
  n: number;
  median_ms: number;
  ops_per_s: number;
  [field: string]: string | number | readonly number[] | null | undefined;
}

/** Options every suite receives. */
export interface SuiteOptions {
  /** JSON mode: the suite must print nothing to stdout (progress goes to stderr). */
  json: boolean;
  /** Repetitions per case (median taken); suites may use fewer for very slow cases. */
  runs: number;
  /** Whether `--runs` was given (then suites use it for their slow cases too). */
  runsGiven?: boolean;
  /** Optional filter on case names or kernels/protocols, from the command line. */
  only: string[];
  /** `--transport a,b`: where the parties run (suites that have several; default: theirs). */
  transports?: string[];
  /** `--warmup-ms`: untimed runs for this long before the timed ones (mpc, ml, net's multi-party cases). */
  warmupMs?: number;
}

/**
 * Default warm-up of the multi-party cases, ms: enough for V8 to optimise an ML op's code in each
 * party process (the softmax inference's runs settle after about 30, 3 s).
 */
export const DEFAULT_WARMUP_MS = 3000;

/** A bad command line (the suite names what is wrong); bench/index.ts prints it and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A benchmark suite: returns its rows. */
export type Suite = (opts: SuiteOptions) => Promise<Row[]>;

/**
 * Milliseconds on the machine's monotonic clock (process.hrtime), the same in every thread and
 * process of the machine: party processes time their runs with it and the coordinator compares.
 */
export function clock(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** This process's CPU time so far (user + system, all threads), ms. */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Median of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Times `fn` `runs` times after one warm-up; returns the per-run milliseconds. */
export async function timeRuns(
  runs: number,
  fn: () => unknown | Promise<unknown>,
  warmup = 1,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Progress line on stderr (never stdout, so --json output stays a clean array). */
export function progress(msg: string): void {
  process.stderr.write(`  ${msg}\n`);
}

/** Renders rows as an aligned text table. */
export function table(rows: readonly Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const fmt = (v: unknown): string => {
    if (Array.isArray(v)) return v.map(fmt).join(',');
    if (typeof v === 'number') {
      if (Number.isInteger(v)) return String(v);
      if (Math.abs(v) >= 1e6) return v.toExponential(3);
      return v.toFixed(Math.abs(v) < 10 ? 3 : 1);
    }
    return v === undefined || v === null ? '' : String(v);
  };
  const cells = rows.map((r) => cols.map((c) => fmt(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i]!)).join('  ');
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Makes `n` parties (all in this process) wait for each other; the last to arrive records the time. */
export class Barrier {
  private waiting = 0;
  private release: (() => void) | undefined;
  private gate: Promise<void> = this.reset();
  /** {@link clock} when the last party arrived. */
  at = 0;
  /** Process CPU time (user + system, all threads, ms) when the last party arrived. */
  cpu = 0;
  constructor(private readonly n: number) {}
  private reset(): Promise<void> {
    return new Promise<void>((r) => (this.release = r));
  }
  /** Resolves once all `n` parties have called it. */
  async wait(): Promise<void> {
    const gate = this.gate;
    if (++this.waiting === this.n) {
      this.waiting = 0;
      this.at = clock();
      this.cpu = cpuNow();
      const release = this.release!;
      this.gate = this.reset();
      release();
    }
    await gate;
  }
}

/** `n` deterministic reals, uniform in [-scale, scale) (xorshift32 from `seed`): benchmark inputs. */
export function randomReals(n: number, seed: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 2 ** 32) * 2 * scale - scale;
  }
  return out;
}
