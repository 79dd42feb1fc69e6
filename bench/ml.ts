/**
 * `npm run bench -- ml [--transport memory|libp2p-tcp|threads] [filters]`: private ML.
 *
 * Cases (bench/cases.ts):
 * - `mlp inference` (n = 100): MLP 784-128-128-10 (relu, softmax) on a batch of 100; the weights
 *   are shared by one party (the model owner, party 0), the inputs by another (the data owner,
 *   party 1), the predictions opened to a third (party 2). Timed: both inputs, the forward pass and
 *   the opening. `mlp inference logits` stops before the softmax (same classes).
 * - `mlp train step` (n = 128): one SGD step (forward, softmax cross-entropy gradient, backward,
 *   update) of the same MLP on a batch of 128 shared rows.
 * - `logreg epoch` (n = 10000): one epoch of logistic regression on 10,000 x 20 shared rows, batches
 *   of 128 (at most 3 runs unless --runs is given).
 * Transports (default memory and libp2p-tcp, side by side): `memory` (every party in this thread,
 * simulate's in-memory channels: the parties' CPU adds up on one core), `libp2p-tcp` (one process
 * per party on 127.0.0.1, each a real peer: Noise, Yamux, the MPC channel; bench/multiprocess.ts)
 * and, when asked for, `threads` (one worker thread per party over MessagePorts). Filters:
 * protocol names, case names (substrings), transport names.
 * Rows: {suite, case, n, protocol, parties, transport, median_ms, ops_per_s, bytes_per_party,
 * rounds, cpu_ms, cpu_ms_per_party, vs_memory, kernel}, ops being rows (predictions or training
 * rows) per second; cpu_ms is the median CPU time of one run, all parties together (memory and
 * threads: the process's; libp2p-tcp: the sum of the parties' processes'), cpu_ms_per_party
 * (libp2p-tcp only) each party process's, in party order; vs_memory the row's median over the
 * memory row's. Peers (issue 6): MP-SPDZ replicated ring 62 ms for the inference, CrypTen 132 ms,
 * TF Encrypted 167 ms per training batch of 128; targets on this 2-core machine: rep3 inference
 * < 60 ms, training step < 150 ms.
 */
import { protocolNames } from '../src/protocols/registry.js';
import { ML_CASES } from './cases.js';
import { progress, type Row, type SuiteOptions } from './harness.js';
import { chooseTransports, compareTransports, nonTransportFilters, TransportRunner } from './transports.js';

/**
 * Runs the ml suite; returns its rows. Filters (`only`): protocol names, case names (substrings),
 * and `memory` / `threads` / `libp2p-tcp` for the transport (or `--transport`).
 */
export async function benchMl(opts: SuiteOptions): Promise<Row[]> {
  const transports = chooseTransports(opts, ['memory', 'threads', 'libp2p-tcp'], ['memory', 'libp2p-tcp']);
  const rest = nonTransportFilters(opts.only);
  const protoFilter = rest.filter((o) => protocolNames().includes(o));
  const caseFilter = rest.filter((o) => !protocolNames().includes(o));
  const names = protoFilter.length > 0 ? protoFilter : protocolNames().filter((n) => n !== 'plaintext');
  const cases = ML_CASES.filter((k) => caseFilter.length === 0 || caseFilter.some((o) => k.name.includes(o)));
  const rows: Row[] = [];
  const runner = new TransportRunner();
  try {
    for (const protocol of names) {
      for (const spec of cases) {
        const runs =
          spec.name === 'logreg epoch' && opts.runsGiven !== true ? Math.min(opts.runs, 3) : opts.runs;
        const req = { protocol, spec, runs, warmupMs: opts.warmupMs };
        rows.push(...(await compareTransports(runner, 'ml', req, transports, progress)));
      }
    }
  } finally {
    await runner.close();
  }
  return rows;
}
