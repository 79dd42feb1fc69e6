/**
 * The policies of a peer's datasets, persisted as `<dataDir>/jobs/policies.json` (mode 0600,
 * replaced atomically). A dataset without a policy gets the default one (manual approval).
 *
 * A policy belongs to a local dataset: `set` refuses one for a dataset this peer does not have
 * (a typo, or a dataset not added yet: until it is, nothing needs a policy, and a new dataset's
 * default is manual approval, so adding it first and setting its policy next releases nothing in
 * between), and the daemon removes a dataset's policy with the dataset. Every entry of a policy's
 * lists must mean something (types.ts policyEntriesProblem). A file written before these checks
 * loads as it is: such entries only refuse more, and `policy remove` clears a stale policy.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../node/atomic-file.js';
import { quoted } from '../../util/bound.js';
import { PolicyValidationError } from '../errors.js';
import { checkPolicyEntries, defaultPolicy, parsePolicy, type DatasetPolicy } from './types.js';

/** File name of the policies under `<dataDir>/jobs/`. */
export const POLICIES_FILE = 'policies.json';

/** A policy was set for a dataset this peer does not have. */
export class PolicyDatasetNotFoundError extends Error {
  override readonly name = 'PolicyDatasetNotFoundError';
  constructor(
    /** The dataset named. */
    readonly dataset: string,
  ) {
    super(
      `no local dataset named ${quoted(dataset)} (a policy applies to a dataset of this peer: add the dataset first, then set its policy)`,
    );
  }
}

/** What a {@link PolicyStore} needs besides its directory. */
export interface PolicyStoreInit {
  /**
   * Whether this peer has a local dataset of that name; `set` refuses any other. Without it (the
   * store on its own, in unit tests) every name is accepted.
   */
  hasDataset?(dataset: string): boolean | Promise<boolean>;
}

/** A peer's dataset policies. */
export class PolicyStore {
  private readonly path: string;
  private readonly policies = new Map<string, DatasetPolicy>();

  /**
   * Loads `<jobsDir>/policies.json` (none is fine).
   * @throws PolicyValidationError when the file is corrupt.
   */
  constructor(
    jobsDir: string,
    private readonly init: PolicyStoreInit = {},
  ) {
    this.path = join(jobsDir, POLICIES_FILE);
    let text: string | undefined;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new PolicyValidationError(`${this.path} is not JSON`);
    }
    const list = (parsed as { policies?: unknown } | null)?.policies;
    if (!Array.isArray(list)) throw new PolicyValidationError(`${this.path} has no "policies" array`);
    for (const p of list) {
      const policy = parsePolicy(p);
      this.policies.set(policy.dataset, policy);
    }
  }

  /** The policy set for `dataset`, or undefined when it has none (the default applies). */
  get(dataset: string): DatasetPolicy | undefined {
    return this.policies.get(dataset);
  }

  /** The policy that applies to `dataset` (its own or the default). */
  effective(dataset: string): DatasetPolicy {
    return this.policies.get(dataset) ?? defaultPolicy(dataset);
  }

  /** Every policy set, sorted by dataset. */
  list(): DatasetPolicy[] {
    return [...this.policies.values()].sort((a, b) => a.dataset.localeCompare(b.dataset));
  }

  /**
   * Sets (replaces) the policy of a local dataset; fields left out take the default policy's values.
   * @throws PolicyDatasetNotFoundError when this peer has no dataset of that name.
   * @throws PolicyValidationError when invalid, or when an entry of a list means nothing (an op not
   *   in the catalogue, a requester that is not a peer id), naming the field and the entry.
   */
  async set(dataset: string, value: unknown): Promise<DatasetPolicy> {
    if (this.init.hasDataset !== undefined && !(await this.init.hasDataset(dataset)))
      throw new PolicyDatasetNotFoundError(dataset);
    const policy = parsePolicy({ ...(value as object), dataset }, dataset);
    checkPolicyEntries(policy);
    this.policies.set(dataset, policy);
    await this.save();
    return policy;
  }

  /** Removes a dataset's policy (the default applies again); false when it had none. */
  async remove(dataset: string): Promise<boolean> {
    const had = this.policies.delete(dataset);
    if (had) await this.save();
    return had;
  }

  private async save(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path, JSON.stringify({ version: 1, policies: this.list() }, null, 2) + '\n');
  }
}
