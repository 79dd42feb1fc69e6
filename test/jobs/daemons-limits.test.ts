/**
 * What a stranger can make a daemon store (issue 11), through real daemons on 127.0.0.1 and a
 * hostile peer: refused proposals with megabyte names grow the audit log by bounded lines and get
 * bounded replies; a flood of proposals hits the per-peer rate quota (refused before any
 * verification, nothing audited); valid jobs waiting for a person hit the per-requester quota.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../src/polyfills.js';
import { signJob } from '../../src/jobs/job/sign.js';
import type { SignedJob } from '../../src/jobs/job/types.js';
import { DEFAULT_QUOTAS } from '../../src/jobs/service/quota.js';
import { AUDIT_FILE } from '../../src/jobs/service/for-peer.js';
import { createPeer, type Peer } from '../../src/node/peer.js';
import { cleanupAll } from '../../scripts/demo-network.js';
import {
  jobFrom,
  sendJobsMessage,
  setPolicy,
  startJobsNetwork,
  within,
  type JobsTestNetwork,
} from './helpers/daemons.js';

let t: JobsTestNetwork;

test.before(async () => {
  t = await within(120_000, 'starting the network', startJobsNetwork);
});

test.after(async () => {
  await t?.net.stop();
  await cleanupAll();
});

async function intruder(): Promise<{ peer: Peer; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'peermpc-intruder-'));
  const peer = await createPeer({
    dataDir: dir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    allowPrivateAddresses: true,
  });
  await peer.dial(t.hospitals[0]!.multiaddrs[0]!);
  return { peer, dir };
}

async function validJob(peer: Peer): Promise<SignedJob> {
  return signJob(jobFrom(t, peer.peerId), { sign: (d) => peer.sign(d) });
}

type Reply = { ok: boolean; error?: { name: string; message: string } };

test('megabyte names in refused proposals: bounded audit lines and replies; then the rate quota', () =>
  within(90_000, 'bounded and rate', async () => {
    const { peer, dir } = await intruder();
    try {
      const target = t.hospitals[0]!;
      const audit = join(target.dataDir, AUDIT_FILE);
      const size = (): number => (existsSync(audit) ? statSync(audit).size : 0);
      const before = size();
      const signed = await validJob(peer);
      const huge = 'x'.repeat(1_000_000);
      for (let i = 0; i < 5; i++) {
        // signed by the attacker itself: it reaches the checks that quote the name
        const bad = await signJob(
          {
            ...signed.job,
            inputs: [{ ...signed.job.inputs[0]!, name: huge }, ...signed.job.inputs.slice(1)],
          },
          { sign: (d) => peer.sign(d) },
        );
        const reply = (await sendJobsMessage(peer, target.peerId, {
          type: 'propose',
          signed: bad,
        })) as Reply;
        assert.is(reply.ok, false);
        assert.ok(reply.error!.message.length < 1000, `reply of ${reply.error!.message.length} characters`);
        assert.match(reply.error!.message, /input "x{200}…\(999800 more characters\)"/);
      }
      const grown = size() - before;
      assert.ok(grown > 0, 'the refusals are audited');
      assert.ok(grown < 5 * 2000, `the audit log grew by ${grown} bytes for 5 refusals`);

      // the same peer keeps going: past proposalsPerMinute it is refused before verification
      const names: string[] = [];
      for (let i = 0; i < DEFAULT_QUOTAS.proposalsPerMinute; i++) {
        const r = (await sendJobsMessage(peer, target.peerId, {
          type: 'propose',
          signed: { x: i },
        })) as Reply;
        if (!r.ok) names.push(r.error!.name);
      }
      assert.ok(names.includes('QuotaExceededError'), names.slice(-3).join(','));
      const afterFlood = size();
      for (let i = 0; i < 10; i++)
        await sendJobsMessage(peer, target.peerId, { type: 'propose', signed: { x: i } });
      assert.is(size(), afterFlood, 'refusals over the quota are not audited');

      // each message type has its own size limit, checked before the message is read
      const probe = { type: 'probe', jobId: '0'.repeat(32) };
      assert.equal(await sendJobsMessage(peer, target.peerId, probe), { ok: true });
      const padded = await sendJobsMessage(peer, target.peerId, { ...probe, pad: 'x'.repeat(300) }).catch(
        (e: Error) => e,
      );
      assert.is((padded as Error).name, 'RequestError', 'a 300-byte probe is over its 256-byte limit');
      assert.is(size(), afterFlood, 'an oversized message is not audited');
    } finally {
      await peer.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }));

test('valid jobs waiting for a person: the per-requester quota refuses the next, typed', () =>
  within(120_000, 'pending quota', async () => {
    const target = t.hospitals[1]!;
    await setPolicy(target, { approval: 'manual' });
    const { peer, dir } = await intruder();
    try {
      await peer.dial(target.multiaddrs[0]!);
      const replies: Reply[] = [];
      for (let i = 0; i <= DEFAULT_QUOTAS.pendingPerRequester; i++)
        replies.push(
          (await sendJobsMessage(peer, target.peerId, {
            type: 'propose',
            signed: await validJob(peer),
          })) as Reply,
        );
      assert.ok(
        replies.slice(0, -1).every((r) => r.ok),
        JSON.stringify(replies.find((r) => !r.ok)),
      );
      const last = replies.at(-1)!;
      assert.is(last.ok, false);
      assert.is(last.error!.name, 'QuotaExceededError');
      assert.match(last.error!.message, /pending-per-requester/);
    } finally {
      await setPolicy(target, { approval: 'auto' });
      await peer.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }));

test.run();
