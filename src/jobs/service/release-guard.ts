/**
 * The differencing guard of an owner (docs/JOBS.md, "Differencing"): before it approves a job and
 * again just before its shares move, the owner compares the rows the job would use with the rows
 * behind its earlier releases to the same requester (policy/releases.ts) and with its other
 * datasets in the same job; at the second check it records the release. A retried session checks
 * that the data did not change since.
 */
import { histogramColumn } from '../program/ops-stats.js';
import type { CheckedProgram } from '../program/validate.js';
import { JobFailedError } from '../errors.js';
import type { Job } from '../job/types.js';
import type { PolicyStore } from '../policy/store.js';
import { symmetricDifferenceSize } from '../../node/dataset/row-prints.js';
import type { DifferencingConflict, PrintSet, ReleaseLedger, ReleasedHistogram } from '../policy/releases.js';
import type { JobDatasets } from './datasets.js';

/** The guard of one owner. */
export class ReleaseGuard {
  constructor(
    private readonly self: string,
    private readonly datasets: JobDatasets,
    private readonly policies: PolicyStore,
    private readonly ledger: ReleaseLedger,
  ) {}

  /**
   * A conflict of each of this owner's datasets in the job with an earlier release or with another
   * of its datasets in the job, by dataset name (empty without a prints source).
   */
  async conflicts(job: Job, checked: CheckedProgram): Promise<Map<string, DifferencingConflict>> {
    const out = new Map<string, DifferencingConflict>();
    if (this.datasets.projectedPrints === undefined) return out;
    const mine = this.mine(job);
    for (const [name, used] of mine) {
      const { minRows } = this.policies.effective(name);
      const conflict =
        (await this.ledger.check(
          {
            requester: job.requester,
            dataset: name,
            used,
            project: async (columns) => {
              const set = await this.datasets.projectedPrints!(name, columns);
              return set === undefined ? undefined : { columns: [...columns], ...set };
            },
            histograms: histogramsOf(checked, job, this.self, name),
          },
          minRows,
        )) ?? (await this.sibling(job, name, used, mine, minRows));
      if (conflict !== undefined) out.set(name, conflict);
    }
    return out;
  }

  /**
   * Checks again, then records this owner's releases in the ledger (before its shares move); returns
   * the digest of each dataset's full rows, for {@link assertUnchanged} on a retried session.
   * @throws JobFailedError when the guard now refuses.
   */
  async beforeRelease(job: Job, checked: CheckedProgram): Promise<Map<string, string>> {
    const digests = new Map<string, string>();
    if (this.datasets.projectedPrints === undefined) return digests;
    const conflicts = await this.conflicts(job, checked);
    for (const [name, c] of conflicts)
      throw new JobFailedError(
        job.id,
        `dataset ${name} ${c.kind === 'edges' ? 'had a histogram of column ' + c.columns[0] + ' with other edges' : 'differs from the rows behind'} earlier job ${c.job}${c.kind === 'rows' ? ' by fewer than its minimum rows' : ''}`,
      );
    for (const [name, used] of this.mine(job)) {
      const sets = [
        await this.project(job, name, used),
        ...(await Promise.all(used.map((c) => this.project(job, name, [c])))),
      ];
      const full = await this.datasets.rowPrints?.(name);
      if (full !== undefined) digests.set(name, full.digest);
      await this.ledger.record(
        {
          job: job.id,
          requester: job.requester,
          dataset: name,
          rows: sets[0]!.prints.length,
          histograms: histogramsOf(checked, job, this.self, name),
        },
        sets,
      );
    }
    return digests;
  }

  /** On a retried session: the datasets still hold the rows recorded. @throws JobFailedError */
  async assertUnchanged(job: Job, digests: ReadonlyMap<string, string>): Promise<void> {
    for (const [name, digest] of digests) {
      const now = await this.datasets.rowPrints?.(name);
      if (now !== undefined && now.digest !== digest)
        throw new JobFailedError(job.id, `dataset ${name} changed during the job`);
    }
  }

  /** This owner's datasets in the job and the columns the job uses of each. */
  private mine(job: Job): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const i of job.inputs.filter((x) => x.owner === this.self))
      out.set(i.dataset, [...new Set([...(out.get(i.dataset) ?? []), ...i.columns])]);
    return out;
  }

  /** The prints of a dataset the job uses on columns it has (the policy checked them). */
  private async project(job: Job, name: string, columns: readonly string[]): Promise<PrintSet> {
    const set = await this.datasets.projectedPrints!(name, columns);
    if (set === undefined)
      throw new JobFailedError(job.id, `dataset ${name} lacks a column of ${columns.join(', ')}`);
    return { columns: [...columns], ...set };
  }

  /** Another of this owner's datasets in the job whose rows on common columns are too close. */
  private async sibling(
    job: Job,
    name: string,
    used: readonly string[],
    mine: ReadonlyMap<string, string[]>,
    minRows: number,
  ): Promise<DifferencingConflict | undefined> {
    if (!(minRows > 1)) return undefined;
    for (const [other, otherUsed] of mine) {
      const common = used.filter((c) => otherUsed.includes(c));
      if (other === name || common.length === 0) continue;
      for (const cols of [common, ...common.map((c) => [c])]) {
        const [a, b] = [await this.project(job, name, cols), await this.project(job, other, cols)];
        const differ = symmetricDifferenceSize(a.prints, b.prints);
        if (differ > 0 && differ < minRows)
          return { job: '', differ, columns: cols, kind: 'rows', time: job.created };
      }
    }
    return undefined;
  }
}

/** Histograms the job releases from `owner`'s dataset `name`: column and edges. */
function histogramsOf(checked: CheckedProgram, job: Job, owner: string, name: string): ReleasedHistogram[] {
  const inputs = new Set(
    job.inputs.filter((i) => i.dataset === name && i.owner === owner).map((i) => i.name),
  );
  const out: ReleasedHistogram[] = [];
  for (const node of checked.order) {
    if (node.op !== 'histogram') continue;
    const t = checked.types.get(node.args[0]!)!;
    const column = histogramColumn(node.params ?? {}, t);
    const segs = t.segments![t.columns!.indexOf(column)]!;
    if (segs.some((s) => inputs.has(s.source))) out.push({ column, edges: node.params!.edges as number[] });
  }
  return out;
}
