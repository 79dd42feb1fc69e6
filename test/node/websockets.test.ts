/** The WebSockets transport (a config option): two peers reach each other over /ws only and run a session. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createPeer, type Peer } from '../../src/node/peer.js';
import { removeDir, SAMPLE_CSV, stopAll, tempDir, testInit, writeText } from './net-helpers.js';

test('peers over WebSockets: dial, ping, a catalog request and an MPC session', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  const peers: Peer[] = [];
  try {
    const ws = { websockets: true, listen: ['/ip4/127.0.0.1/tcp/0/ws'] };
    const a = await createPeer(testInit(join(root, 'a'), ws));
    peers.push(a);
    assert.ok(
      a.multiaddrs().every((m) => m.includes('/ws/')),
      a.multiaddrs().join(),
    );
    const b = await createPeer(testInit(join(root, 'b'), { ...ws, bootstrap: [a.multiaddrs()[0]!] }));
    peers.push(b);
    assert.is(await b.dial(a.multiaddrs()[0]!, { signal }), a.peerId);
    assert.ok((await b.ping(a.peerId, { signal })) >= 0);
    await a.datasets.add({ csvPath: writeText(root, 'd.csv', SAMPLE_CSV), name: 'over-ws' }, { signal });
    assert.is((await b.datasets.show(a.peerId, 'over-ws', { signal })).description.rows, 4);
    const parties = [a.peerId, b.peerId];
    const [ca, cb] = await Promise.all([
      a.openSession({ jobId: 'job-ws', parties }, { signal }),
      b.openSession({ jobId: 'job-ws', parties }, { signal }),
    ]);
    await cb.send(0, 1, new Uint8Array([4, 2]));
    assert.equal(await ca.recv(1, 1, { signal }), new Uint8Array([4, 2]));
    await Promise.all([ca.close(), cb.close()]);
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test.run();
