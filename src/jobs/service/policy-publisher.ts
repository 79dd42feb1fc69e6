/**
 * Dataset policies as the job service keeps them: set and removed with an audit entry, and their
 * summaries published in the datasets' signed descriptions (so requesters see what would pass).
 */
import { logger } from '../../util/log.js';
import type { LocalDataset, PolicySummary } from '../../node/types.js';
import type { AuditLog } from '../audit/log.js';
import type { PolicyStore } from '../policy/store.js';
import { policySummary, type DatasetPolicy } from '../policy/types.js';
import type { JobDatasets } from './datasets.js';

const log = logger('jobs');

/** See the module comment. */
export class PolicyPublisher {
  constructor(
    private readonly policies: PolicyStore,
    private readonly audit: AuditLog,
    private readonly datasets: JobDatasets,
  ) {}

  /** The summary of the policy that applies to `dataset`, as its description publishes it. */
  policySummary(dataset: string): PolicySummary {
    return policySummary(this.policies.effective(dataset), this.policies.get(dataset) === undefined);
  }

  /**
   * Sets (replaces) a dataset's policy, audits it, and publishes its summary in the dataset's
   * signed description when the dataset is local. `published` is false when that failed (the
   * policy is set and enforced all the same; the error is logged).
   * @throws PolicyValidationError when invalid; PolicyDatasetNotFoundError when the dataset is not local.
   */
  async setPolicy(dataset: string, value: unknown): Promise<{ policy: DatasetPolicy; published: boolean }> {
    const policy = await this.policies.set(dataset, value);
    this.audit.append({ type: 'policy.changed', dataset, reason: 'set' });
    return { policy, published: await this.publishPolicySummary(dataset) };
  }

  /** Removes a dataset's policy (the default applies again), audits and publishes it like {@link PolicyPublisher.setPolicy}. */
  async removePolicy(dataset: string): Promise<{ removed: boolean; published: boolean }> {
    const removed = await this.policies.remove(dataset);
    if (removed) this.audit.append({ type: 'policy.changed', dataset, reason: 'removed' });
    return { removed, published: await this.publishPolicySummary(dataset) };
  }

  /**
   * Publishes the effective policy's summary of one local dataset (a no-op for a dataset that is
   * not local, or when the description already says it). False when re-signing failed (logged).
   */
  async publishPolicySummary(dataset: string): Promise<boolean> {
    const ds = this.datasets;
    if (ds.setPolicySummary === undefined) return false;
    try {
      // called synchronously with the summary of now, so publications land in call order
      await ds.setPolicySummary(dataset, this.policySummary(dataset));
      return true;
    } catch (err) {
      if ((err as Error).name === 'DatasetNotFoundError') return true; // not local: nothing to publish
      log.error('dataset %s: cannot publish its policy summary: %s', dataset, (err as Error).message);
      return false;
    }
  }

  /** Publishes every local dataset's policy summary (at start, so older descriptions heal). */
  async publishPolicySummaries(): Promise<void> {
    const list = this.datasets.list;
    if (list === undefined || this.datasets.setPolicySummary === undefined) return;
    let datasets: LocalDataset[];
    try {
      datasets = await list.call(this.datasets);
    } catch (err) {
      log.error('cannot list the local datasets: %s', (err as Error).message);
      return;
    }
    for (const d of datasets) await this.publishPolicySummary(d.signed.description.name);
  }
}
