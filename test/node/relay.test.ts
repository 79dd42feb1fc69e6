/**
 * Peers behind NAT on loopback: a peer with no listener of its own reserves a slot on a relay and
 * is reached through it (dial, ping, a dataset found by search); a peer it denies cannot reach it
 * through the relay; a listening peer learns it is public by dial-back. The dial-back rules
 * (reachability.ts) as a table: relayed and malformed requests refused, only the observed IP dialled.
 * The NAT cases themselves (relayed first, direct after hole punching) run in the network lab.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPeer, type Peer } from '../../src/node/peer.js';
import {
  DIALBACK_PROTOCOL,
  dialBackTargets,
  MAX_DIALBACK_PORTS,
  reachabilityOf,
} from '../../src/node/reachability.js';
import {
  internals,
  removeDir,
  SAMPLE_CSV,
  startPeers,
  stopAll,
  tempDir,
  testInit,
  waitFor,
  writeText,
} from './net-helpers.js';

test('a peer without a listener is reached through a relay; a peer it denies is not', async () => {
  const signal = AbortSignal.timeout(90_000);
  const root = tempDir();
  const peers: Peer[] = [];
  try {
    const relay = await createPeer(
      testInit(`${root}/relay`, { nat: { relayServer: true, reachability: 'public' } }),
    );
    peers.push(relay);
    await relay.start();
    const boot = [relay.multiaddrs()[0]!];
    const hidden = await createPeer(
      testInit(`${root}/hidden`, { listen: [], bootstrap: boot, nat: { reachability: 'private' } }),
    );
    const scientist = await createPeer(testInit(`${root}/scientist`, { bootstrap: boot }));
    const mallory = await createPeer(testInit(`${root}/mallory`, { bootstrap: boot }));
    peers.push(hidden, scientist, mallory);
    await hidden.access.deny([mallory.peerId]);
    for (const p of [hidden, scientist, mallory]) await p.start({ signal });

    await waitFor(() => hidden.status().relayedAddrs.length > 0, signal, 'a relay reservation');
    const relayed = hidden.status().relayedAddrs[0]!;
    assert.match(relayed, `/p2p/${relay.peerId}/p2p-circuit/p2p/${hidden.peerId}`);
    assert.is(hidden.status().reachability, 'private');

    assert.is(await scientist.dial(relayed, { signal }), hidden.peerId);
    assert.ok((await scientist.ping(relayed, { signal })) >= 0);
    const viaRelay = scientist
      .connectedPeers()
      .filter((c) => c.peerId === hidden.peerId && c.kind === 'relayed');
    assert.ok(viaRelay.length > 0, 'a relayed connection');
    assert.is(viaRelay[0]!.relay, relay.peerId);

    await hidden.datasets.add(
      { csvPath: writeText(root, 'd.csv', SAMPLE_CSV), name: 'ward', tags: ['t'] },
      { signal },
    );
    const found = await scientist.datasets.search('ward', { signal });
    assert.is(found.found.length, 1, 'found through the DHT and fetched from the hidden peer');

    // Noise completes on the dialler's side before the peer's gater refuses it: the dial may
    // resolve, but the connection is closed at once and nothing can be asked over it.
    await mallory.dial(relayed, { signal }).catch(() => undefined);
    let pinged = true;
    await mallory.ping(relayed, { signal }).catch(() => (pinged = false));
    assert.not.ok(pinged, 'a denied peer cannot use the relay to reach the peer that denies it');
    await waitFor(() => !mallory.connectedPeers().some((c) => c.peerId === hidden.peerId), signal, 'closed');
    assert.not.ok(hidden.connectedPeers().some((c) => c.peerId === mallory.peerId));

    await waitFor(() => scientist.status().reachability === 'public', signal, 'dial-back: public');
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('a session refuses, saying why, a party reachable only through a relay with limits', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  const peers: Peer[] = [];
  try {
    const relay = await createPeer(
      testInit(`${root}/relay`, { nat: { relayServer: { dataBytes: 1 << 20 }, reachability: 'public' } }),
    );
    peers.push(relay);
    await relay.start();
    const boot = [relay.multiaddrs()[0]!];
    // neither listens: every connection between them goes through the (limited) relay
    const [x, y] = await Promise.all(
      ['x', 'y'].map((n) =>
        createPeer(
          testInit(`${root}/${n}`, { listen: [], bootstrap: boot, nat: { reachability: 'private' } }),
        ),
      ),
    );
    peers.push(x!, y!);
    await Promise.all([x!.start({ signal }), y!.start({ signal })]);
    await waitFor(() => y!.status().relayedAddrs.length > 0, signal, 'a relay reservation');
    await x!.dial(y!.status().relayedAddrs[0]!, { signal });
    const parties = [x!.peerId, y!.peerId].sort();
    const [first, second] = parties[0] === x!.peerId ? [x!, y!] : [y!, x!];
    const opening = second
      .openSession({ jobId: 'limited', parties, timeouts: { connectMs: 5_000 } })
      .catch(() => undefined);
    let message = '';
    await first
      .openSession({ jobId: 'limited', parties, timeouts: { connectMs: 20_000 } })
      .catch((err: Error) => (message = err.message));
    assert.match(message, /reachable only through a relay that limits relayed connections/);
    await opening;
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('dial-back: relayed or malformed requests are refused; only the observed IP is dialled', () => {
  const direct = { remoteAddr: '/ip4/10.1.2.3/tcp/40000', relayed: false };
  assert.equal(dialBackTargets({ ports: [7341] }, direct), [
    '/ip4/10.1.2.3/tcp/40000',
    '/ip4/10.1.2.3/tcp/7341',
  ]);
  assert.equal(dialBackTargets({ ports: [40000] }, direct), ['/ip4/10.1.2.3/tcp/40000'], 'no duplicates');
  const relayed = { remoteAddr: '/ip4/10.0.0.1/tcp/1/p2p/x/p2p-circuit', relayed: true };
  assert.ok('refused' in (dialBackTargets({ ports: [1] }, relayed) as object));
  for (const bad of [null, {}, { ports: 'x' }, { ports: [0] }, { ports: [70000] }, { ports: [1.5] }])
    assert.ok('refused' in (dialBackTargets(bad, direct) as object), JSON.stringify(bad));
  const many = Array.from({ length: MAX_DIALBACK_PORTS + 1 }, (_, i) => i + 1);
  assert.ok('refused' in (dialBackTargets({ ports: many }, direct) as object), 'too many ports');
  const mem = { remoteAddr: '/memory/x', relayed: false };
  assert.ok('refused' in (dialBackTargets({ ports: [1] }, mem) as object), 'not TCP');
  // the asker cannot name another host: there is no field for it, and extra fields are ignored
  const spoof = dialBackTargets({ ports: [1], ip: '10.9.9.9' }, direct) as string[];
  assert.ok(spoof.every((a) => a.startsWith('/ip4/10.1.2.3/')));
});

test('a peer told it is public that does not punch asks no one to dial back', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 3, signal, (i) =>
      i === 2 ? { nat: { reachability: 'public', holePunch: false } } : {},
    );
    // count the dial-back requests each peer receives for 2.5 s (probes start 1 s after start)
    const asked = new Map<string, number>();
    for (const p of peers.slice(0, 2)) {
      const node = internals(p).node;
      await node.unhandle(DIALBACK_PROTOCOL);
      await node.handle(DIALBACK_PROTOCOL, (stream, connection) => {
        const from = connection.remotePeer.toString();
        asked.set(from, (asked.get(from) ?? 0) + 1);
        stream.abort(new Error('counted only'));
      });
    }
    await new Promise((r) => setTimeout(r, 2_500));
    assert.is(asked.get(peers[2]!.peerId), undefined, 'the quiet peer sent no probe');
    assert.ok(
      (asked.get(peers[0]!.peerId) ?? 0) + (asked.get(peers[1]!.peerId) ?? 0) > 0,
      'the others probe',
    );
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('reachability verdicts: any success is public, all failures private, no answer unknown', () => {
  assert.is(reachabilityOf([]), 'unknown');
  assert.is(reachabilityOf([undefined, undefined]), 'unknown');
  assert.is(reachabilityOf([{ reachable: [] }, undefined]), 'private');
  assert.is(reachabilityOf([{ reachable: [] }, { reachable: ['/ip4/1.2.3.4/tcp/1'] }]), 'public');
  assert.is(reachabilityOf([{ reachable: [], refused: 'relayed' }]), 'unknown', 'a refusal says nothing');
});

test.run();
