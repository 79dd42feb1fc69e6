/**
 * `npm run bench -- mpc`: MPC ops on secret-shared fixed-point tensors, all parties in this process
 * over in-memory channels (simulate). Inputs are shared before timing and results are not revealed;
 * the time of one op is from the moment every party starts it until the last party has its result.
 *
 * Cases: mul (fixed-point, with truncation) of 1e5 and 1e6 values; matmul n x n by n x n with
 * truncation, n = 256 and 1000; lt (shared vs shared) of 1e5 and 1e6; relu of 1e5 and 1e6.
 * Rows: {suite, case, n, protocol, parties, median_ms, ops_per_s, bytes_per_party, rounds, cpu_ms,
 * kernel}: ops are elements (multiply-adds for matmul); bytes_per_party is the mean payload sent per
 * session party for one op, rounds the op's communication rounds; cpu_ms the median process CPU
 * time of one op (all parties; on a shared machine it says more than the wall time). Protocols come from the registry
 * (src/protocols/registry.ts); the plaintext reference is left out unless asked for by name.
 */
import { lt, relu } from '../src/protocols/ops/compare.js';
import { inputFixed } from '../src/protocols/ops/fixed.js';
import type { Protocol, Share } from '../src/protocols/protocol.js';
import { protocolFactory, protocolNames } from '../src/protocols/registry.js';
import { simulate } from '../src/protocols/simulate.js';
import { kernel } from '../src/tensor/index.js';
import { Barrier, median, progress, randomReals, timeParties, type Row } from './harness.js';

/** Options of {@link benchMpc} (the harness's SuiteOptions fit). */
export interface MpcBenchOptions {
  /** JSON mode: print nothing on stdout. */
  json: boolean;
  /** Protocols to run (default: every registered protocol but plaintext). */
  protocols?: string[];
  /** Timed runs per case (median taken; default 5, 3 for the largest matmul). */
  runs?: number;
  /** Filters on case names ("mul", "lt 1e5", ...) or protocol names. */
  only?: string[];
}

interface Case {
  name: string;
  n: number;
  /** Shapes of the two operands (one for unary ops). */
  shapes: number[][];
  /** Operations counted per op for ops_per_s. */
  ops: number;
  run: (p: Protocol<Share>, xs: Share[]) => Promise<Share>;
}

const F = 16;

const CASES: Case[] = [
  ...[1e5, 1e6].map((n) => ({
    name: 'mul',
    n,
    shapes: [[n], [n]],
    ops: n,
    run: (p: Protocol<Share>, [a, b]: Share[]) => p.mulTrunc(a!, b!, F),
  })),
  ...[256, 1000].map((n) => ({
    name: 'matmul',
    n,
    shapes: [
      [n, n],
      [n, n],
    ],
    ops: n * n * n,
    run: (p: Protocol<Share>, [a, b]: Share[]) => p.matmulTrunc(a!, b!, F),
  })),
  ...[1e5, 1e6].map((n) => ({
    name: 'lt',
    n,
    shapes: [[n], [n]],
    ops: n,
    run: (p: Protocol<Share>, [a, b]: Share[]) => lt(p, a!, b!),
  })),
  ...[1e5, 1e6].map((n) => ({
    name: 'relu',
    n,
    shapes: [[n]],
    ops: n,
    run: (p: Protocol<Share>, [a]: Share[]) => relu(p, a!),
  })),
];

/** Runs the mpc suite; returns its rows. */
export async function benchMpc(opts: MpcBenchOptions): Promise<Row[]> {
  const only = opts.only ?? [];
  const named = only.filter((o) => protocolNames().includes(o));
  const names =
    opts.protocols ?? (named.length > 0 ? named : protocolNames().filter((n) => n !== 'plaintext'));
  const rows: Row[] = [];
  const kname = kernel().name;
  for (const name of names) {
    const factory = protocolFactory(name);
    const parties = factory.defaultParties;
    const cases = CASES.filter((c) => {
      const label = `${c.name} ${c.n >= 1e5 ? `1e${Math.log10(c.n)}` : c.n}`;
      const filters = only.filter((o) => !protocolNames().includes(o));
      return filters.length === 0 || filters.some((o) => label.includes(o) || c.name === o);
    });
    for (const c of cases) {
      const runs = opts.runs ?? (c.name === 'matmul' && c.n >= 1000 ? 3 : 5);
      progress(`mpc ${name} ${c.name} ${c.n} (${runs} runs, kernel ${kname})`);
      const start = new Barrier(parties);
      const end = new Barrier(parties);
      const results = await simulate(
        parties,
        async (s) => {
          const p = factory.create(s);
          const xs: Share[] = [];
          for (const [i, shape] of c.shapes.entries()) {
            const size = shape.reduce((a, b) => a * b, 1);
            const owner = i % parties;
            xs.push(
              await inputFixed(
                p,
                owner,
                s.self === owner ? randomReals(size, 17 + i, 4) : undefined,
                shape,
                F,
              ),
            );
          }
          return timeParties(s, runs, start, end, () => c.run(p, xs));
        },
        { timeouts: { stepMs: 600_000 } },
      );
      const ms = median(results[0]!.times);
      rows.push({
        suite: 'mpc',
        case: c.name,
        n: c.n,
        protocol: name,
        parties,
        median_ms: ms,
        ops_per_s: c.ops / (ms / 1000),
        bytes_per_party: Math.round(results.reduce((a, r) => a + r.bytes, 0) / parties),
        rounds: results[0]!.rounds,
        cpu_ms: median(results[0]!.cpu),
        kernel: kname,
      });
    }
  }
  return rows;
}
