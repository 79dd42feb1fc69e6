/**
 * What a simulation reports (`simulateNetwork()` returns it, `peermpc simulate --json` prints it):
 * times to a started and a connected network, peak memory, discovery latency and success, and
 * per job its phases, traffic per party and whether it equals the plaintext answer. Ids, counts,
 * times and the jobs' released results only: the synthetic rows are not in it.
 */
import type { JobOutputValue, JobStats } from '../jobs/store.js';

/** Discovery: random searches for random datasets from random peers. */
export interface SimDiscovery {
  /** Searches made (from running peers, for datasets whose owner was running). */
  searches: number;
  /** Searches that found the dataset's owner. */
  found: number;
  /** found / searches (1 when there were none). */
  successRate: number;
  /** Searches not made: the searching peer or the dataset's owner had left (churn). */
  skipped: number;
  /** Latency percentiles over every search, in ms. */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Every search's latency, in order (for a CDF). */
  latenciesMs: number[];
}

/** One party's share of a job. */
export interface SimJobParty {
  /** Peer index. */
  peer: number;
  /** This peer's phase times (ms). */
  ms: JobStats['ms'];
  bytesSent: number;
  bytesReceived: number;
  rounds: number;
}

/** One job of the scenario. */
export interface SimJob {
  /** Index in the scenario's `jobs`. */
  index: number;
  requester: number;
  datasets: string[];
  protocol: string;
  /** Final state (`done`, `failed`...), or `error` when it could not be proposed. */
  state: string;
  /** Why it did not finish. */
  error?: string;
  /** When it was proposed, ms after the jobs began. */
  startMs: number;
  /** Proposal to final state, ms. */
  ms: number;
  /** The requester's released values. */
  result?: JobOutputValue[];
  /** Whether every checked output equals the plaintext answer within {@link SIM_TOLERANCE}. */
  correct?: boolean;
  /** Largest difference from the plaintext answer over the checked outputs. */
  maxError?: number;
  /** The parties' phases and traffic (compute parties and owners). */
  parties: SimJobParty[];
}

/** One churn event as it happened. */
export interface SimChurn {
  at: number;
  peer: number;
  action: 'leave' | 'join';
  /** ms after the start of the scenario's events when it was applied. */
  appliedMs: number;
  error?: string;
}

/** A simulation's report. */
export interface SimReport {
  peers: number;
  transport: 'memory' | 'tcp';
  seed: number;
  /** Every peer started, ms. */
  startMs: number;
  /** Every peer's routing table non-empty, ms after the start began. */
  connectedMs: number;
  /** Peak resident memory of this process, MiB. */
  rssMiB: number;
  discovery: SimDiscovery;
  jobs: SimJob[];
  churn: SimChurn[];
}

/**
 * A checked output's bound: |got - expected| <= SIM_TOLERANCE * max(1, |expected|). Fixed point
 * with f = 16 bits and the protocols' truncation stay far inside it for the scenario's data.
 */
export const SIM_TOLERANCE = 1e-3;

/** The p-th percentile (0-100, nearest rank) of `xs`; 0 for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
