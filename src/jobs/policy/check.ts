/**
 * Policy evaluation: an owner decides, from the verified job and its own datasets' policies, to
 * refuse, approve automatically, or ask a person, before any share moves.
 *
 * For each of this owner's datasets the job uses, every rule is checked and every violation
 * reported (each naming the dataset and the rule): the dataset exists here with those columns and
 * that row count; the requester is allowed; every op applied to data derived from it is allowed;
 * every released value derived from it comes from an allowed output op and stands behind at least
 * `minRows` rows; and its values are not sent in the clear to another peer (a `plaintext` job is
 * refused unless this owner is the one compute party that holds the values).
 *
 * Not checked: who the compute parties and the dealer are. The protocol's security rests on them
 * not colluding (docs/PROTOCOLS.md), and an automatic approval takes the requester's choice.
 */
import type { VerifiedJob } from '../job/verify.js';
import { allows, defaultPolicy, type DatasetPolicy } from './types.js';

/** What an owner knows of one of its datasets. */
export interface LocalDatasetInfo {
  /** Column names. */
  columns: string[];
  /** Row count. */
  rows: number;
}

/** The outcome of {@link evaluatePolicies}. */
export interface PolicyDecision {
  /** `refuse` on any violation; else `manual` when any dataset needs a person; else `auto`. */
  decision: 'refuse' | 'manual' | 'auto';
  /** Violations (empty unless refused). */
  reasons: string[];
  /** This owner's datasets the job uses. */
  datasets: string[];
}

/** Inputs of {@link evaluatePolicies}. */
export interface PolicyContext {
  /** This peer's id (the owner). */
  self: string;
  /** This peer's datasets by name. */
  datasets: (name: string) => LocalDatasetInfo | undefined;
  /** This peer's policies by dataset name (a dataset without one gets {@link defaultPolicy}). */
  policy: (dataset: string) => DatasetPolicy | undefined;
}

/** Evaluates this owner's policies for a verified job. */
export function evaluatePolicies(
  { signed: { job }, checked }: VerifiedJob,
  ctx: PolicyContext,
): PolicyDecision {
  const reasons: string[] = [];
  const mine = job.inputs.filter((i) => i.owner === ctx.self);
  const datasets = [...new Set(mine.map((i) => i.dataset))].sort();
  let manual = false;
  for (const dataset of datasets) {
    const policy = ctx.policy(dataset) ?? defaultPolicy(dataset);
    const info = ctx.datasets(dataset);
    const inputNames = mine.filter((i) => i.dataset === dataset).map((i) => i.name);
    const derives = (sources: readonly string[]): boolean => sources.some((s) => inputNames.includes(s));
    if (info === undefined) {
      reasons.push(`dataset "${dataset}": no such dataset on this peer`);
      continue;
    }
    for (const i of mine.filter((x) => x.dataset === dataset)) {
      const missing = i.columns.filter((c) => !info.columns.includes(c));
      if (missing.length > 0)
        reasons.push(`dataset "${dataset}": no column ${missing.map((c) => `"${c}"`).join(', ')}`);
      if (i.rows !== info.rows)
        reasons.push(`dataset "${dataset}": the job says ${i.rows} rows, the dataset has ${info.rows}`);
    }
    if (job.protocol === 'plaintext' && job.computeParties[0] !== ctx.self)
      reasons.push(
        `dataset "${dataset}": protocol plaintext would send its values in the clear to ${job.computeParties[0]}`,
      );
    if (!allows(policy.requesters, job.requester))
      reasons.push(`dataset "${dataset}": requester ${job.requester} is not allowed`);
    const badOps = [
      ...new Set(
        checked.order
          .filter((n) => derives(checked.types.get(n.id)!.sources) && !allows(policy.ops, n.op))
          .map((n) => n.op),
      ),
    ];
    for (const op of badOps) reasons.push(`dataset "${dataset}": op "${op}" is not allowed`);
    for (const out of checked.outputs) {
      if (!derives(out.type.sources)) continue;
      const op = checked.program.nodes.find((n) => n.id === out.node)?.op ?? 'input';
      if (!allows(policy.outputs, op))
        reasons.push(`dataset "${dataset}": output "${out.name}" (${op}) may not be released`);
      const behind = out.type.rowsBehind ?? 0;
      if (behind < policy.minRows) {
        reasons.push(
          `dataset "${dataset}": output "${out.name}" stands behind ${behind === 1 ? 'single rows' : `${behind} rows`}, fewer than the minimum of ${policy.minRows}`,
        );
      }
    }
    if (policy.approval === 'manual') manual = true;
  }
  return { decision: reasons.length > 0 ? 'refuse' : manual ? 'manual' : 'auto', reasons, datasets };
}
