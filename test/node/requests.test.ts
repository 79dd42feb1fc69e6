/**
 * Request/reply messaging for the layers above (jobs) and signing with the peer key: the handler
 * learns the authenticated sender, access lists apply on both ends, sizes and protocol ids are
 * bounded, a failing handler does not take the peer down.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Peer } from '../../src/node/peer.js';
import { removeDir, startPeers, stopAll, tempDir } from './net-helpers.js';

const PROTO = '/peermpc/test-echo/1.0.0';

test('requests reach the handler with the sender id; limits, failures and access lists hold', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 3, signal);
    const [a, b, c] = peers as [Peer, Peer, Peer];
    await a.handleRequests(
      PROTO,
      async (message, from) => {
        if ((message as { fail?: boolean }).fail) throw new Error('handler failed');
        return { echo: message, from };
      },
      { maxRequestBytes: 1024 },
    );
    assert.equal(await b.request(a.peerId, PROTO, { hello: 1 }, { signal }), {
      echo: { hello: 1 },
      from: b.peerId,
    });
    const big = await b.request(a.peerId, PROTO, { pad: 'x'.repeat(2000) }, { signal }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.is(big?.name, 'RequestError');
    const failed = await b.request(a.peerId, PROTO, { fail: true }, { signal }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.is(failed?.name, 'RequestError');
    const none = await b.request(c.peerId, PROTO, {}, { signal }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.is(none?.name, 'RequestError', 'no handler on c');
    await a
      .handleRequests('/peermpc/mpc/1.0.0', async () => null)
      .then(
        () => assert.unreachable('reserved protocol accepted'),
        (e: Error) => assert.instance(e, RangeError),
      );
    await a.access.deny([c.peerId]);
    const denied = await c.request(a.peerId, PROTO, {}, { signal }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(denied !== undefined, 'denied peer got an answer');
    await a.request(c.peerId, PROTO, {}, { signal }).then(
      () => assert.unreachable(),
      (e: Error) => assert.is(e.name, 'AccessDeniedError'),
    );
    // still serving
    assert.equal(await b.request(a.peerId, PROTO, 'again', { signal }), { echo: 'again', from: b.peerId });
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('signatures by the peer key verify with the public key inside the peer id', async () => {
  const signal = AbortSignal.timeout(30_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 1, signal);
    const data = new TextEncoder().encode('test-domain\nhello');
    const sig = await peers[0]!.sign(data);
    const key = peerIdFromString(peers[0]!.peerId).publicKey!;
    assert.ok(await key.verify(data, sig));
    assert.not.ok(await key.verify(new TextEncoder().encode('test-domain\nhellO'), sig));
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test.run();
