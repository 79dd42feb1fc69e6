/**
 * A job seen through this owner's policies, point by point, for the person who decides: for each
 * of this peer's datasets the job uses, whether the requester, the ops, each released output (its
 * op and the rows behind it) and the compute parties pass the dataset's effective policy, plus the
 * full policy check as the service runs it (without the differencing and budget lookups, which
 * the service repeats when the job starts). Names, counts and peer ids only, never a value.
 */
import { analyzeDisclosure } from '../../jobs/disclosure/analyze.js';
import { rowLevelReason, rowsBehind } from '../../jobs/disclosure/types.js';
import type { VerifiedJob } from '../../jobs/job/verify.js';
import { evaluatePolicies, untrustedParties, type LocalDatasetInfo } from '../../jobs/policy/check.js';
import { allows } from '../../jobs/policy/types.js';
import type { JobService } from '../../jobs/service/service.js';
import type { ApiPeer } from '../api/context.js';

/** One point of the verdict. */
export interface VerdictPoint {
  /** What is checked (`requester`, `ops`, `output <name>`, `compute parties`, `approval`). */
  point: string;
  /** Whether the policy allows it. */
  ok: boolean;
  /** Why, in words. */
  detail: string;
}

/** The verdict on one of this peer's datasets. */
export interface DatasetVerdict {
  /** The dataset. */
  dataset: string;
  /** Each point. */
  points: VerdictPoint[];
}

/** The whole verdict. */
export interface JobVerdict {
  /** Per dataset of this peer. */
  datasets: DatasetVerdict[];
  /** The service's own check: every violation (empty when the rules pass). */
  violations: string[];
}

async function localInfo(peer: ApiPeer, name: string): Promise<LocalDatasetInfo | undefined> {
  const d = await peer.datasets.get(name);
  if (d === undefined) return undefined;
  const cols = d.signed.description.columns;
  return {
    columns: cols.map((c) => c.name),
    rows: d.signed.description.rows,
    magnitudes: Object.fromEntries(
      cols.flatMap((c) => (c.magnitude === undefined ? [] : [[c.name, c.magnitude]])),
    ),
    bounds: Object.fromEntries(cols.flatMap((c) => (c.bounds === undefined ? [] : [[c.name, c.bounds]]))),
  };
}

/**
 * This owner's verdict on job `verified` (the record's signed job, verified): empty when this peer
 * owns none of its datasets.
 */
export async function jobVerdict(svc: JobService, peer: ApiPeer, verified: VerifiedJob): Promise<JobVerdict> {
  const job = verified.signed.job;
  const self = svc.self;
  const mine = [...new Set(job.inputs.filter((i) => i.owner === self).map((i) => i.dataset))].sort();
  if (mine.length === 0) return { datasets: [], violations: [] };
  const { checked } = verified;
  const steerable = new Set(job.inputs.filter((i) => i.owner === job.requester).map((i) => i.name));
  const disclosure = analyzeDisclosure(checked, { steerable });
  const info = new Map<string, LocalDatasetInfo | undefined>();
  for (const name of mine) info.set(name, await localInfo(peer, name));
  const datasets = mine.map((dataset): DatasetVerdict => {
    const policy = svc.policies.effective(dataset);
    const inputNames = job.inputs.filter((i) => i.owner === self && i.dataset === dataset).map((i) => i.name);
    const derived = checked.order.filter((n) =>
      checked.types.get(n.id)!.sources.some((s) => inputNames.includes(s)),
    );
    const badOps = [...new Set(derived.filter((n) => !allows(policy.ops, n.op)).map((n) => n.op))];
    const parties = untrustedParties(job, policy.computeParties, self);
    const points: VerdictPoint[] = [
      {
        point: 'requester',
        ok: allows(policy.requesters, job.requester),
        detail: allows(policy.requesters, job.requester)
          ? `${job.requester} may request jobs on it`
          : `${job.requester} is not among the allowed requesters`,
      },
      {
        point: 'ops',
        ok: badOps.length === 0,
        detail:
          badOps.length === 0
            ? `all ${new Set(derived.map((n) => n.op)).size} ops applied to it are allowed`
            : `not allowed: ${badOps.join(', ')}`,
      },
    ];
    for (const out of disclosure.outputs) {
      const deps = inputNames.map((n) => out.deps.get(n)).filter((d) => d !== undefined);
      if (deps.length === 0) continue;
      const op = checked.program.nodes.find((n) => n.id === out.node)?.op ?? 'input';
      const weakest = deps.reduce((a, b) => ((rowsBehind(b) ?? 0) < (rowsBehind(a) ?? 0) ? b : a));
      const behind = rowsBehind(weakest) ?? 0;
      const opOk = allows(policy.outputs, op);
      const rowsOk = job.dp !== undefined || behind >= policy.minRows;
      const why = rowLevelReason(weakest);
      const rows =
        job.dp !== undefined
          ? 'differentially private'
          : why !== undefined
            ? `single rows (${why})`
            : `${behind} rows behind each value (minimum ${policy.minRows})`;
      points.push({
        point: `output ${out.name}`,
        ok: opOk && rowsOk,
        detail: `${op}${opOk ? '' : ' (this op may not be released)'}: ${rows}`,
      });
    }
    const plain = job.protocol === 'plaintext';
    const inClear = plain && job.computeParties[0] !== self;
    points.push({
      point: 'compute parties',
      ok: parties === undefined && !inClear,
      detail: inClear
        ? `protocol plaintext would send the values in the clear to ${job.computeParties[0]}`
        : plain
          ? 'plaintext: the values stay on this peer, the one compute party'
          : (parties ?? `${job.protocol} protects the data from the parties this policy does not trust`),
    });
    points.push({
      point: 'approval',
      ok: true,
      detail: policy.approval === 'manual' ? 'a person decides (you)' : 'automatic when the rules pass',
    });
    return { dataset, points };
  });
  const decision = evaluatePolicies(verified, {
    self,
    datasets: (n) => info.get(n),
    policy: (n) => svc.policies.get(n),
  });
  return { datasets, violations: decision.reasons };
}
