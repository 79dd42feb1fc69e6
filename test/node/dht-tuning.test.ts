/**
 * Routing-table admission (dht-tuning.ts): with `admit: 'connected'` a peer named in an answer is
 * not dialled to be verified; a connected one is verified over its connection. kad-dht's own
 * admission dials it. And the other DHT settings reach kad-dht.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import { ConfigError, parseConfig } from '../../src/daemon/config.js';
import { peerInitFromConfig } from '../../src/daemon/daemon.js';
import { createPeer, type Peer } from '../../src/node/peer.js';
import { internals, removeDir, startPeers, stopAll, tempDir, testInit } from './net-helpers.js';

type Verify = (contact: { peerId: unknown }, options?: unknown) => Promise<boolean>;

function verifyOf(peer: Peer): Verify {
  const dht = internals(peer).node.services.dht as unknown as { routingTable: { kb: { verify: Verify } } };
  return (c) => dht.routingTable.kb.verify(c, { signal: AbortSignal.timeout(10_000) });
}

test('admit connected: an unconnected contact is not dialled; a connected one is verified; kad-dht default dials', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  let peers: Peer[] = [];
  let loner: Peer | undefined;
  try {
    peers = await startPeers(root, 3, signal, (i) =>
      i === 1 ? { dht: { admit: 'connected', k: 6, alpha: 2, disjointPaths: 1, refreshOnStart: false } } : {},
    );
    const [seed, lean, plain] = peers as [Peer, Peer, Peer];
    loner = await createPeer(testInit(`${root}/loner`, {}));
    const lonerId = peerIdFromString(loner.peerId);
    // both know the loner's address, as if an answer had named it
    for (const p of [lean, plain])
      await internals(p).node.peerStore.merge(lonerId, { multiaddrs: [multiaddr(loner.multiaddrs()[0]!)] });
    const dht = internals(lean).node.services.dht as unknown as { k: number };
    assert.is(dht.k, 6, 'k reaches kad-dht');

    assert.is(await verifyOf(lean)({ peerId: lonerId }), false);
    assert.is(internals(lean).node.getConnections(lonerId).length, 0, 'no dial to verify');
    assert.is(await verifyOf(lean)({ peerId: peerIdFromString(seed.peerId) }), true, 'connected: pinged');

    assert.is(await verifyOf(plain)({ peerId: lonerId }), true, "kad-dht's own admission dials and pings");
    assert.ok(internals(plain).node.getConnections(lonerId).length > 0);
  } finally {
    await stopAll([...peers, loner]);
    removeDir(root);
  }
});

test('daemon config: dht settings validated and passed to the peer', () => {
  assert.equal(parseConfig({}).dht, {});
  const dht = { k: 8, alpha: 3, disjointPaths: 1, admit: 'connected', refreshOnStart: false } as const;
  assert.equal(parseConfig({ dht }).dht, dht);
  assert.equal(peerInitFromConfig('/tmp/x', parseConfig({ dht })).dht, dht);
  for (const bad of [
    { k: 1 },
    { k: 65 },
    { alpha: 0 },
    { admit: 'some' },
    { refreshOnStart: 1 },
    { kk: 3 },
    [],
    'x',
  ]) {
    assert.throws(
      () => parseConfig({ dht: bad }),
      (err: Error) => err instanceof ConfigError && /field "dht" must be/.test(err.message),
    );
  }
});

test.run();
