/**
 * A peer's local state files, read at start or on request: the job service's config
 * (src/jobs/service/config.ts loadJobsConfig), dataset policies (src/jobs/policy/store.ts), the
 * replay guard's seen.log and legacy seen.json (src/jobs/replay.ts), access lists
 * (src/node/access.ts), the daemon config (src/daemon/config.ts), job records (src/jobs/store.ts)
 * and the release ledger (src/jobs/policy/releases.ts). Each input is the file's bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, defaultConfig, loadConfig } from '../../../src/daemon/config.js';
import {
  JobReplayError,
  PolicyValidationError,
  ReleaseLedgerError,
  ReplayFileError,
} from '../../../src/jobs/errors.js';
import { ReleaseLedger } from '../../../src/jobs/policy/releases.js';
import { PolicyStore } from '../../../src/jobs/policy/store.js';
import { defaultPolicy } from '../../../src/jobs/policy/types.js';
import { ReplayGuard } from '../../../src/jobs/replay.js';
import { DEFAULT_JOBS_CONFIG, loadJobsConfig } from '../../../src/jobs/service/config.js';
import { JobStore } from '../../../src/jobs/store.js';
import { AccessList } from '../../../src/node/access.js';
import { StateFileError } from '../../../src/node/errors.js';
import { Raw, serialize } from '../lib/mutate-json.js';
import { freshDir } from '../lib/scratch.js';
import { expectErrors, InvariantError, jsonTarget, packFiles, unpackFiles } from '../lib/target.js';
import { CREATED, dictionary, identities, NOW } from './world.js';

const enc = new TextEncoder();
const ID = '0123456789abcdef0123456789abcdef';
const words = await dictionary();

/** Writes `bytes` as `<fresh dir>/<file>` and returns the directory. */
function fileIn(name: string, file: string, bytes: Uint8Array): string {
  const dir = freshDir(name);
  mkdirSync(join(dir, file, '..'), { recursive: true });
  writeFileSync(join(dir, file), bytes);
  return dir;
}

/** `<dataDir>/jobs/config.json`. */
export const jobsConfigTarget = jsonTarget({
  name: 'jobs-config',
  summary: 'jobs/config.json: loadJobsConfig (result: known quota names only, positive integers)',
  seeds: async () => [
    { ...DEFAULT_JOBS_CONFIG, computeParties: (await identities()).slice(1, 4).map((i) => i.peerId) },
    { stepMs: 5, quotas: { proposalsPerMinute: 1 } },
    {},
  ],
  dictionary: [
    ...words,
    'connectMs',
    'stepMs',
    'sessionMs',
    'proposeMs',
    'sweepMs',
    'quotas',
    'proposalsPerMinute',
    'pendingPerRequester',
    'pendingTotal',
    'retention',
  ],
  run(bytes) {
    const config = loadJobsConfig(fileIn('jobs-config', 'config.json', bytes));
    const known = Object.keys(DEFAULT_JOBS_CONFIG.quotas);
    for (const [k, v] of Object.entries(config.quotas)) {
      if (!known.includes(k)) throw new InvariantError(`accepted unknown quota ${JSON.stringify(k)}`);
      if (!Number.isSafeInteger(v) || v <= 0) throw new InvariantError(`quota ${k} = ${String(v)}`);
    }
    if (Object.getPrototypeOf(config.quotas) !== Object.prototype)
      throw new InvariantError('quotas got a prototype');
    return config;
  },
  expected: expectErrors(TypeError),
});

/** `<dataDir>/jobs/policies.json`. */
export const policiesTarget = jsonTarget({
  name: 'policies',
  summary: 'jobs/policies.json: new PolicyStore (parsePolicy of each), list, effective',
  seeds: async () => [
    {
      version: 1,
      policies: [defaultPolicy('patients'), { ...defaultPolicy('other'), approval: 'auto', minRows: 20 }],
    },
    {
      version: 1,
      policies: [{ dataset: 'x', requesters: [(await identities())[0]!.peerId], ops: ['mean'] }],
    },
  ],
  dictionary: [
    ...words,
    'dataset',
    'requesters',
    'ops',
    'outputs',
    'minRows',
    'approval',
    'computeParties',
    '*',
    'self',
  ],
  run(bytes) {
    const store = new PolicyStore(fileIn('policies', 'policies.json', bytes));
    store.effective('patients');
    return store.list().length;
  },
  expected: expectErrors(PolicyValidationError),
});

const cell = (c: unknown): string => (typeof c === 'string' ? c : c instanceof Raw ? c.text : serialize(c));
const lines = (v: unknown): string =>
  (Array.isArray(v) ? v : [v])
    .map((l) => (Array.isArray(l) ? l.map(cell).join(' ') : cell(l)) + '\n')
    .join('');

/** `<dataDir>/jobs/seen.log` and a legacy `seen.json`. */
export const replayTarget = jsonTarget({
  name: 'replay',
  summary: 'replay guard: new ReplayGuard over seen.log (+ legacy seen.json), then claim',
  seeds: () => [
    {
      log: [
        [ID, '1893456000000'],
        ['f'.repeat(32), '0'],
      ],
      legacy: null,
    },
    { log: [], legacy: { seen: [[ID.replace('0', 'a'), 1893456000000]] } },
    { log: [[ID, '1893456000000']], legacy: { seen: [] } },
  ],
  dictionary: [...words, 'seen', '1893456000000', '999999999999999'],
  textMutations: 0.3,
  encode(tree) {
    const t = (typeof tree === 'object' && tree !== null ? tree : {}) as { log?: unknown; legacy?: unknown };
    return packFiles(
      lines(t.log ?? []),
      t.legacy === null || t.legacy === undefined ? '' : serialize(t.legacy),
    );
  },
  run(bytes) {
    const [log, legacy] = unpackFiles(bytes, 2);
    const dir = fileIn('replay', 'seen.log', log!);
    if (legacy !== undefined && legacy.length > 0) writeFileSync(join(dir, 'seen.json'), legacy);
    const guard = new ReplayGuard(dir);
    guard.claim(ID, new Date(NOW.getTime() + 60_000), NOW);
    return guard.size;
  },
  expected: expectErrors(ReplayFileError, JobReplayError),
});

/** `<dataDir>/access.json`. */
export const accessTarget = jsonTarget({
  name: 'access',
  summary: 'access.json: AccessList.load',
  seeds: async () => {
    const ids = (await identities()).map((i) => i.peerId);
    return [
      { allow: ids.slice(0, 2), deny: ids.slice(4) },
      { allow: [], deny: [] },
    ];
  },
  dictionary: [...words, 'allow', 'deny'],
  async run(bytes) {
    const self = (await identities())[0]!.peerId;
    const list = await AccessList.load(fileIn('access', 'access.json', bytes), self);
    return list.get();
  },
  expected: expectErrors(StateFileError),
});

/** The daemon's config file. */
export const daemonConfigTarget = jsonTarget({
  name: 'daemon-config',
  summary: 'daemon config.json: loadConfig (multiaddrs checked)',
  seeds: async () => [
    defaultConfig(),
    {
      listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/0.0.0.0/tcp/0/ws'],
      bootstrap: [`/ip4/10.0.0.1/tcp/7341/p2p/${(await identities())[1]!.peerId}`],
      websockets: true,
      apiPort: 9000,
    },
  ],
  dictionary: [...words, ...Object.keys(defaultConfig()), '/ip4/1.2.3.4/tcp/1', '/dns4/x/tcp/1/ws', '/p2p/'],
  run: (bytes) => loadConfig(join(fileIn('daemon-config', 'config.json', bytes), 'config.json')),
  expected: expectErrors(ConfigError),
});

/** One job record file: a record the store wrote, then mutated (the store documents skipping bad ones). */
async function seedRecords(): Promise<unknown[]> {
  const [req] = await identities();
  const at = CREATED.toISOString();
  const base = {
    id: ID,
    signed: {
      job: { id: ID, requester: req!.peerId, created: at, expires: NOW.toISOString() },
      signature: 'AAAA',
    },
    roles: ['owner', 'compute'],
    state: 'done',
    history: [
      { state: 'proposed', at },
      { state: 'done', at, reason: 'ok' },
    ],
    approvals: { [req!.peerId]: { decision: 'approved', by: 'policy', at } },
    progress: { done: 3, total: 3, phase: 'done' },
    result: [{ name: 'mean', shape: [2], values: [1.5, null], labels: [['a', 'b']] }],
    stats: { ms: { total: 5 }, bytesSent: 10, bytesReceived: 20, rounds: 3 },
    updated: at,
  };
  return [base, { ...base, state: 'failed', error: { name: 'JobFailedError', message: 'x', party: 'p' } }];
}

/** `<dataDir>/jobs/records/<id>.json`. */
export const jobRecordsTarget = jsonTarget({
  name: 'job-records',
  summary: 'jobs/records/<id>.json: new JobStore, list, prune (bad records are skipped, never thrown)',
  seeds: seedRecords,
  dictionary: [
    ...words,
    'proposed',
    'approved',
    'running',
    'done',
    'failed',
    'expired',
    'owner',
    'compute',
    'requester',
  ],
  run(bytes) {
    const store = new JobStore(fileIn('job-records', join('records', `${ID}.json`), bytes));
    store.list();
    store.prune(new Date(0));
    return store.find(ID)?.state;
  },
  expected: () => false,
});

/** `<dataDir>/jobs/releases.jsonl`. */
export const releasesTarget = jsonTarget({
  name: 'releases',
  summary: 'jobs/releases.jsonl: ReleaseLedger entries (torn last line repaired, others refused)',
  seeds: async () => {
    const req = (await identities())[0]!.peerId;
    const entry = { job: ID, requester: req, dataset: 'patients', rows: 100, time: CREATED.toISOString() };
    return [
      [{ ...entry, sets: [{ columns: ['age'], digest: 'a'.repeat(64) }] }],
      [
        { ...entry, sets: [], histograms: [{ column: 'age', edges: [0, 1, 2] }] },
        { ...entry, job: ID.replace('0', 'b'), sets: [] },
      ],
    ];
  },
  dictionary: [...words, 'job', 'requester', 'dataset', 'sets', 'digest', 'histograms', 'edges', 'column'],
  encode: (tree) => enc.encode(lines(Array.isArray(tree) ? tree.map((e) => new Raw(serialize(e))) : tree)),
  async run(bytes) {
    const ledger = new ReleaseLedger(fileIn('releases', 'releases.jsonl', bytes), { now: () => NOW });
    return (await ledger.entries()).length;
  },
  expected: expectErrors(ReleaseLedgerError),
});
