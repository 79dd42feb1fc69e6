/**
 * jobs/config.json's `proposeMs` is the jobs messages' timeout on a real peer's transport (it was
 * fixed at 15 s: a daemon told to wait longer for busy partners still gave up after 15 s).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { jobServiceForPeer, type JobsPeer } from '../../src/jobs/service/for-peer.js';
import { loadOrCreateIdentity } from '../../src/node/identity.js';

test('the configured proposeMs bounds the jobs protocol on both sides', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peermpc-propose-'));
  try {
    mkdirSync(join(dir, 'jobs'));
    writeFileSync(join(dir, 'jobs', 'config.json'), JSON.stringify({ proposeMs: 60_000 }));
    const key = await loadOrCreateIdentity(dir); // the audit log signs with the peer's key
    const served: number[] = [];
    const peer = {
      peerId: peerIdFromPrivateKey(key).toString(),
      datasets: {
        setPolicySummaryProvider() {},
        list: async () => [],
        get: async () => undefined,
      },
      access: { isAllowed: () => true, onDenied: () => () => {} },
      openSession: async () => {
        throw new Error('no sessions here');
      },
      sign: async () => new Uint8Array(64),
      handleRequests: async (_p: string, _h: unknown, o: { timeoutMs?: number }) => {
        served.push(o.timeoutMs ?? -1);
      },
      request: async () => ({ ok: true }),
    } as unknown as JobsPeer;
    const service = jobServiceForPeer(peer, dir);
    try {
      assert.equal(served, [60_000]);
      assert.is(service.config.proposeMs, 60_000);
    } finally {
      service.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
