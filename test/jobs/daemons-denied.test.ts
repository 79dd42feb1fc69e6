/**
 * A denied peer is told it is denied, and the owner records the attempt (issue 13): real daemons.
 *
 * Attack: a stranger (or a peer the owner has denied) keeps trying. It learns only that it is
 * refused; the owner's daemon prints one line per peer a minute and its audit log gets one
 * `access.denied` entry per peer an hour (attempts beyond the budget are counted, not recorded).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AuditListResponse } from '../../src/daemon/api/routes/audit.js';
import type { JobRecord } from '../../src/jobs/store.js';
import { jobRequest, startJobsNetwork, waitForState, type JobsTestNetwork } from './helpers/daemons.js';

let t: JobsTestNetwork;

test.before(async () => {
  t = await startJobsNetwork();
});
test.after(async () => {
  await t?.net.stop();
});

test('a job to an owner that denies the requester fails saying so; the owner prints and audits the refusal once', async () => {
  const [owner] = t.hospitals as [JobsTestNetwork['hospitals'][number]];
  const scientist = t.scientist;
  await owner.client.changeAccess('deny', [scientist.peerId]);
  const failures: string[] = [];
  for (let i = 0; i < 3; i++) {
    try {
      const job = await scientist.client.request<JobRecord>('POST', '/jobs', jobRequest(t, ['mean']));
      const rec = await waitForState(scientist, job.id, ['failed', 'rejected', 'cancelled', 'expired']);
      failures.push(`${rec.state}: ${rec.error?.message ?? rec.history.at(-1)?.reason ?? ''}`);
    } catch (err) {
      failures.push(`refused: ${(err as Error).message}`);
    }
  }
  for (const f of failures) assert.match(f, /access lists/, f);
  assert.not.match(failures.join('\n'), /undefined|Unexpected EOF/);

  const audit = await owner.client.request<AuditListResponse>('GET', '/audit?limit=1000');
  const denied = audit.entries.filter((e) => e.event.type === 'access.denied');
  assert.ok(denied.length >= 1, 'the refusal is audited');
  assert.ok(denied.every((e) => e.event.peer === scientist.peerId));
  const kinds = denied.map((e) => e.event.reason);
  assert.equal(kinds.length, new Set(kinds).size, `one entry per (peer, what) an hour: ${kinds.join(', ')}`);
  const lines = owner
    .output()
    .split('\n')
    .filter((l) => l.includes(`from ${scientist.peerId}`));
  assert.ok(lines.length >= 1, 'the daemon printed the refusal');
  assert.equal(
    lines.length,
    new Set(lines.map((l) => l.slice(25))).size,
    'one line per (peer, what) a minute',
  );
  await owner.client.changeAccess('clear', [scientist.peerId]);
});

test.run();
