/**
 * Differential privacy: the shapes that the job record, policies, the budget ledger and released
 * results share (docs/JOBS.md, "Differential privacy"). Pure types, no behaviour.
 */

/** The noise a compute party draws: discrete Gaussian (zCDP) or discrete Laplace (pure DP). */
export type DpMechanism = 'gaussian' | 'laplace';

/**
 * What a scientist asks of a job (`job run --dp epsilon=1,delta=1e-6`), signed inside the job:
 * every output is released with noise so that the whole job is (epsilon, delta)-DP with respect
 * to one row of each dataset it uses. Without `delta` the mechanism is discrete Laplace and the
 * job is epsilon-DP; with it, discrete Gaussian (the job costs rho = rhoOfEpsilonDelta(eps, delta)).
 */
export interface DpRequest {
  /** Privacy loss epsilon of the whole job, > 0. */
  epsilon: number;
  /** Failure probability delta in (0, 1e-3]; absent for pure epsilon-DP (discrete Laplace). */
  delta?: number;
}

/**
 * An owner's privacy budget for one dataset (`policy set <dataset> --budget epsilon=2,delta=1e-6,per=30d`):
 * what each requester may spend on it, in zCDP rho (derived from epsilon and delta), over all time
 * or per sliding window of `perDays` days.
 */
export interface DpBudget {
  /** epsilon as the owner gave it. */
  epsilon: number;
  /** delta as the owner gave it (the conversion's failure probability). */
  delta: number;
  /** The budget in zCDP: the rho whose (epsilon, delta) conversion is the one given. */
  rho: number;
  /** Sliding window in days; absent: the budget is for all time. */
  perDays?: number;
}

/** One spend recorded in an owner's budget ledger (`<dataDir>/jobs/budget.jsonl`). */
export interface BudgetSpend {
  /** The job's id. */
  job: string;
  /** The requester's peer id. */
  requester: string;
  /** The owner's dataset name. */
  dataset: string;
  /** zCDP cost of the job for one row of this dataset. */
  rho: number;
  /** ISO 8601 time of the spend. */
  time: string;
}

/** What a released output says about its noise (on `JobOutputValue.dp`). */
export interface DpOutputInfo {
  /** The mechanism. */
  mechanism: DpMechanism;
  /** The share of the job's zCDP cost this output used. */
  rho: number;
  /** epsilon of this output under pure DP (laplace only). */
  epsilon?: number;
  /**
   * One party's noise scale (sigma for gaussian, the Laplace scale for laplace) per value drawn
   * for, in natural units: the output's elements; for variance and std the column sums, then the
   * sums of squares they are finished from.
   */
  scale: number[];
  /** Compute parties that each added a draw (any one honest draw gives the guarantee). */
  noiseParties: number;
  /**
   * Per released element, an interval around the released value that holds the exact
   * (clipped, fixed-point) statistic with probability at least 95% over the noise (`bound`: a
   * rigorous tail bound), or about 95% (`bootstrap`: regression coefficients, by re-solving with
   * simulated noise). NaN (null in JSON) where the value is null.
   */
  interval95: [number, number][];
  /** How the intervals were made. */
  intervalMethod: 'bound' | 'bootstrap';
}
