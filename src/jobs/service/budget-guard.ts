/**
 * An owner's privacy budgets in a job's life: what the requester already spent on each of this
 * owner's datasets (for the decision, dp/policy.ts), and the spend itself, recorded (fsynced) in
 * the budget ledger and audited just before this owner's shares move. A crash after the spend
 * never refunds it; a job whose spend no longer fits (another job spent meanwhile) fails here.
 */
import type { AuditLog } from '../audit/log.js';
import { epsilonAt } from '../dp/policy.js';
import type { BudgetLedger } from '../dp/ledger.js';
import { jobRho } from '../dp/request.js';
import { JobFailedError } from '../errors.js';
import type { Job } from '../job/types.js';
import type { PolicyStore } from '../policy/store.js';

/** The budget side of one owner. */
export class BudgetGuard {
  constructor(
    private readonly self: string,
    private readonly policies: PolicyStore,
    private readonly ledger: BudgetLedger,
    private readonly audit: AuditLog,
  ) {}

  /** This owner's datasets in the job. */
  private mine(job: Job): string[] {
    return [...new Set(job.inputs.filter((i) => i.owner === this.self).map((i) => i.dataset))].sort();
  }

  /** rho the requester spent on each of this owner's datasets in the job, within its budget's window. */
  async spent(job: Job, now = new Date()): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (job.dp === undefined) return out;
    for (const name of this.mine(job)) {
      const b = this.policies.effective(name).budget;
      out.set(name, await this.ledger.spent(name, job.requester, now, b?.perDays));
    }
    return out;
  }

  /**
   * Records the job's spend on each of this owner's datasets (checked against the budget in the
   * same step) and audits it. @throws JobFailedError when a budget no longer holds the job.
   */
  async spend(job: Job, now = new Date()): Promise<void> {
    if (job.dp === undefined) return;
    const rho = jobRho(job.dp);
    for (const name of this.mine(job)) {
      const b = this.policies.effective(name).budget;
      const s = { job: job.id, requester: job.requester, dataset: name, rho, time: now.toISOString() };
      if (b === undefined) await this.ledger.spend(s);
      else {
        const r = await this.ledger.spendWithin(s, b);
        if (!r.recorded)
          throw new JobFailedError(
            job.id,
            `dataset ${name}: privacy budget exceeded at release (rho ${Math.max(0, b.rho - r.spentBefore).toPrecision(3)} left, the job costs ${rho.toPrecision(3)})`,
          );
      }
      const epsilon = b === undefined ? undefined : epsilonAt(rho, b.delta);
      this.audit.append({
        type: 'dp.spent',
        job: job.id,
        requester: job.requester,
        dataset: name,
        privacy: { rho, ...(epsilon !== undefined ? { epsilon, delta: b!.delta } : {}) },
      });
    }
  }
}
