/**
 * Dataset policies: who may use a dataset, which ops may touch it, which results may be released,
 * how many rows must stand behind every released aggregate, whether a person approves, and the
 * differential privacy budget each requester has on it.
 */
import { ed25519PublicKeyOf } from '../../node/peer-keys.js';
import type { PolicySummary } from '../../node/types.js';
import { quoted } from '../../util/bound.js';
import { rhoOfEpsilonDelta } from '../dp/accountant.js';
import type { DpBudget } from '../dp/types.js';
import { PolicyValidationError } from '../errors.js';
import { getOp } from '../program/catalogue.js';

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
  /**
   * The privacy budget of each requester on this dataset (differential privacy); absent: none is
   * kept (jobs without `dp` are limited by the other rules only).
   */
  budget?: DpBudget;
  /** Outputs computed over fewer rows than this must be differentially private; absent: no such rule. */
  requireDpBelowRows?: number;
}

/**
 * A policy as `PUT /policies/:dataset` takes it: fields left out take the default policy's values,
 * and a budget is given without its rho (derived from epsilon and delta).
 */
export type PolicyRequest = Partial<Omit<DatasetPolicy, 'budget'>> & { budget?: Omit<DpBudget, 'rho'> };

/** Largest epsilon of a budget. */
export const BUDGET_EPSILON_MAX = 100;
/**
 * Smallest epsilon of a budget: below it the budget is no use, and converting it to rho takes
 * seconds (the accountant's search grows as epsilon shrinks).
 */
export const BUDGET_EPSILON_MIN = 1e-6;
/** Largest delta of a budget. */
export const BUDGET_DELTA_MAX = 1e-3;
/** Longest window of a budget, in days (10 years). */
export const BUDGET_DAYS_MAX = 3650;

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
    ...(policy.budget === undefined
      ? {}
      : {
          budget: {
            epsilon: policy.budget.epsilon,
            delta: policy.budget.delta,
            ...(policy.budget.perDays === undefined ? {} : { perDays: policy.budget.perDays }),
          },
        }),
    ...(policy.requireDpBelowRows === undefined ? {} : { requireDpBelowRows: policy.requireDpBelowRows }),
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

/** rho of (epsilon, delta) budgets already converted (the conversion takes tens of ms). */
const rhoCache = new Map<string, number>();

/**
 * Checks a budget `{ epsilon, delta, perDays? }` (a `rho`, as a stored policy has it, is derived
 * again, not trusted) and derives its rho.
 * @throws PolicyValidationError naming the field.
 */
export function parseBudget(v: unknown): DpBudget {
  if (!isObj(v)) throw new PolicyValidationError('"budget" must be an object { epsilon, delta, perDays? }');
  for (const k of Object.keys(v)) {
    if (!['epsilon', 'delta', 'perDays', 'rho'].includes(k))
      throw new PolicyValidationError(`unknown field ${quoted(`budget.${k}`, 40)}`);
  }
  const { epsilon, delta, perDays } = v;
  if (
    typeof epsilon !== 'number' ||
    !Number.isFinite(epsilon) ||
    epsilon < BUDGET_EPSILON_MIN ||
    epsilon > BUDGET_EPSILON_MAX
  )
    throw new PolicyValidationError(
      `"budget.epsilon" must be a number in [${BUDGET_EPSILON_MIN}, ${BUDGET_EPSILON_MAX}]`,
    );
  if (typeof delta !== 'number' || !Number.isFinite(delta) || delta <= 0 || delta > BUDGET_DELTA_MAX)
    throw new PolicyValidationError(`"budget.delta" must be a number in (0, ${BUDGET_DELTA_MAX}]`);
  if (
    perDays !== undefined &&
    (typeof perDays !== 'number' ||
      !Number.isSafeInteger(perDays) ||
      perDays < 1 ||
      perDays > BUDGET_DAYS_MAX)
  )
    throw new PolicyValidationError(`"budget.perDays" must be an integer in [1, ${BUDGET_DAYS_MAX}]`);
  const key = `${epsilon},${delta}`;
  let rho = rhoCache.get(key);
  if (rho === undefined) {
    try {
      rho = rhoOfEpsilonDelta(epsilon, delta);
    } catch (err) {
      throw new PolicyValidationError(`"budget": cannot convert to zCDP: ${(err as Error).message}`);
    }
    if (!(rho > 0)) throw new PolicyValidationError('"budget.epsilon" is too small for this delta');
    if (rhoCache.size >= 1024) rhoCache.clear();
    rhoCache.set(key, rho);
  }
  return { epsilon, delta, rho, ...(perDays === undefined ? {} : { perDays }) };
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
    if (!POLICY_FIELDS.includes(k)) throw new PolicyValidationError(`unknown field ${quoted(k, 40)}`);
  }
  const dpRows = value.requireDpBelowRows;
  if (dpRows !== undefined && (typeof dpRows !== 'number' || !Number.isSafeInteger(dpRows) || dpRows < 1))
    throw new PolicyValidationError('"requireDpBelowRows" must be a positive integer');
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
    ...(value.budget === undefined ? {} : { budget: parseBudget(value.budget) }),
    ...(dpRows === undefined ? {} : { requireDpBelowRows: dpRows }),
  };
}

/** The fields of a policy document. */
const POLICY_FIELDS: readonly string[] = [
  'dataset',
  'requesters',
  'ops',
  'outputs',
  'minRows',
  'approval',
  'computeParties',
  'budget',
  'requireDpBelowRows',
];

/** What each list of a policy may hold besides `*`, and what to call an entry that is not that. */
const ENTRY_RULES: ReadonlyArray<{
  field: 'requesters' | 'ops' | 'outputs' | 'computeParties';
  ok: (entry: string) => boolean;
  /** What an entry should be: singular, plural. */
  noun: [string, string];
  hint: string;
}> = [
  {
    field: 'requesters',
    ok: (e) => ed25519PublicKeyOf(e) !== undefined,
    noun: ['a peer id', 'peer ids'],
    hint: 'Ed25519 peer ids, 12D3KooW..., or "*"',
  },
  ...(['ops', 'outputs'] as const).map((field) => ({
    field,
    ok: (e: string) => getOp(e) !== undefined,
    noun: ['an op', 'ops'] as [string, string],
    hint: '`peermpc job ops` lists them',
  })),
  {
    field: 'computeParties',
    ok: (e) => e === SELF || ed25519PublicKeyOf(e) !== undefined,
    noun: ['a peer id', 'peer ids'],
    hint: '"self", Ed25519 peer ids, or "*"',
  },
];

/**
 * The first problem with the entries of `policy`'s lists, or undefined when every entry means
 * something: `ops` and `outputs` hold `*` or ops of the catalogue (`peermpc job ops`; `predict` and
 * `train` once the ML layer registered them), `requesters` `*` or Ed25519 peer ids (a job is signed
 * with the key inside its requester's id), `computeParties` `*`, `self` or Ed25519 peer ids (a peer
 * id is decoded only up to MAX_PEER_ID_CHARS characters). The problem names the field and its first
 * bad entry, bounded, and how many more there are. Such an entry matches no job, so it would refuse
 * more than its owner meant, silently: the policy store refuses it (PolicyStore.set).
 * @example policyEntriesProblem({ ...defaultPolicy('d'), outputs: ['meen', 'foo'] })
 * // '"outputs": "meen" and 1 more entry are not ops (`peermpc job ops` lists them)'
 */
export function policyEntriesProblem(policy: DatasetPolicy): string | undefined {
  for (const { field, ok, noun, hint } of ENTRY_RULES) {
    const bad = policy[field].filter((e) => e !== ANY && !ok(e));
    if (bad.length === 0) continue;
    const more = bad.length - 1;
    const first = `"${field}": ${quoted(bad[0])}`;
    return more === 0
      ? `${first} is not ${noun[0]} (${hint})`
      : `${first} and ${more} more ${more === 1 ? 'entry' : 'entries'} are not ${noun[1]} (${hint})`;
  }
  return undefined;
}

/**
 * Checks that every entry of `policy`'s lists means something (see {@link policyEntriesProblem}).
 * @throws PolicyValidationError naming the field and its first bad entry.
 */
export function checkPolicyEntries(policy: DatasetPolicy): void {
  const problem = policyEntriesProblem(policy);
  if (problem !== undefined) throw new PolicyValidationError(problem);
}
