/**
 * Running one case on a chosen transport and turning the parties' results into a row: the part of
 * the mpc, ml and net suites that compares `memory` with `libp2p-tcp` (and, for ml, `threads`).
 *
 * - `memory`: every party in this thread over simulate's in-memory channels (bench/party-run.ts);
 *   the parties' CPU adds up on one core.
 * - `threads`: one worker thread per party over MessagePorts (bench/ml-threads.ts).
 * - `libp2p-tcp`: one process per party, each a real peer on 127.0.0.1, one MPC session per case
 *   through `Peer.openSession` (bench/multiprocess.ts). The processes start once, at the first
 *   case that needs them, and serve every later case of the run.
 */
import { kernel } from '../src/tensor/index.js';
import { caseLabel, benchCase } from './cases.js';
import { median, percentile, UsageError, type Row, type SuiteOptions } from './harness.js';
import { runThreaded } from './ml-threads.js';
import { PartyProcesses, partyThreads } from './multiprocess.js';
import {
  measure,
  partiesOf,
  runInMemory,
  type Measured,
  type RunRequest,
  type Transport,
} from './party-run.js';

/** Every transport name. */
export const TRANSPORTS: readonly Transport[] = ['memory', 'threads', 'libp2p-tcp'];

/**
 * The transports a suite runs: `--transport a,b` or transport names among the filters, checked
 * against the suite's `allowed`; `fallback` when none is named.
 * @throws UsageError for a transport the suite does not have.
 */
export function chooseTransports(
  opts: SuiteOptions,
  allowed: readonly Transport[],
  fallback: readonly Transport[],
): Transport[] {
  const named = [
    ...(opts.transports ?? []).flatMap((t) => t.split(',')).filter((t) => t !== ''),
    ...opts.only.filter((o) => (TRANSPORTS as string[]).includes(o)),
  ];
  for (const t of named)
    if (!(allowed as string[]).includes(t))
      throw new UsageError(`transport "${t}" is not one of ${allowed.join(', ')}`);
  const chosen = allowed.filter((t) => named.includes(t));
  return chosen.length > 0 ? chosen : [...fallback];
}

/** Filters left once transport names are taken out. */
export function nonTransportFilters(only: readonly string[]): string[] {
  return only.filter((o) => !(TRANSPORTS as string[]).includes(o));
}

/** Runs cases on transports; holds the party processes between cases. */
export class TransportRunner {
  private procs: PartyProcesses | undefined;

  /** Runs `req` on `transport`; returns the row figures. */
  async run(transport: Transport, req: RunRequest): Promise<Measured> {
    const parties = partiesOf(req);
    let results;
    if (transport === 'memory') results = await runInMemory(req);
    else if (transport === 'threads') results = await runThreaded(req, parties);
    else {
      if (this.procs !== undefined && this.procs.size !== parties) {
        await this.procs.stop();
        this.procs = undefined;
      }
      this.procs ??= await PartyProcesses.start(parties);
      results = await this.procs.run(req);
    }
    return measure(results, transport);
  }

  /** Stops the party processes, if any were started. */
  async close(): Promise<void> {
    await this.procs?.stop();
    this.procs = undefined;
  }
}

/**
 * A row: {suite, case, n, protocol, parties, transport, median_ms, p95_ms?, first_ms, warmup_runs,
 * ops_per_s, bytes_per_party, rounds, cpu_ms, cpu_ms_per_party, vs_memory, kernel}: first_ms is
 * the cold first run, warmup_runs the untimed runs before the timed ones. `memoryMs` (the memory
 * row's median of the same case) gives vs_memory on other transports.
 */
export function transportRow(
  suite: string,
  req: RunRequest,
  transport: Transport,
  m: Measured,
  memoryMs: number | undefined,
  extra: { p95?: boolean } = {},
): Row {
  const c = benchCase(req.spec);
  const ms = median(m.times);
  const perOp = c.name === 'rounds' ? 1 : c.ops;
  return {
    suite,
    case: c.name,
    n: c.n,
    protocol: req.protocol,
    parties: partiesOf(req),
    transport,
    median_ms: ms,
    ...(extra.p95 === true && { p95_ms: percentile(m.times, 95) }),
    first_ms: m.firstMs,
    warmup_runs: m.warmupRuns,
    ops_per_s: perOp / (ms / 1000),
    bytes_per_party: m.bytes,
    rounds: m.rounds,
    cpu_ms: m.cpuMs,
    cpu_ms_per_party: m.cpuPerParty,
    vs_memory: transport !== 'memory' && memoryMs !== undefined ? ms / memoryMs : null,
    kernel: kernel().name,
  };
}

/** Runs `req` on each transport in turn (memory first), one row each, with progress lines. */
export async function compareTransports(
  runner: TransportRunner,
  suite: string,
  req: RunRequest,
  transports: readonly Transport[],
  progress: (msg: string) => void,
  extra: { p95?: boolean } = {},
): Promise<Row[]> {
  const rows: Row[] = [];
  let memoryMs: number | undefined;
  for (const t of transports) {
    const proto = req.protocol === '' ? '' : `${req.protocol} `;
    const threads =
      t === 'libp2p-tcp'
        ? `, ${process.env.PEERMPC_THREADS ?? partyThreads(partiesOf(req))} kernel thread(s) per party`
        : '';
    const warm = req.warmupMs ? `after ${req.warmupMs} ms of warm-up, ` : '';
    progress(
      `${suite} ${proto}${caseLabel(req.spec)} over ${t} (${req.runs} runs ${warm}kernel ${kernel().name}${threads})`,
    );
    const m = await runner.run(t, req);
    const row = transportRow(suite, req, t, m, memoryMs, extra);
    if (t === 'memory') memoryMs = row.median_ms;
    rows.push(row);
  }
  return rows;
}
