/**
 * Access lists: a denied peer can neither connect (connection gater, both directions) nor fetch a
 * description (catalog handler), nor join an MPC session; an allow list admits only its peers;
 * denying a connected peer closes its connections; the handler-level check holds on its own.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createPeer, type Peer } from '../../src/node/peer.js';
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

test('a denied peer can neither connect nor fetch, and is cut off when denied later', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 3, signal);
    const [a, b, c] = peers as [Peer, Peer, Peer];
    await a.datasets.add(
      { csvPath: writeText(root, 'd.csv', SAMPLE_CSV), name: 'secret', tags: ['t'] },
      { signal },
    );
    assert.is((await c.datasets.search('secret', { signal })).found.length, 1, 'visible before the deny');

    const denied: { peer: string; what: string }[] = [];
    a.access.onDenied((d) => denied.push({ peer: d.peer, what: d.what }));
    await a.access.deny([c.peerId]);
    assert.equal(a.access.get().deny, [c.peerId]);
    assert.not.ok(a.access.isAllowed(c.peerId));
    await waitFor(() => !a.connectedPeers().some((x) => x.peerId === c.peerId), signal, 'hang up');

    // c cannot connect to a: a's gater refuses the inbound connection once Noise has authenticated
    // c (c's own dial may report success for that instant, the connection closes at once)
    await c.dial(a.multiaddrs()[0]!, { signal }).catch(() => {});
    await waitFor(
      () =>
        !c.connectedPeers().some((x) => x.peerId === a.peerId) &&
        !a.connectedPeers().some((x) => x.peerId === c.peerId),
      signal,
      'the refused connection to close',
    );
    // a does not dial c either
    await a.dial(c.multiaddrs()[0]!, { signal }).then(
      () => assert.unreachable('dialled a denied peer'),
      () => {},
    );
    // c cannot fetch the description, and is told why it most likely is
    await c.datasets.show(a.peerId, 'secret', { signal }).then(
      (d) => assert.unreachable(`fetched ${d.description.name}`),
      (err: Error) => assert.match(err.message, /access lists may deny this peer/, err.message),
    );
    // a's listeners heard of every refused connection, by peer id only
    assert.ok(denied.length > 0 && denied.every((d) => d.peer === c.peerId && d.what === 'connection'));
    const res = await c.datasets.search('secret', { signal, timeoutMs: 5_000 });
    assert.equal(res.found, []);
    assert.ok(res.rejected.every((r) => r.owner === a.peerId && r.reason.startsWith('unreachable')));
    // b still can
    assert.is((await b.datasets.search('secret', { signal })).found.length, 1);

    // clearing the entry lets c back in
    await a.access.clear([c.peerId]);
    assert.is(await c.dial(a.multiaddrs()[0]!, { signal }), a.peerId);
    assert.is((await c.datasets.show(a.peerId, 'secret', { signal })).description.name, 'secret');
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('protocol handlers check the lists even on an already open connection', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 2, signal);
    const [a, b] = peers as [Peer, Peer];
    await a.datasets.add({ csvPath: writeText(root, 'd.csv', SAMPLE_CSV), name: 'x' }, { signal });
    await a.handleRequests('/peermpc/test/1.0.0', async () => ({ ok: true }));
    const denied: string[] = [];
    a.access.onDenied((d) => denied.push(d.what));
    // change the lists behind the gater's back: the connection stays open
    await internals(a).accessList.deny([b.peerId]);
    assert.ok(
      a.connectedPeers().some((p) => p.peerId === b.peerId),
      'still connected',
    );
    // refused in band: the denied peer reads a refusal, not a reset
    await b.datasets.show(a.peerId, 'x', { signal }).then(
      () => assert.unreachable('catalog handler served a denied peer'),
      (err: Error) => {
        assert.is(err.name, 'CatalogRequestError');
        assert.match(err.message, /denied by the peer's access lists/);
      },
    );
    await b.request(a.peerId, '/peermpc/test/1.0.0', { hello: 1 }, { signal }).then(
      () => assert.unreachable('request handler served a denied peer'),
      (err: Error) => {
        assert.is(err.name, 'RequestError');
        assert.match(err.message, /denied by the peer's access lists/);
      },
    );
    const parties = [b.peerId, a.peerId];
    const opening = b.openSession(
      { jobId: 'job-denied', parties, timeouts: { connectMs: 2_000 } },
      { signal },
    );
    await opening.then(
      () => assert.unreachable('session opened with a denying peer'),
      (err: Error) => assert.is(err.name, 'SessionOpenError'),
    );
    await a.openSession({ jobId: 'job-denied-2', parties }).then(
      () => assert.unreachable(),
      (err: Error) => assert.match(err.message, /denied by the access lists/),
    );
    // every refusal reached the listeners, with the protocol refused
    assert.equal([...new Set(denied)].sort(), [
      '/peermpc/catalog/1.0.0',
      '/peermpc/mpc/1.0.0',
      '/peermpc/test/1.0.0',
    ]);
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test('an allow list admits only its peers, and persists', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  const peers: Peer[] = [];
  try {
    const a = await createPeer(testInit(join(root, 'a')));
    peers.push(a);
    const b = await createPeer(testInit(join(root, 'b')));
    peers.push(b);
    const c = await createPeer(testInit(join(root, 'c')));
    peers.push(c);
    await a.access.allow([b.peerId]);
    assert.is(await b.dial(a.multiaddrs()[0]!, { signal }), a.peerId);
    // as with a deny: c's dial may report success for an instant, a closes the connection at once
    await c.dial(a.multiaddrs()[0]!, { signal }).catch(() => {});
    await waitFor(
      () =>
        !a.connectedPeers().some((x) => x.peerId === c.peerId) &&
        !c.connectedPeers().some((x) => x.peerId === a.peerId),
      signal,
      'the refused connection to close',
    );
    await c.request(a.peerId, '/peermpc/nothing/1.0.0', {}, { signal, timeoutMs: 3_000 }).then(
      () => assert.unreachable('a peer outside the allow list got a stream through'),
      () => {},
    );
    await a.stop();
    const again = await createPeer(testInit(join(root, 'a')));
    peers[0] = again;
    assert.equal(again.access.get(), { allow: [b.peerId], deny: [] });
    await again.access.allow(['not-a-peer-id']).then(
      () => assert.unreachable(),
      (err: Error) => assert.is(err.name, 'InvalidPeerAddressError'),
    );
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test.run();
