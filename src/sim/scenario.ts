/**
 * A simulation scenario (`peermpc simulate`, `simulateNetwork()`): how many peers, which own
 * synthetic datasets, which jobs run when, the links between peers and churn, all from one seed.
 * Parsed strictly: an unknown field, a negative latency, a peer index out of range, more compute
 * parties than peers or a job naming an unknown dataset is a {@link ScenarioError} whose message
 * names the field (`jobs[0].datasets[1]: ...`). Every default is filled in, so the parsed scenario
 * is the whole description of a run.
 */
import { z } from 'zod';
import { SHORTHAND_STATS } from '../jobs/program/shorthand.js';

/** A scenario that cannot run; `path` names the field (`jobs[0].computeParties`). */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    /** The field, as a path from the scenario's root ('' for the root). */
    readonly path: string,
    message: string,
  ) {
    super(path === '' ? message : `${path}: ${message}`);
  }
}

const MAX_PEERS = 1000;
const ms = z.number().finite().nonnegative();
const peerIndex = z.number().int().nonnegative();

const link = z.strictObject({
  latencyMs: ms.max(60_000).default(0),
  jitterMs: ms.max(60_000).default(0),
  /** Megabits per second each way; absent: unlimited. */
  bandwidthMbps: z.number().finite().positive().optional(),
});

const column = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a column name is a letter or _, then letters, digits or _'),
  min: z.number().finite(),
  max: z.number().finite(),
  /** Decimal places of the generated values (0: integers). */
  decimals: z.number().int().min(0).max(6).default(0),
});

const schema = z.strictObject({
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 32 - 1)
    .default(1),
  peers: z.number().int().min(2).max(MAX_PEERS),
  transport: z.enum(['memory', 'tcp']).default('memory'),
  datasets: z
    .strictObject({
      /** Which peers own a dataset: all, the first k, or these indices. */
      owners: z.union([z.literal('all'), z.number().int().positive(), z.array(peerIndex).min(1)]).default(3),
      rows: z.number().int().min(1).max(1_000_000).default(100),
      columns: z
        .array(column)
        .min(1)
        .max(32)
        .default([
          { name: 'age', min: 18, max: 90, decimals: 0 },
          { name: 'sbp', min: 90, max: 180, decimals: 0 },
        ]),
      /** Dataset names are `<prefix>-<owner index>`. */
      prefix: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,31}$/, 'a prefix is lowercase letters, digits and -')
        .default('data'),
      tags: z
        .array(z.string().regex(/^[a-z0-9-]{1,32}$/))
        .max(8)
        .default(['sim']),
    })
    .prefault({}),
  /**
   * Searches by dataset name, from the start of the scenario's timeline: a number of random
   * (peer, dataset) pairs, or `all`: every peer searches for every dataset.
   */
  searches: z.union([z.number().int().nonnegative().max(100_000), z.literal('all')]).default(200),
  jobs: z
    .array(
      z.strictObject({
        at: ms.default(0),
        requester: peerIndex,
        datasets: z.array(z.string()).min(1),
        stats: z.array(z.enum(SHORTHAND_STATS)).min(1).default(['mean']),
        protocol: z.enum(['rep3', 'additive', 'plaintext']).default('rep3'),
        /** Compute parties by peer index (default: the owners when three, as `job run`). */
        computeParties: z.array(peerIndex).min(1).optional(),
      }),
    )
    .default([]),
  links: z
    .strictObject({
      default: link.prefault({}),
      /** Named groups of peers by index. */
      regions: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/), z.array(peerIndex).min(1)).default({}),
      /** Links between (and within) regions, overriding the default. */
      between: z.array(link.extend({ from: z.string(), to: z.string() })).default([]),
    })
    .prefault({}),
  churn: z.array(z.strictObject({ at: ms, peer: peerIndex, action: z.enum(['leave', 'join']) })).default([]),
  /**
   * The simulated peers' Kademlia settings (PeerDhtOptions). The defaults are the lean profile
   * docs/SIMULATE.md measures: k 8, alpha 3, one path, only connected peers admitted to routing
   * tables, no bucket refresh at start. `{ "k": 20, "alpha": 10, "disjointPaths": 10, "admit":
   * "all", "refreshOnStart": true }` is a daemon's (kad-dht's own).
   */
  dht: z
    .strictObject({
      k: z.number().int().min(2).max(64).default(8),
      alpha: z.number().int().min(1).max(32).default(3),
      disjointPaths: z.number().int().min(1).max(32).default(1),
      admit: z.enum(['connected', 'all']).default('connected'),
      refreshOnStart: z.boolean().default(false),
    })
    .prefault({}),
});

/** A parsed scenario, every default filled in. */
export type Scenario = z.infer<typeof schema>;
/** A scenario as written (defaults optional). */
export type ScenarioInput = z.input<typeof schema>;
/** The link settings of one link. */
export type LinkSpec = z.infer<typeof link>;

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/** The owner indices of `s`'s datasets, ascending. */
export function datasetOwners(s: Pick<Scenario, 'peers' | 'datasets'>): number[] {
  const o = s.datasets.owners;
  if (o === 'all') return [...Array(s.peers).keys()];
  if (typeof o === 'number') return [...Array(Math.min(o, s.peers)).keys()];
  return [...new Set(o)].sort((a, b) => a - b);
}

/** The dataset name of owner `i`. */
export function datasetName(s: Pick<Scenario, 'datasets'>, owner: number): string {
  return `${s.datasets.prefix}-${owner}`;
}

function checkPeer(s: Scenario, i: number, path: string): void {
  if (i >= s.peers) throw new ScenarioError(path, `peer ${i} does not exist (peers are 0 to ${s.peers - 1})`);
}

function checkCrossFields(s: Scenario, ownersGiven: boolean): void {
  const owners = s.datasets.owners;
  if (ownersGiven && typeof owners === 'number' && owners > s.peers)
    throw new ScenarioError('datasets.owners', `${owners} owners but only ${s.peers} peers`);
  if (Array.isArray(owners)) owners.forEach((o, i) => checkPeer(s, o, `datasets.owners[${i}]`));
  s.datasets.columns.forEach((c, i) => {
    if (!(c.min < c.max)) throw new ScenarioError(`datasets.columns[${i}]`, 'min must be below max');
  });
  const names = new Set(datasetOwners(s).map((o) => datasetName(s, o)));
  s.jobs.forEach((j, i) => {
    checkPeer(s, j.requester, `jobs[${i}].requester`);
    j.datasets.forEach((d, k) => {
      if (!names.has(d))
        throw new ScenarioError(`jobs[${i}].datasets[${k}]`, `unknown dataset '${d.slice(0, 64)}'`);
    });
    const cp = j.computeParties;
    if (cp !== undefined) {
      if (cp.length > s.peers)
        throw new ScenarioError(
          `jobs[${i}].computeParties`,
          `${cp.length} compute parties but ${s.peers} peers`,
        );
      cp.forEach((p, k) => checkPeer(s, p, `jobs[${i}].computeParties[${k}]`));
      if (new Set(cp).size !== cp.length)
        throw new ScenarioError(`jobs[${i}].computeParties`, 'a peer is named twice');
      if (j.protocol === 'rep3' && cp.length !== 3)
        throw new ScenarioError(`jobs[${i}].computeParties`, `rep3 needs exactly 3, not ${cp.length}`);
    }
  });
  for (const [name, peers] of Object.entries(s.links.regions))
    peers.forEach((p, k) => checkPeer(s, p, `links.regions.${name}[${k}]`));
  s.links.between.forEach((b, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!(b[end] in s.links.regions))
        throw new ScenarioError(`links.between[${i}].${end}`, `unknown region '${b[end].slice(0, 64)}'`);
    }
  });
  s.churn.forEach((c, i) => checkPeer(s, c.peer, `churn[${i}].peer`));
}

/**
 * Parses and checks a scenario (a parsed JSON value).
 * @throws {ScenarioError} naming the first field that is wrong
 */
export function parseScenario(input: unknown): Scenario {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `'${k.slice(0, 64)}'`).join(', ');
      throw new ScenarioError(pathOf(issue.path), `unknown field ${keys}`);
    }
    throw new ScenarioError(pathOf(issue.path), issue.message);
  }
  const given = (input as { datasets?: { owners?: unknown } }).datasets?.owners !== undefined;
  checkCrossFields(r.data, given);
  return r.data;
}
