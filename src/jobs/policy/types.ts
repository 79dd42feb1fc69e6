/**
 * Dataset policies: who may use a dataset, which ops may touch it, which results may be released,
 * how many rows must stand behind every released aggregate, and whether a person approves.
 */
import type { PolicySummary } from '../../node/types.js';
import { PolicyValidationError } from '../errors.js';

/** `*` in a list means "any". */
export const ANY = '*';

/** In `computeParties`: the owner itself. */
export const SELF = 'self';

/** The policy of one dataset. */
export interface DatasetPolicy {
  /** Dataset name. */
  dataset: string;
  /** Peer ids allowed to request jobs on it, or `["*"]`. */
  requesters: string[];
  /** Ops allowed anywhere on data derived from it, or `["*"]`. */
  ops: string[];
  /** Ops whose result may be released (the op of an output's node), or `["*"]`. */
  outputs: string[];
  /** Fewest data rows behind every element of a released value (1 allows row-level results). */
  minRows: number;
  /** `auto`: approve when the rules pass; `manual`: a person approves with `peermpc job approve`. */
  approval: 'auto' | 'manual';
  /**
   * Compute parties and dealers this owner trusts: `self`, peer ids, or `["*"]` (any). A job is
   * accepted only when its protocol protects the data against the parties outside the list
   * (check.ts: rep3 at most one untrusted compute party; additive a trusted dealer and at least
   * one trusted compute party). Default: `["self"]` under `auto` approval, `["*"]` under `manual`
   * (the person who approves checks the parties, which `job pending` shows).
   */
  computeParties: string[];
}

/** The policy of a dataset that has none: anyone may ask, a person approves, aggregates of 10+ rows. */
export function defaultPolicy(dataset: string): DatasetPolicy {
  return {
    dataset,
    requesters: [ANY],
    ops: [ANY],
    outputs: [ANY],
    minRows: 10,
    approval: 'manual',
    computeParties: [ANY],
  };
}

/**
 * The summary of `policy` that the owner publishes in the dataset's signed description (every
 * rule: nothing in a policy is secret). `isDefault`: the owner set no policy of its own.
 */
export function policySummary(policy: DatasetPolicy, isDefault: boolean): PolicySummary {
  return {
    approval: policy.approval,
    default: isDefault,
    requestersRestricted: !policy.requesters.includes(ANY),
    requesters: policy.requesters.includes(ANY) ? [ANY] : [...policy.requesters].sort(),
    ops: policy.ops.includes(ANY) ? [ANY] : [...policy.ops].sort(),
    outputs: policy.outputs.includes(ANY) ? [ANY] : [...policy.outputs].sort(),
    minRows: policy.minRows,
    computeParties: policy.computeParties.includes(ANY) ? [ANY] : [...policy.computeParties].sort(),
  };
}

/** Whether `list` allows `item` (`*` allows everything). */
export function allows(list: readonly string[], item: string): boolean {
  return list.includes(ANY) || list.includes(item);
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function strList(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) {
    throw new PolicyValidationError(`"${field}" must be an array of non-empty strings ("*" for any)`);
  }
  return [...new Set(v as string[])];
}

/**
 * Checks an untrusted policy (a partial one is completed from the default policy).
 * @throws PolicyValidationError naming the field.
 */
export function parsePolicy(value: unknown, dataset?: string): DatasetPolicy {
  if (!isObj(value)) throw new PolicyValidationError('a policy must be a JSON object');
  const name = value.dataset ?? dataset;
  if (typeof name !== 'string' || name === '') throw new PolicyValidationError('"dataset" is required');
  if (dataset !== undefined && name !== dataset)
    throw new PolicyValidationError(`"dataset" is "${name}", expected "${dataset}"`);
  const base = defaultPolicy(name);
  for (const k of Object.keys(value)) {
    if (!['dataset', 'requesters', 'ops', 'outputs', 'minRows', 'approval', 'computeParties'].includes(k)) {
      throw new PolicyValidationError(`unknown field "${k}"`);
    }
  }
  const minRows = value.minRows ?? base.minRows;
  if (typeof minRows !== 'number' || !Number.isSafeInteger(minRows) || minRows < 1) {
    throw new PolicyValidationError('"minRows" must be a positive integer');
  }
  const approval = value.approval ?? base.approval;
  if (approval !== 'auto' && approval !== 'manual')
    throw new PolicyValidationError('"approval" must be "auto" or "manual"');
  return {
    dataset: name,
    requesters: value.requesters === undefined ? base.requesters : strList(value.requesters, 'requesters'),
    ops: value.ops === undefined ? base.ops : strList(value.ops, 'ops'),
    outputs: value.outputs === undefined ? base.outputs : strList(value.outputs, 'outputs'),
    minRows,
    approval,
    computeParties:
      value.computeParties === undefined
        ? [approval === 'auto' ? SELF : ANY]
        : strList(value.computeParties, 'computeParties'),
  };
}
