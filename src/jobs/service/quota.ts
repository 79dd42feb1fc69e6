/**
 * Quotas on what strangers can make this peer store: proposals per peer per minute, and jobs
 * waiting for a decision (`proposed`) per requester and in all. A proposal over a quota is refused
 * with a typed error (QuotaExceededError) before it is verified or stored; the rate is counted
 * before verification, so a flood of bad signatures costs little too.
 *
 * Pure bookkeeping with the clock passed in; the service supplies the pending counts.
 */
import { QuotaExceededError } from '../errors.js';

/** The limits (jobs/config.json `quotas`). */
export interface QuotaLimits {
  /** Proposals one peer may send per minute (valid or not). */
  proposalsPerMinute: number;
  /** Jobs from one requester waiting for a decision at once. */
  pendingPerRequester: number;
  /** Jobs waiting for a decision at once, from everyone. */
  pendingTotal: number;
}

/** Defaults: generous for a scientist running batches, small against a flood. */
export const DEFAULT_QUOTAS: QuotaLimits = Object.freeze({
  proposalsPerMinute: 600,
  pendingPerRequester: 20,
  pendingTotal: 500,
});

const WINDOW_MS = 60_000;
/** Most peers tracked at once (older windows are dropped first). */
const MAX_TRACKED = 10_000;

/** Sliding-window proposal counting and the pending checks. */
export class ProposalQuota {
  private readonly recent = new Map<string, number[]>();

  constructor(private readonly limits: QuotaLimits) {}

  /**
   * Counts a proposal from `peer` at `now` (ms).
   * @throws QuotaExceededError when the peer already sent `proposalsPerMinute` in the last minute.
   */
  admit(peer: string, now: number): void {
    const times = (this.recent.get(peer) ?? []).filter((t) => t > now - WINDOW_MS);
    if (times.length >= this.limits.proposalsPerMinute) {
      this.recent.set(peer, times);
      throw new QuotaExceededError('proposals-per-minute', this.limits.proposalsPerMinute);
    }
    times.push(now);
    this.recent.delete(peer); // re-insert: the map stays in order of last activity
    this.recent.set(peer, times);
    if (this.recent.size > MAX_TRACKED) this.recent.delete(this.recent.keys().next().value!);
  }

  /**
   * Checks the jobs waiting for a decision before one more is stored.
   * @throws QuotaExceededError naming the quota reached.
   */
  checkPending(ofRequester: number, total: number): void {
    if (ofRequester >= this.limits.pendingPerRequester)
      throw new QuotaExceededError('pending-per-requester', this.limits.pendingPerRequester);
    if (total >= this.limits.pendingTotal)
      throw new QuotaExceededError('pending-total', this.limits.pendingTotal);
  }
}
