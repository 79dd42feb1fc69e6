/**
 * Policy evaluation: an owner decides, from the verified job and its own datasets' policies, to
 * refuse, approve automatically, or ask a person, before any share moves.
 *
 * For each of this owner's datasets the job uses, every rule is checked and every violation
 * reported (each naming the dataset and the rule): the dataset exists here with those columns and
 * that row count; the requester is allowed; every op applied to data derived from it is allowed;
 * every released value derived from it comes from an allowed output op and, by the disclosure
 * analysis (src/jobs/disclosure/), stands behind at least `minRows` of its rows (row-level values
 * stand behind one); the compute parties and dealer are ones the protocol protects it from
 * (`computeParties`); its rows do not differ from those behind an earlier release to the same
 * requester by fewer than `minRows` (the caller looks that up: {@link PolicyContext.differencing});
 * and its values are not sent in the clear to another peer (a `plaintext` job is refused unless
 * this owner is the one compute party that holds the values).
 */
import { dpPolicyReasons } from '../dp/policy.js';
import { SCALE_TARGET_BITS } from '../program/scales.js';
import type { Job } from '../job/types.js';
import type { VerifiedJob } from '../job/verify.js';
import { analyzeDisclosure } from '../disclosure/analyze.js';
import { rowLevelReason, rowsBehind } from '../disclosure/types.js';
import type { DifferencingConflict } from './releases.js';
import { allows, ANY, defaultPolicy, SELF, type DatasetPolicy } from './types.js';

/**
 * How much coarser than its own published bound an owner lets a union hold its column (a factor
 * of 2^1: owners' ranges differ; more lets a requester shift cell edges by the resolution).
 */
export const MAX_COARSENING_BITS = 1;
/** What an owner knows of one of its datasets. */
export interface LocalDatasetInfo {
  /** Column names. */
  columns: string[];
  /** Row count. */
  rows: number;
  /** Each column's magnitude exponent, as its description publishes it (absent: none published). */
  magnitudes?: Readonly<Record<string, number>>;
  /** Each column's public bounds [lo, hi], as its description declares them (absent: none). */
  bounds?: Readonly<Record<string, readonly [number, number]>>;
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
  /**
   * An earlier release of `dataset` to this job's requester whose rows differ from the dataset's
   * current rows by 0 < differ < its policy's minRows (differ -1: the earlier rows are unknown),
   * looked up by the caller from its release ledger; undefined when there is none.
   */
  differencing?: (dataset: string) => DifferencingConflict | undefined;
  /**
   * rho this job's requester already spent on `dataset` within its budget's window (the budget
   * ledger, looked up by the caller); 0 when absent.
   */
  dpSpent?: (dataset: string) => number;
}

/**
 * Why the job's compute parties (and dealer) are not ones `trusted` lets this owner rely on, or
 * undefined when they are. rep3 keeps the data secret while at most one of its three compute
 * parties is corrupt; additive while the dealer is honest and at least one compute party is.
 */
export function untrustedParties(job: Job, trusted: readonly string[], self: string): string | undefined {
  if (trusted.includes(ANY) || job.protocol === 'plaintext') return undefined;
  const ok = (p: string): boolean => trusted.includes(p) || (p === self && trusted.includes(SELF));
  const outside = job.computeParties.filter((p) => !ok(p));
  if (job.protocol === 'rep3' && outside.length > 1)
    return `rep3 compute parties ${outside.join(', ')} are not trusted by the policy: rep3 protects the data only while at most one of the three is untrusted`;
  if (job.protocol === 'additive') {
    if (job.dealer === undefined || !ok(job.dealer))
      return `additive dealer ${job.dealer ?? '(none)'} is not trusted by the policy: the dealer with any compute party sees every value`;
    if (outside.length === job.computeParties.length)
      return 'no additive compute party is trusted by the policy: all of them together see every value';
  }
  return undefined;
}

/** Why a differencing conflict refuses the job (ids, column names and counts only). */
function differencingReason(c: DifferencingConflict, minRows: number): string {
  const on = c.columns.join(', ');
  if (c.kind === 'edges')
    return `earlier job ${c.job} for this requester released a histogram of column "${on}" with other edges (their bins could be differenced)`;
  if (c.differ < 0)
    return `the rows behind earlier job ${c.job} for this requester are unknown, so a difference with this job cannot be ruled out`;
  return `its rows on (${on}) differ from those behind ${c.job === '' ? 'another input of this job' : `earlier job ${c.job}`} for this requester by ${c.differ}, fewer than the minimum of ${minRows} (the two results would isolate them)`;
}

type JobInput = Job['inputs'][number];
type Checked = VerifiedJob['checked'];
type Disclosure = ReturnType<typeof analyzeDisclosure>;

/**
 * Why one binding's column bounds are refused: a bound other than the column's published
 * magnitude, or another input's bound holding the column much coarser than its own allows; or
 * public bounds [lo, hi] other than the ones the dataset declares now (`info.bounds`, absent or
 * missing a column: none), which differential privacy would clip the column to.
 */
function boundReasons(i: JobInput, info: LocalDatasetInfo, checked: Checked): string[] {
  const reasons: string[] = [];
  const show = (b: readonly [number, number] | null | undefined): string =>
    b == null ? 'none' : `[${b[0]}, ${b[1]}]`;
  i.columns.forEach((c, k) => {
    const declared = i.magnitudes?.[k];
    const actual = info.magnitudes?.[c];
    if (declared !== undefined && actual !== undefined && actual !== declared)
      reasons.push(`the job bounds column "${c}" by 2^${declared}, its published magnitude is 2^${actual}`);
    const carried = i.bounds?.[k] ?? null;
    const own = info.bounds !== undefined && Object.hasOwn(info.bounds, c) ? info.bounds[c]! : null;
    if (carried?.[0] !== own?.[0] || carried?.[1] !== own?.[1])
      reasons.push(
        `the job gives column "${c}" the bounds ${show(carried)}, the dataset declares ${show(own)}`,
      );
    // another input's bound on the same column name sets the resolution all are held at: a much
    // coarser one moves this dataset's values across cell edges between jobs (differencing)
    const held = checked.scales[c];
    if (actual !== undefined && held !== undefined && held > actual - SCALE_TARGET_BITS + MAX_COARSENING_BITS)
      reasons.push(
        `another input bounds column "${c}" by 2^${held + SCALE_TARGET_BITS}, which would hold its values ${2 ** (held - actual + SCALE_TARGET_BITS)} times coarser than its own bound 2^${actual} allows`,
      );
  });
  return reasons;
}

/** Why the job's bindings of a dataset do not match it here: columns, row count, bounds. */
function bindingReasons(bindings: readonly JobInput[], info: LocalDatasetInfo, checked: Checked): string[] {
  const reasons: string[] = [];
  for (const i of bindings) {
    const missing = i.columns.filter((c) => !info.columns.includes(c));
    if (missing.length > 0) reasons.push(`no column ${missing.map((c) => `"${c}"`).join(', ')}`);
    if (i.rows !== info.rows) reasons.push(`the job says ${i.rows} rows, the dataset has ${info.rows}`);
    reasons.push(...boundReasons(i, info, checked));
  }
  if (bindings.length > 1)
    reasons.push(
      `bound to ${bindings.length} inputs; bind it once (two bindings would be two sources to the disclosure analysis, whose results can be differenced)`,
    );
  return reasons;
}

/** Why the job's parties and ops are refused: plaintext to another peer, requester, ops, trust. */
function jobReasons(
  job: Job,
  checked: Checked,
  policy: DatasetPolicy,
  inputNames: readonly string[],
  self: string,
): string[] {
  const reasons: string[] = [];
  if (job.protocol === 'plaintext' && job.computeParties[0] !== self)
    reasons.push(`protocol plaintext would send its values in the clear to ${job.computeParties[0]}`);
  if (!allows(policy.requesters, job.requester)) reasons.push(`requester ${job.requester} is not allowed`);
  const derives = (sources: readonly string[]): boolean => sources.some((s) => inputNames.includes(s));
  const badOps = [
    ...new Set(
      checked.order
        .filter((n) => derives(checked.types.get(n.id)!.sources) && !allows(policy.ops, n.op))
        .map((n) => n.op),
    ),
  ];
  for (const op of badOps) reasons.push(`op "${op}" is not allowed`);
  const parties = untrustedParties(job, policy.computeParties, self);
  if (parties !== undefined) reasons.push(parties);
  return reasons;
}

/** Why the outputs derived from a dataset may not be released: the output's op, its rows behind. */
function outputReasons(
  disclosure: Disclosure,
  checked: Checked,
  policy: DatasetPolicy,
  inputNames: readonly string[],
  dp: boolean,
): string[] {
  const reasons: string[] = [];
  for (const out of disclosure.outputs) {
    const deps = inputNames.map((n) => out.deps.get(n)).filter((d) => d !== undefined);
    if (deps.length === 0) continue;
    const op = checked.program.nodes.find((n) => n.id === out.node)?.op ?? 'input';
    if (!allows(policy.outputs, op)) reasons.push(`output "${out.name}" (${op}) may not be released`);
    // Under DP (every output has a plan, verify.ts) the noise and the budget bound what one row
    // changes, whatever the rows behind: the minimum-rows rule is for exact outputs.
    if (dp) continue;
    const weakest = deps.reduce((a, b) => ((rowsBehind(b) ?? 0) < (rowsBehind(a) ?? 0) ? b : a));
    const behind = rowsBehind(weakest) ?? 0;
    if (behind < policy.minRows) {
      const why = rowLevelReason(weakest);
      reasons.push(
        `output "${out.name}" stands behind ${why !== undefined ? `single rows (${why})` : `${behind} rows`}, fewer than the minimum of ${policy.minRows}`,
      );
    }
  }
  return reasons;
}

/** Every violation of one dataset's policy (unprefixed), in the order they are reported. */
function datasetReasons(
  job: Job,
  checked: Checked,
  disclosure: Disclosure,
  ctx: PolicyContext,
  dataset: string,
  policy: DatasetPolicy,
  info: LocalDatasetInfo,
): string[] {
  const bindings = job.inputs.filter((i) => i.owner === ctx.self && i.dataset === dataset);
  const inputNames = bindings.map((i) => i.name);
  const reasons = [
    ...bindingReasons(bindings, info, checked),
    ...jobReasons(job, checked, policy, inputNames, ctx.self),
    ...outputReasons(disclosure, checked, policy, inputNames, job.dp !== undefined),
    ...dpPolicyReasons(job.dp, policy, info.rows, ctx.dpSpent?.(dataset) ?? 0),
  ];
  const earlier = ctx.differencing?.(dataset);
  if (earlier !== undefined) reasons.push(differencingReason(earlier, policy.minRows));
  return reasons;
}

/** Evaluates this owner's policies for a verified job. */
export function evaluatePolicies(
  { signed: { job }, checked }: VerifiedJob,
  ctx: PolicyContext,
): PolicyDecision {
  const reasons: string[] = [];
  const datasets = [...new Set(job.inputs.filter((i) => i.owner === ctx.self).map((i) => i.dataset))].sort();
  let manual = false;
  const steerable = new Set(job.inputs.filter((i) => i.owner === job.requester).map((i) => i.name));
  const disclosure = analyzeDisclosure(checked, { steerable });
  for (const dataset of datasets) {
    const policy = ctx.policy(dataset) ?? defaultPolicy(dataset);
    const info = ctx.datasets(dataset);
    const found =
      info === undefined
        ? ['no such dataset on this peer']
        : datasetReasons(job, checked, disclosure, ctx, dataset, policy, info);
    reasons.push(...found.map((r) => `dataset "${dataset}": ${r}`));
    if (info !== undefined && policy.approval === 'manual') manual = true;
  }
  return { decision: reasons.length > 0 ? 'refuse' : manual ? 'manual' : 'auto', reasons, datasets };
}
