/**
 * Dialling a peer whose stored addresses went stale (src/node/dial-lookup.ts): real libp2p nodes
 * on 127.0.0.1 with a real DHT. A peer that knows only a dead address of another (as a NAT'd
 * peer's LAN address, or a peer that restarted on another port) cannot reach it by libp2p's dial,
 * which looks a peer up only when it knows no address; the peer's dials look the address up in the
 * DHT and reach it. A peer no one knows stays the dial's error, and one peer is looked up at most
 * once per spacing however often callers retry.
 */
import { createServer } from 'node:net';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CATALOG_PROTOCOL } from '../../src/node/catalog/protocol.js';
import { AddressLookup, dialProtocolWithLookup } from '../../src/node/dial-lookup.js';
import type { PeerNode } from '../../src/node/libp2p-node.js';
import type { Peer } from '../../src/node/peer.js';
import { internals, removeDir, SAMPLE_CSV, startPeers, stopAll, tempDir, writeText } from './net-helpers.js';

/** A loopback TCP port nothing listens on (bound, read, released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** Makes `from` forget every address of `to` but a dead one, and drops their connections. */
async function staleAddress(from: Peer, to: Peer): Promise<void> {
  const node = internals(from).node;
  const id = peerIdFromString(to.peerId);
  await node.hangUp(id);
  const dead = multiaddr(`/ip4/127.0.0.1/tcp/${await deadPort()}`);
  await node.peerStore.patch(id, { multiaddrs: [dead] });
}

test('a peer known only by a dead address is found through the DHT and reached', async () => {
  const signal = AbortSignal.timeout(90_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 3, signal);
    const [, a, c] = peers as [Peer, Peer, Peer];
    await c.datasets.add({ csvPath: writeText(root, 'd.csv', SAMPLE_CSV), name: 'd' }, { signal });
    const node = internals(a).node;
    const target = peerIdFromString(c.peerId);
    let finds = 0;
    const findPeer = node.peerRouting.findPeer.bind(node.peerRouting);
    node.peerRouting.findPeer = (id, o) => {
      if (id.equals(target)) finds++;
      return findPeer(id, o);
    };
    // libp2p alone has an address, so it never looks the peer up and fails. Each side forgets the
    // other's live address; should a DHT query of their own teach it back meanwhile (the plain
    // dial then reaches c), set it up again.
    let plain = 'reached';
    for (let i = 0; i < 5 && plain === 'reached'; i++) {
      await staleAddress(c, a);
      await staleAddress(a, c);
      plain = await node.dialProtocol(target, CATALOG_PROTOCOL, { signal }).then(
        async (s) => (await s.close(), 'reached'),
        (e: Error) => e.name,
      );
    }
    assert.is.not(plain, 'reached', 'the stale address alone does not reach the peer');
    await staleAddress(a, c);
    // the peer's own dials (the catalog here; job messages and MPC sessions use the same)
    const shown = await a.datasets.show(c.peerId, 'd', { signal });
    assert.is(shown.description.name, 'd');
    assert.ok(finds >= 1 || node.getConnections(target).some((x) => x.direction === 'inbound'), 'looked up');
    const known = (await node.peerStore.get(target)).addresses.map((x) => x.multiaddr.toString());
    assert.ok(
      known.some((m) => c.multiaddrs().some((own) => own.startsWith(m))),
      `learned a live address: ${known.join(', ')}`,
    );
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('a peer no one knows stays the dial error', async () => {
  const signal = AbortSignal.timeout(90_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 3, signal);
    const node = internals(peers[1]!).node;
    const dial = dialProtocolWithLookup(node, new AddressLookup(node));
    const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
    await node.peerStore.patch(nobody, { multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/${await deadPort()}`)] });
    const err = await dial(nobody, CATALOG_PROTOCOL, { signal: AbortSignal.timeout(20_000) }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err !== undefined, 'no stream to a peer that does not exist');
    assert.not.match(err.name, /Abort|Timeout/, `the dial's own error, not a timeout: ${err.name}`);
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('lookups of one peer are shared, on their own deadline, spaced, and drop other peers', async () => {
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
  const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
  let finds = 0;
  let addrs: string[] = ['/ip4/127.0.0.1/tcp/1'];
  let release = (): void => {};
  const node = {
    peerRouting: {
      findPeer: async () => {
        finds++;
        await new Promise<void>((r) => (release = r));
        addrs = [...addrs, `/ip4/127.0.0.1/tcp/${1 + finds}`, `/ip4/127.0.0.9/tcp/9/p2p/${other}`];
      },
    },
    peerStore: { get: async () => ({ addresses: addrs.map((a) => ({ multiaddr: multiaddr(a) })) }) },
  } as unknown as PeerNode;
  const lookup = new AddressLookup(node, 60_000);
  const signal = AbortSignal.timeout(10_000);
  const quitter = new AbortController();
  const first = lookup.refresh(peer, quitter.signal);
  const joined = lookup.refresh(peer, signal);
  await new Promise((r) => setTimeout(r, 10));
  quitter.abort();
  assert.equal(await first, [], 'the caller that gave up stops waiting');
  release();
  const learned = (await joined).map(String);
  assert.equal(learned, ['/ip4/127.0.0.1/tcp/2'], 'the lookup went on; the other peer id is dropped');
  assert.is(finds, 1, 'one lookup for two callers');
  assert.equal(await lookup.refresh(peer, signal), [], 'within the spacing: no lookup');
  assert.is(finds, 1);
  lookup.reset();
  const after = lookup.refresh(peer, signal);
  await new Promise((r) => setTimeout(r, 10));
  release();
  assert.equal((await after).map(String), ['/ip4/127.0.0.1/tcp/3']);
  assert.is(finds, 2, 'after the spacing: looked up again');
});

test.run();
