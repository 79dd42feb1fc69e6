/** Job records: signing, verification (signature, expiry, hash, bindings, parties) and replay. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JobReplayError, JobVerificationError } from '../../src/jobs/errors.js';
import { participants, rolesOf, sessionParties } from '../../src/jobs/job/parties.js';
import { createJob, signJob } from '../../src/jobs/job/sign.js';
import { verifySignedJob } from '../../src/jobs/job/verify.js';
import { ReplayGuard } from '../../src/jobs/replay.js';
import { demoJob, identity, type TestIdentity } from './helpers/keys.js';

let sci: TestIdentity;
let hs: TestIdentity[];

test.before(async () => {
  sci = await identity();
  hs = [await identity(), await identity(), await identity()];
});

async function refused(value: unknown, pattern: RegExp, options = {}): Promise<void> {
  try {
    await verifySignedJob(value, options);
  } catch (err) {
    assert.instance(err, JobVerificationError);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a refusal matching ${pattern}`);
}

test('a signed job verifies and its program is checked with the bound rows', async () => {
  const signed = await demoJob(sci, hs, [100, 200, 300]);
  const { checked } = await verifySignedJob(JSON.parse(JSON.stringify(signed)));
  assert.is(checked.types.get(checked.outputs.find((o) => o.name === 'mean')!.node)!.sources.length, 3);
  assert.is(checked.outputs.find((o) => o.name === 'mean')!.type.shape.length, 1);
  assert.is(signed.job.outputRecipient, sci.peerId);
  assert.match(signed.job.id, /^[0-9a-f]{32}$/);
});

test('any change to the signed job breaks the signature', async () => {
  const signed = await demoJob(sci, hs, [100, 200, 300]);
  const tampered = structuredClone(signed);
  tampered.job.inputs[0]!.columns = ['age', 'bmi', 'sbp'];
  tampered.job.expires = new Date(Date.now() + 3_600_000).toISOString();
  await refused(tampered, /bad signature/);
  const other = structuredClone(signed);
  other.signature = (await signJob(signed.job, hs[0]!.key)).signature; // signed by someone else
  await refused(other, /bad signature/);
  await refused({ job: signed.job, signature: 'AAAA' }, /bad signature/);
});

test('a job whose program does not match its hash is refused', async () => {
  const job = createJob({
    requester: sci.peerId,
    program: (await demoJob(sci, hs, [1, 2, 3])).job.program,
    inputs: (await demoJob(sci, hs, [10, 20, 30])).job.inputs,
    computeParties: hs.map((h) => h.peerId),
  });
  job.programHash = 'f'.repeat(64);
  await refused(await signJob(job, sci.key), /program hash/);
});

test('expired, future and too-long-lived jobs are refused', async () => {
  const old = await demoJob(sci, hs, [100, 200, 300], {
    now: new Date(Date.now() - 3_600_000),
    ttlMs: 60_000,
  });
  await refused(old, /expired/);
  await verifySignedJob(old, { ignoreExpiry: true });
  const future = await demoJob(sci, hs, [100, 200, 300], { now: new Date(Date.now() + 3_600_000) });
  await refused(future, /future/);
  const long = await demoJob(sci, hs, [100, 200, 300], { ttlMs: 30 * 86_400_000 });
  await refused(long, /lifetime/);
});

test('parties must fit the protocol; inputs must bind the program', async () => {
  await refused(
    await demoJob(sci, hs, [100, 200, 300], { computeParties: [hs[0]!.peerId, hs[1]!.peerId] }),
    /exactly 3/,
  );
  await refused(await demoJob(sci, hs, [100, 200, 300], { protocol: 'additive' }), /dealer/);
  const ok = await demoJob(sci, hs, [100, 200, 300], { protocol: 'additive', dealer: sci.peerId });
  await verifySignedJob(ok);
  const base = await demoJob(sci, hs, [100, 200, 300]);
  const job = structuredClone(base.job);
  job.inputs[0]!.columns = ['age'];
  await refused(await signJob(job, sci.key), /magnitudes must be one integer .* per column/);
  job.inputs[0]!.magnitudes = [10];
  await refused(await signJob(job, sci.key), /columns differ/);
  const job2 = structuredClone(base.job);
  job2.inputs.pop();
  await refused(await signJob(job2, sci.key), /not bound/);
  const job3 = structuredClone(base.job);
  job3.outputRecipient = hs[0]!.peerId;
  await refused(await signJob(job3, sci.key), /output recipient/);
  const job4 = structuredClone(base.job);
  job4.inputs[0]!.rows = -1;
  await refused(await signJob(job4, sci.key), /invalid row count/);
});

test('malformed jobs are refused with a reason', async () => {
  await refused(42, /not a signed job/);
  await refused({ job: { id: 'x' }, signature: '' }, /invalid job id/);
  const base = await demoJob(sci, hs, [100, 200, 300]);
  await refused({ ...base, job: { ...base.job, requester: 'nobody' } }, /requester/);
  await refused({ ...base, job: { ...base.job, extra: true } }, /unknown field/);
});

test('session parties: compute parties first, then others, requester last', async () => {
  const signed = await demoJob(sci, hs, [100, 200, 300]);
  assert.equal(sessionParties(signed.job), [...hs.map((h) => h.peerId), sci.peerId]);
  assert.equal(
    participants(signed.job),
    hs.map((h) => h.peerId),
  );
  assert.equal(rolesOf(signed.job, hs[0]!.peerId), ['owner', 'compute']);
  assert.equal(rolesOf(signed.job, sci.peerId), ['requester']);
});

test('replay guard refuses a job id seen before, across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peermpc-replay-'));
  try {
    const g = new ReplayGuard(dir);
    const exp = new Date(Date.now() + 60_000);
    g.claim('a'.repeat(32), exp);
    assert.throws(
      () => g.claim('a'.repeat(32), exp),
      (e: Error) => e instanceof JobReplayError,
    );
    const again = new ReplayGuard(dir);
    assert.ok(again.has('a'.repeat(32)));
    assert.throws(
      () => again.claim('a'.repeat(32), exp),
      (e: Error) => e instanceof JobReplayError,
    );
    // long-expired ids are forgotten
    again.claim('b'.repeat(32), new Date(Date.now() - 86_400_000));
    again.claim('c'.repeat(32), exp);
    assert.not.ok(again.has('b'.repeat(32)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
