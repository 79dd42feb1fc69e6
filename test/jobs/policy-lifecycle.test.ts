/**
 * A policy lives as long as its dataset, and says only what means something (issue 13): on a real
 * daemon through the `peermpc` binary, removing a dataset removes its policy (audited) and a new
 * dataset of the same name starts with the default; a policy for a dataset the peer does not have
 * is refused naming it; ops outside the catalogue and requesters that are not peer ids are
 * refused naming the entry (bounded), through the CLI and the API alike; a policy left without
 * its dataset by an older version is not inherited. Then the store and the entry checks alone.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiRequestError } from '../../src/daemon/api/client.js';
import type { AuditListResponse } from '../../src/daemon/api/routes/audit.js';
import { PolicyValidationError } from '../../src/jobs/errors.js';
import { PolicyDatasetNotFoundError, PolicyStore } from '../../src/jobs/policy/store.js';
import { defaultPolicy, policyEntriesProblem, type DatasetPolicy } from '../../src/jobs/policy/types.js';
import { MESSAGE_MAX } from '../../src/util/bound.js';
import { runCli, type CliResult } from '../cli-helpers.js';
import { killAll, startDaemonProcess, tmpDataDir, type DaemonProcess } from '../node/daemon-helpers.js';
import { identity } from './helpers/keys.js';

let dir = '';
let daemon: DaemonProcess | undefined;
let csv = '';

// a generous limit: it only stops a hung command (a loaded machine runs the CLI slowly)
const cli = (...args: string[]): Promise<CliResult> =>
  runCli([...args, '--data-dir', dir], { timeoutMs: 120_000 });

async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.is(r.code, 0, `peermpc ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function refused(...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.is(r.code, 1, `peermpc ${args.join(' ')} succeeded: ${r.stdout}`);
  return r.stderr;
}

const d = (): DaemonProcess => daemon!;

async function policies(): Promise<DatasetPolicy[]> {
  return JSON.parse(await ok('policy', 'list', '--json')) as DatasetPolicy[];
}

async function policyChanges(): Promise<Array<{ dataset?: string; reason?: string }>> {
  const { entries } = await d().client.request<AuditListResponse>('GET', '/audit');
  return entries.filter((e) => e.event.type === 'policy.changed').map((e) => e.event);
}

/** The status and error name of an API call that must fail. */
async function apiError(p: Promise<unknown>): Promise<ApiRequestError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, ApiRequestError);
    return err as ApiRequestError;
  }
  throw new Error('the request succeeded');
}

test.before(async () => {
  dir = tmpDataDir('peermpc-policy-life-');
  csv = join(dir, 'rows.csv');
  writeFileSync(csv, 'a,b\n1,2\n3,4\n5,6\n');
  daemon = await startDaemonProcess(dir);
});

test.after(async () => {
  await daemon?.stop().catch(() => undefined);
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

test('removing a dataset removes its policy (audited); a new dataset of that name starts with the default', async () => {
  await ok('dataset', 'add', csv, '--name', 'tmp2');
  await ok('policy', 'set', 'tmp2', '--approval', 'auto', '--min-rows', '2');
  assert.ok((await policies()).some((p) => p.dataset === 'tmp2'));

  const removed = await ok('dataset', 'remove', 'tmp2');
  assert.not.ok((await policies()).some((p) => p.dataset === 'tmp2'));
  assert.is(removed.trim(), 'removed tmp2 and its policy');
  assert.equal(
    (await policyChanges()).filter((e) => e.dataset === 'tmp2').map((e) => e.reason),
    ['set', 'removed'],
  );

  await ok('dataset', 'add', csv, '--name', 'tmp2');
  const shown = JSON.parse(await ok('policy', 'show', 'tmp2', '--json')) as {
    policy: DatasetPolicy;
    default: boolean;
  };
  assert.is(shown.default, true);
  assert.is(shown.policy.approval, 'manual');
  assert.is(shown.policy.minRows, 10);
  const signed = JSON.parse(await ok('dataset', 'show', 'tmp2', '--json')) as {
    description: { policy: { default: boolean; approval: string } };
  };
  assert.is(signed.description.policy.default, true);
  assert.is(signed.description.policy.approval, 'manual');

  // a dataset without a policy is removed as before
  assert.is((await ok('dataset', 'remove', 'tmp2')).trim(), 'removed tmp2');
});

test('policy set refuses a dataset this peer does not have, naming it', async () => {
  assert.match(
    await refused('policy', 'set', 'nosuch', '--approval', 'auto'),
    'error: no local dataset named "nosuch"',
  );
  const json = JSON.parse(await refused('policy', 'set', 'nosuch', '--approval', 'auto', '--json')) as {
    error: { name: string };
  };
  assert.is(json.error.name, 'PolicyDatasetNotFoundError');
  const api = await apiError(d().client.request('PUT', '/policies/nosuch', { approval: 'auto' }));
  assert.is(api.status, 404);
  assert.is(api.name, 'PolicyDatasetNotFoundError');
  assert.not.ok((await policies()).some((p) => p.dataset === 'nosuch'));
  assert.not.ok((await policyChanges()).some((e) => e.dataset === 'nosuch'));
  // removing is always allowed (it clears a stale policy)
  assert.is((await ok('policy', 'remove', 'nosuch')).trim(), 'nosuch had no policy');
});

test('ops outside the catalogue and requesters that are not peer ids are refused, naming the entry', async () => {
  await ok('dataset', 'add', csv, '--name', 'checked');
  assert.match(
    await refused('policy', 'set', 'checked', '--outputs', 'meen,foo'),
    '"outputs": "meen" and 1 more entry are not ops (`peermpc job ops` lists them)',
  );
  assert.match(await refused('policy', 'set', 'checked', '--ops', 'mean,nope'), '"ops": "nope" is not an op');
  assert.match(
    await refused('policy', 'set', 'checked', '--requesters', 'notapeer'),
    '"requesters": "notapeer" is not a peer id',
  );
  assert.match(
    await refused('policy', 'set', 'checked', '--compute-parties', 'self,selff'),
    '"computeParties": "selff" is not a peer id',
  );

  // the API layer checks too, and bounds what it quotes
  const huge = `12D3KooW${'x'.repeat(100_000)}`;
  const long = await apiError(d().client.request('PUT', '/policies/checked', { requesters: [huge] }));
  assert.is(long.status, 400);
  assert.is(long.name, 'PolicyValidationError');
  assert.match(long.message, '"requesters": "12D3KooWxxx');
  assert.match(long.message, 'more characters)');
  assert.ok(long.message.length <= MESSAGE_MAX + 40, `${long.message.length} characters`);
  const base58 = await apiError(
    d().client.request('PUT', '/policies/checked', { requesters: ['1'.repeat(5000)] }),
  );
  assert.is(base58.status, 400);
  assert.not.ok(
    (await policies()).some((p) => p.dataset === 'checked'),
    'nothing was stored',
  );

  // what means something is accepted: peer ids, "*", "self", catalogue ops (the ML ones included)
  const other = (await identity()).peerId;
  await ok(
    'policy',
    'set',
    'checked',
    '--requesters',
    `${d().peerId},${other}`,
    '--outputs',
    'mean,count,predict',
    '--ops',
    '*',
    '--compute-parties',
    `self,${other}`,
  );
  const stored = (await policies()).find((p) => p.dataset === 'checked')!;
  assert.equal(stored.requesters, [d().peerId, other]);
  assert.equal(stored.outputs, ['mean', 'count', 'predict']);
  assert.equal(stored.computeParties, ['self', other]);
});

test('a policy left without its dataset by an older version is not inherited by a new dataset of that name', async () => {
  assert.is(await d().stop(), 0, d().output());
  const path = join(dir, 'jobs', 'policies.json');
  const file = JSON.parse(readFileSync(path, 'utf8')) as { version: 1; policies: DatasetPolicy[] };
  file.policies.push({ ...defaultPolicy('ghost'), approval: 'auto', minRows: 1, computeParties: ['*'] });
  // an entry the checks now refuse still loads (it could only refuse more)
  const checked = file.policies.find((p) => p.dataset === 'checked')!;
  checked.outputs = ['meen'];
  writeFileSync(path, JSON.stringify(file));
  daemon = await startDaemonProcess(dir);

  assert.equal(
    (await policies()).map((p) => p.dataset),
    ['checked', 'ghost'],
  );
  await ok('dataset', 'add', csv, '--name', 'ghost');
  const shown = JSON.parse(await ok('policy', 'show', 'ghost', '--json')) as {
    policy: DatasetPolicy;
    default: boolean;
  };
  assert.is(shown.default, true);
  assert.is(shown.policy.approval, 'manual');
  assert.equal(
    (await policyChanges()).filter((e) => e.dataset === 'ghost').map((e) => e.reason),
    ['removed'],
  );
  // a replace keeps the policy of the dataset it replaces
  await ok('policy', 'set', 'ghost', '--approval', 'auto', '--compute-parties', '*');
  await ok('dataset', 'add', csv, '--name', 'ghost', '--replace');
  assert.is((await policies()).find((p) => p.dataset === 'ghost')?.approval, 'auto');
});

test('the store refuses a dataset it is told is missing; the entry checks name field and entry', async () => {
  const jobsDir = mkdtempSync(join(tmpdir(), 'peermpc-policy-store-'));
  try {
    const store = new PolicyStore(jobsDir, { hasDataset: (name) => name === 'here' });
    await store.set('here', { approval: 'auto' });
    try {
      await store.set(`there${'e'.repeat(1000)}`, { approval: 'auto' });
      assert.unreachable('a missing dataset was accepted');
    } catch (err) {
      assert.instance(err, PolicyDatasetNotFoundError);
      const e = err as PolicyDatasetNotFoundError;
      assert.is(e.name, 'PolicyDatasetNotFoundError');
      assert.ok(e.message.startsWith('no local dataset named "thereeee'), e.message);
      assert.ok(e.message.length < 400, 'the name is bounded');
    }
    try {
      await store.set('here', { outputs: ['mean', 'meen'] });
      assert.unreachable('an unknown op was accepted');
    } catch (err) {
      assert.instance(err, PolicyValidationError);
      assert.match((err as Error).message, 'invalid policy: "outputs": "meen" is not an op');
    }
    assert.equal(
      new PolicyStore(jobsDir).list().map((p) => [p.dataset, p.outputs]),
      [['here', ['*']]],
    );
  } finally {
    rmSync(jobsDir, { recursive: true, force: true });
  }
  const id = (await identity()).peerId;
  const problem = (p: Partial<DatasetPolicy>): string | undefined =>
    policyEntriesProblem({ ...defaultPolicy('d'), ...p });
  assert.is(problem({}), undefined);
  assert.is(
    problem({ requesters: [id, '*'], ops: ['union', 'mean'], computeParties: ['self', id] }),
    undefined,
  );
  assert.is(
    problem({ requesters: ['a', 'b', 'c'] }),
    '"requesters": "a" and 2 more entries are not peer ids (Ed25519 peer ids, 12D3KooW..., or "*")',
  );
  assert.is(
    problem({ requesters: ['self'] }),
    '"requesters": "self" is not a peer id (Ed25519 peer ids, 12D3KooW..., or "*")',
  );
  assert.is(problem({ ops: ['Mean'] }), '"ops": "Mean" is not an op (`peermpc job ops` lists them)');
  assert.is(
    problem({ computeParties: ['*', 'me'] }),
    '"computeParties": "me" is not a peer id ("self", Ed25519 peer ids, or "*")',
  );
});

test.run();
