/**
 * `npm run bench -- sim [50] [100] [200] [--transport memory|workers|tcp[,...]]`: networks of real
 * peers in this process (simulateNetwork): rows {suite: 'sim', case: 'network', n (peers),
 * transport, workers, start_ms, rss_mib, discovery_p50_ms, discovery_p95_ms, success_rate, job_ms}
 * (issue 18). Default: 50 and 100 peers over the memory transport; name the peer counts to choose
 * (200 takes minutes), `--transport tcp` for loopback TCP, `workers` for the memory transport
 * with the peers spread over two worker threads (row transport `memory`, workers 2). One run per row: a network's start is the
 * measurement. Each network runs 200 random searches and one rep3 job among three owners;
 * `median_ms` is the discovery p50 and `job_ok` whether the job equalled the plaintext answer.
 */
import { simulateNetwork } from '../src/sim/simulate.js';
import { progress, UsageError, type Row, type SuiteOptions } from './harness.js';

const DEFAULT_SIZES = [50, 100];

/** The sim suite. */
export async function benchSim(opts: SuiteOptions): Promise<Row[]> {
  const sizes = opts.only.length > 0 ? opts.only.map(Number) : DEFAULT_SIZES;
  if (sizes.some((n) => !Number.isInteger(n) || n < 4 || n > 1000))
    throw new UsageError('sim: name peer counts between 4 and 1000 (e.g. 50 100 200)');
  const transports = opts.transports ?? ['memory'];
  for (const t of transports)
    if (t !== 'memory' && t !== 'tcp' && t !== 'workers')
      throw new UsageError(`sim: transport ${t} (memory, workers or tcp)`);
  const rows: Row[] = [];
  for (const name of transports) {
    const transport = name === 'tcp' ? 'tcp' : 'memory';
    const workers = name === 'workers' ? 2 : 0;
    for (const n of sizes) {
      progress(`sim: ${n} peers over ${transport}${workers > 0 ? `, ${workers} worker threads` : ''}`);
      let last = '';
      const r = await simulateNetwork(
        {
          peers: n,
          transport,
          searches: 200,
          jobs: [{ requester: n - 1, datasets: ['data-0', 'data-1', 'data-2'], stats: ['count', 'mean'] }],
        },
        {
          workers,
          onProgress: (p) => {
            const line = `  ${p.phase} ${p.done}/${p.total}`;
            if (p.phase !== last || p.done === p.total) progress(line);
            last = p.phase;
          },
        },
      );
      const job = r.jobs[0]!;
      rows.push({
        suite: 'sim',
        case: 'network',
        n,
        transport,
        workers,
        median_ms: r.discovery.p50Ms,
        ops_per_s: r.discovery.p50Ms > 0 ? 1000 / r.discovery.p50Ms : 0,
        start_ms: r.connectedMs,
        rss_mib: r.rssMiB,
        discovery_p50_ms: r.discovery.p50Ms,
        discovery_p95_ms: r.discovery.p95Ms,
        success_rate: r.discovery.successRate,
        job_ms: job.ms,
        job_ok: job.state === 'done' && job.correct === true ? 1 : 0,
      });
    }
  }
  return rows;
}
