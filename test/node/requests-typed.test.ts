/**
 * Typed request protocols (src/node/request-protocol.ts): the message's type travels as a frame of
 * its own, and the server bounds the message by its type's limit before reading it. Attacks: a
 * small control type carrying a large body, an unknown type, an untyped sender, and a message
 * whose own type is not the one its frame announced (a larger limit borrowed for a smaller type).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lpStream, streamPair } from '@libp2p/utils';
import type { Connection } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Peer } from '../../src/node/peer.js';
import { requestStreamHandler } from '../../src/node/request-protocol.js';
import { removeDir, startPeers, stopAll, tempDir } from './net-helpers.js';

const PROTO = '/peermpc/test-typed/1.0.0';
const LIMITS = { small: 64, big: 4096 };

const failure = (p: Promise<unknown>): Promise<Error | undefined> =>
  p.then(
    () => undefined,
    (e: Error) => e,
  );

test('a typed protocol bounds each message by its type before reading it', async () => {
  const signal = AbortSignal.timeout(60_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 2, signal);
    const [a, b] = peers as [Peer, Peer];
    const seen: unknown[] = [];
    await a.handleRequests(
      PROTO,
      async (message) => {
        seen.push(message);
        return { ok: true };
      },
      { maxRequestBytes: LIMITS },
    );
    const send = (m: unknown, typed = true): Promise<unknown> =>
      b.request(a.peerId, PROTO, m, { signal, typed });
    assert.equal(await send({ type: 'small' }), { ok: true });
    assert.equal(await send({ type: 'big', pad: 'x'.repeat(2000) }), { ok: true });
    assert.is((await failure(send({ type: 'small', pad: 'x'.repeat(100) })))?.name, 'RequestError');
    assert.is((await failure(send({ type: 'other' })))?.name, 'RequestError', 'unknown type');
    assert.is((await failure(send({ type: 'small' }, false)))?.name, 'RequestError', 'untyped sender');
    assert.is((await failure(send({ pad: 1 })))?.name, 'RequestError', 'no type to send');
    assert.equal(seen, [{ type: 'small' }, { type: 'big', pad: 'x'.repeat(2000) }]);
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test("a message whose type is not its frame's is refused before the handler", async () => {
  let called = 0;
  const logged: string[] = [];
  const serve = requestStreamHandler(
    PROTO,
    async () => {
      called++;
      return null;
    },
    () => true,
    Object.assign((f: string, ...a: unknown[]) => logged.push([f, ...a].join(' ')), {
      enabled: true,
      trace: () => {},
      error: () => {},
    }) as never,
    { maxRequestBytes: LIMITS },
  );
  const [outbound, inbound] = await streamPair();
  const from = peerIdFromString('12D3KooWGC6TvWhfapngX6wvJHMYvKpDMXPb3ZnCZ6dMoaMtimQ5');
  const served = serve(inbound, { remotePeer: from } as unknown as Connection);
  const lp = lpStream(outbound);
  const enc = new TextEncoder();
  await lp.writeV([enc.encode('big'), enc.encode(JSON.stringify({ type: 'small', pad: 'x'.repeat(2000) }))]);
  await served;
  assert.is(called, 0);
  assert.match(logged.join('\n'), /not of the type its frame announced/);
});

test.run();
