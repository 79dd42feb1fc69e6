/**
 * `npm run bench -- mpc [--transport memory|libp2p-tcp] [filters]`: MPC ops on secret-shared
 * fixed-point tensors. Inputs are shared before timing and results are not revealed; the time of
 * one op is from the moment every party starts it until the last party has its result
 * (bench/party-run.ts), median over the timed runs after one warm-up run.
 *
 * Filters: protocol names, case names (`mul`), labels (`"mul 1e6"`), sizes (`1e6`), transports.
 * A label of a size not in the list below (`"mul 1e4"`) adds that case.
 *
 * More compute parties (bench/additive-wide.ts): `additive-<N>` is the additive protocol with N
 * compute parties and a dealer, `additive-<N>-all` / `-king` with its openings forced; memory only.
 * E.g. openings before/after at 16 parties:
 *   npm run bench -- mpc additive-16-all additive-16 "mul 1e4" --transport memory
 *
 * Cases (bench/cases.ts): mul (fixed-point, with truncation) of 1e5 and 1e6 values; matmul n x n by
 * n x n with truncation, n = 256 and 1000; lt (shared vs shared) of 1e5 and 1e6; relu of 1e5 and
 * 1e6. lt and relu pass a bound their operands keep (`bits`: 32, cases.ts COMPARE_BITS), as
 * MP-SPDZ compares sfix over its declared bit length; `lt64` and `relu64` (1e5) are the same
 * without a bound, what ML layers and job programs run. Runs: `--runs` (default 5); the biggest
 * cases (1e6 values, matmul 1000) take at most 3 unless --runs is given, so the default run stays
 * within minutes on a 2-core machine.
 *
 * Transports (default both, side by side): `memory`, every party in this thread over in-memory
 * channels; `libp2p-tcp`, one process per party on 127.0.0.1, each a real peer (Noise, Yamux, the
 * MPC channel) in one session per case (bench/multiprocess.ts).
 *
 * Rows: {suite, case, n, protocol, parties, transport, median_ms, ops_per_s, bytes_per_party,
 * rounds, cpu_ms, cpu_ms_per_party, vs_memory, kernel}: ops are elements (multiply-adds for
 * matmul); bytes_per_party is the mean payload sent per party for one op, rounds the op's
 * communication rounds; cpu_ms the median CPU time of one op, all parties together (memory: the
 * process's; libp2p-tcp: the sum of the parties' processes'); cpu_ms_per_party (libp2p-tcp only,
 * null in memory) the median CPU time of one op of each party's process, in party order;
 * vs_memory (libp2p-tcp rows) the row's median over the memory row's. On a shared machine the CPU
 * times say more than the wall times. Protocols come from the registry (src/protocols/registry.ts);
 * the plaintext reference is left out unless asked for by name.
 */
import { protocolNames } from '../src/protocols/registry.js';
import { isWideAdditive, registerWideAdditive } from './additive-wide.js';
import { caseLabel, MPC_CASES, type CaseSpec } from './cases.js';
import { progress, UsageError, type Row } from './harness.js';
import type { Transport } from './party-run.js';
import { chooseTransports, compareTransports, nonTransportFilters, TransportRunner } from './transports.js';

/** Options of {@link benchMpc} (the harness's SuiteOptions fit). */
export interface MpcBenchOptions {
  /** JSON mode: print nothing on stdout. */
  json: boolean;
  /** Protocols to run (default: every registered protocol but plaintext). */
  protocols?: string[];
  /** Timed runs per case (median taken; default 5, at most 3 for the biggest cases). */
  runs?: number;
  /** Whether `runs` was asked for (then the biggest cases take it too). */
  runsGiven?: boolean;
  /** Filters on case names ("mul", "lt 1e5", ...), protocol names or transports. */
  only?: string[];
  /** `--transport`: memory, libp2p-tcp or both (default both). */
  transports?: string[];
  /** Untimed runs for this long before the timed ones, ms (default: one warm-up run). */
  warmupMs?: number;
}

/** Cases a filter names with a size not in MPC_CASES ("mul 1e4"): run as asked. */
function extraCases(filters: readonly string[]): CaseSpec[] {
  const names = new Set(MPC_CASES.map((c) => c.name));
  const out: CaseSpec[] = [];
  for (const f of filters) {
    const m = /^(\S+) (\d+(?:e\d+)?)$/.exec(f);
    const n = m === null ? NaN : Number(m[2]);
    if (m === null || !names.has(m[1]!) || !Number.isInteger(n) || n < 1) continue;
    const known = [...MPC_CASES, ...out].some((c) => c.name === m[1] && c.n === n);
    if (!known) out.push({ suite: 'mpc', name: m[1]!, n });
  }
  return out;
}

/** The biggest cases: fewer runs by default. */
export function isBig(c: CaseSpec): boolean {
  return (c.name === 'matmul' && c.n >= 1000) || (c.name !== 'matmul' && c.n >= 1e6);
}

/** Runs the mpc suite; returns its rows. */
export async function benchMpc(opts: MpcBenchOptions): Promise<Row[]> {
  const only = opts.only ?? [];
  const transports: Transport[] = chooseTransports(
    { json: opts.json, runs: 0, only, transports: opts.transports },
    ['memory', 'libp2p-tcp'],
    ['memory', 'libp2p-tcp'],
  );
  const rest = nonTransportFilters(only);
  for (const o of rest) registerWideAdditive(o);
  const named = rest.filter((o) => protocolNames().includes(o));
  const names =
    opts.protocols ?? (named.length > 0 ? named : protocolNames().filter((n) => n !== 'plaintext'));
  const filters = rest.filter((o) => !protocolNames().includes(o));
  const cases = [
    ...MPC_CASES.filter(
      (c) =>
        filters.length === 0 ||
        filters.some(
          (o) => o === c.name || o === caseLabel(c) || o === caseLabel(c).slice(c.name.length + 1),
        ),
    ),
    ...extraCases(filters),
  ];
  const runs = opts.runs ?? 5;
  const rows: Row[] = [];
  const runner = new TransportRunner();
  try {
    for (const protocol of names) {
      const wide = isWideAdditive(protocol);
      if (wide && !transports.includes('memory'))
        throw new UsageError(`${protocol} runs in memory only: add --transport memory`);
      for (const spec of cases) {
        const n = isBig(spec) && opts.runsGiven !== true ? Math.min(runs, 3) : runs;
        const on: Transport[] = wide ? ['memory'] : transports;
        const req = { protocol, spec, runs: n, warmupMs: opts.warmupMs };
        rows.push(...(await compareTransports(runner, 'mpc', req, on, progress)));
      }
    }
  } finally {
    await runner.close();
  }
  return rows;
}
