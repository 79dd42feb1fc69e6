/**
 * Disclosure control against an adversarial requester, through real daemons (separate processes on
 * 127.0.0.1): three hospitals with the README's kind of automatic policy (aggregates over at least
 * 50 rows, the consortium as compute parties) and a scientist who also owns a `spy` table. Every
 * program of the adversarial corpus is refused before any share moves; so are compute parties the
 * owner does not trust and a job whose rows differ from an earlier release's by one row; an honest
 * aggregate still runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../src/polyfills.js';
import type { JobRequest } from '../../src/jobs/service/request.js';
import type { JobRecord } from '../../src/jobs/store.js';
import { cleanupAll } from '../../scripts/demo-network.js';
import { DEMO_COLUMNS } from '../../scripts/make-demo-data.js';
import { ATTACKS, identityWeights } from './helpers/adversarial.js';
import {
  JOB_COLUMNS,
  recordOn,
  setPolicy,
  startJobsNetwork,
  TEST_ROWS,
  waitForState,
  within,
  type JobsTestNetwork,
} from './helpers/daemons.js';

let t: JobsTestNetwork;
const N = TEST_ROWS[0]!;

test.before(async () => {
  t = await within(120_000, 'starting the network', startJobsNetwork);
  const csv = join(t.net.root, 'spy.csv');
  writeFileSync(csv, ['flag', ...Array.from({ length: N }, (_, i) => (i === 5 ? '1' : '0'))].join('\n'));
  await t.scientist.client.addDataset({ csvPath: csv, name: 'spy' });
  const weights = join(t.net.root, 'weights.csv');
  writeFileSync(weights, ['w', ...identityWeights(JOB_COLUMNS.length).map(String)].join('\n'));
  await t.scientist.client.addDataset({ csvPath: weights, name: 'weights' });
  for (const h of t.hospitals) await setPolicy(h, { approval: 'auto', minRows: 50 });
});

test.after(async () => {
  await t?.net.stop();
  await cleanupAll();
});

const victim = () => t.hospitals[0]!;
const computeParties = () => t.hospitals.map((h) => h.peerId);

function request(program: JobRequest['program'], spy = false, weights = false): JobRequest {
  return {
    program,
    inputs: [
      { name: 'd', owner: victim().peerId, dataset: victim().name, columns: JOB_COLUMNS },
      ...(spy ? [{ name: 'spy', owner: t.scientist.peerId, dataset: 'spy', columns: ['flag'] }] : []),
      ...(weights
        ? [{ name: 'weights', owner: t.scientist.peerId, dataset: 'weights', columns: ['w'] }]
        : []),
    ],
    computeParties: computeParties(),
  };
}

async function run(req: JobRequest): Promise<JobRecord> {
  const job = await t.scientist.client.request<JobRecord>('POST', '/jobs', req);
  return waitForState(t.scientist, job.id, ['rejected', 'done', 'failed'], 30_000);
}

/** Refused by the victim's policy, and no party ran the job or sent MPC traffic. */
async function assertRefused(r: JobRecord, reason: RegExp): Promise<void> {
  assert.is(r.state, 'rejected', r.error?.message);
  assert.match(r.error!.message, reason);
  for (const d of [...t.hospitals, t.scientist]) {
    const rec = await recordOn(d, r.id);
    assert.not.ok(
      rec?.history.some((h) => h.state === 'running'),
      `${d.name} ran the job`,
    );
    assert.is(rec?.stats?.bytesSent ?? 0, 0, `${d.name} sent MPC traffic`);
  }
}

test('every program of the adversarial corpus is refused before any share moves', () =>
  within(240_000, 'corpus', async () => {
    for (const attack of ATTACKS) {
      const r = await run(request(attack.program(JOB_COLUMNS, N), attack.spy, attack.weights));
      await assertRefused(r, /single rows/);
    }
  }));

test('compute parties the policy does not trust are refused, with the reason', () =>
  within(60_000, 'untrusted parties', async () => {
    await setPolicy(victim(), { approval: 'auto', minRows: 50, computeParties: ['self'] });
    try {
      const mean = request({
        version: 1,
        inputs: [{ name: 'd', columns: JOB_COLUMNS }],
        nodes: [{ id: 'm', op: 'mean', args: ['d'] }],
        outputs: [{ name: 'm', node: 'm' }],
      });
      // the requester names itself and another peer beside the owner: two untrusted rep3 parties
      const r = await run({
        ...mean,
        computeParties: [victim().peerId, t.hospitals[1]!.peerId, t.scientist.peerId],
      });
      await assertRefused(r, /rep3 compute parties .* are not trusted by the policy/);
    } finally {
      await setPolicy(victim(), { approval: 'auto', minRows: 50 });
    }
  }));

test('a histogram over three owners suppresses small cells inside the MPC, as the plaintext rule says', () =>
  within(90_000, 'suppressed histogram', async () => {
    const edges = [0, 18, 50, 100]; // nobody is under 18: an empty bin, suppressed with no leftover
    const k = 50;
    const age = DEMO_COLUMNS.indexOf('age');
    const counts = t.tables.map((rows) =>
      edges.slice(1).map((hi, b) => rows.filter((r) => r[age]! >= edges[b]! && r[age]! < hi).length),
    );
    const keep = edges.slice(1).map((_, b) => counts.every((c) => c[b]! >= k));
    const leftover = counts.map(
      (c, i) => t.tables[i]!.length - c.reduce((s, v, b) => s + (keep[b] ? v : 0), 0),
    );
    const all = leftover.every((l) => !(l > 0 && l < k));
    const expected = keep.map((kb, b) => (all && kb ? counts.reduce((s, c) => s + c[b]!, 0) : null));
    assert.ok(
      expected.some((v) => v === null) && expected.some((v) => v !== null),
      `a mixed case: ${expected}`,
    );
    const req: JobRequest = {
      program: {
        version: 1,
        inputs: t.hospitals.map((_, i) => ({ name: `h${i + 1}`, columns: ['age'] })),
        nodes: [
          { id: 'u', op: 'union', args: t.hospitals.map((_, i) => `h${i + 1}`) },
          { id: 'hist', op: 'histogram', args: ['u'], params: { edges, minCount: k } },
        ],
        outputs: [{ name: 'hist', node: 'hist' }],
      },
      inputs: t.hospitals.map((h, i) => ({
        name: `h${i + 1}`,
        owner: h.peerId,
        dataset: h.name,
        columns: ['age'],
      })),
      computeParties: computeParties(),
    };
    const r = await run(req);
    assert.is(r.state, 'done', r.error?.message);
    assert.equal(r.result![0]!.values, expected);
  }));

test('an honest aggregate runs; the same after a one-row change of the dataset is refused', () =>
  within(90_000, 'differencing', async () => {
    const mean = request({
      version: 1,
      inputs: [{ name: 'd', columns: JOB_COLUMNS }],
      nodes: [{ id: 'm', op: 'mean', args: ['d'] }],
      outputs: [{ name: 'm', node: 'm' }],
    });
    const first = await run(mean);
    assert.is(first.state, 'done', first.error?.message);
    // the victim adds one row to its dataset: the difference of two means would give that row
    const rows = t.tables[0]!;
    const header = DEMO_COLUMNS;
    const csv = join(t.net.root, 'victim-plus-one.csv');
    writeFileSync(csv, [header.join(','), ...rows.map((r) => r.join(',')), rows[0]!.join(',')].join('\n'));
    await victim().client.addDataset({
      csvPath: csv,
      name: victim().name,
      replace: true,
      tags: ['patients'],
    });
    const again = await run(mean);
    await assertRefused(again, /differ from those behind earlier job .* by 1, fewer than the minimum of 50/);
  }));

test.run();
