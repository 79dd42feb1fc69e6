/**
 * Messages above the frame limit (message-parts.ts): the pure reassembly and every refusal of its
 * table, the inbox's reservation (bounds and duplicates), and messages in parts between real peers
 * with a small frame limit: intact, in any number of parts, interleaved with other steps.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Inbox, PeerBudget } from '../../src/node/mpc/inbound.js';
import { PartAssembler, partsOf, type Part } from '../../src/node/mpc/message-parts.js';
import type { Peer } from '../../src/node/peer.js';
import { removeDir, startPeers, stopAll, tempDir } from './net-helpers.js';

const part = (step: number, total: number, offset: number, n: number, fill = 1): Part => ({
  step,
  total,
  offset,
  chunk: new Uint8Array(n).fill(fill),
});

test('reassembly: parts in order make the message; partsOf cuts at the frame limit', () => {
  assert.equal(partsOf(25, 10), [
    [0, 10],
    [10, 20],
    [20, 25],
  ]);
  const a = new PartAssembler(10);
  const first = part(3, 25, 0, 10, 1);
  assert.equal(a.push(first), { kind: 'started', step: 3, total: 25 });
  assert.equal(a.begin(first), { kind: 'more' });
  assert.is(a.pendingStep, 3);
  assert.equal(a.push(part(3, 25, 10, 10, 2)), { kind: 'more' });
  const done = a.push(part(3, 25, 20, 5, 3));
  assert.is(done.kind, 'done');
  const payload = (done as { payload: Uint8Array }).payload;
  assert.equal([...payload], [...Array(10).fill(1), ...Array(10).fill(2), ...Array(5).fill(3)]);
  assert.is(a.pendingStep, undefined);
});

test('refusals: sizes, order, overlap, a second message midway, mismatches', () => {
  const refusal = (a: PartAssembler, p: Part): string => {
    const r = a.push(p);
    return r.kind === 'refused' ? r.reason : r.kind;
  };
  const fresh = (): PartAssembler => new PartAssembler(10);
  assert.is(refusal(fresh(), part(1, 41, 0, 10)), 'message size out of range'); // over 4 frame limits
  assert.is(refusal(fresh(), part(1, 9, 0, 9)), 'message size out of range'); // a data frame's job
  assert.is(refusal(fresh(), part(1, 30, 0, 11)), 'part size out of range');
  assert.is(refusal(fresh(), part(1, 30, 10, 10)), 'a part without the start of its message');
  const started = (): PartAssembler => {
    const a = fresh();
    a.push(part(1, 30, 0, 10));
    a.begin(part(1, 30, 0, 10));
    return a;
  };
  assert.is(refusal(started(), part(1, 30, 0, 10)), 'a new message before the last one ended');
  assert.is(refusal(started(), part(2, 30, 10, 10)), 'a part out of order');
  assert.is(refusal(started(), part(1, 31, 10, 10)), 'a part out of order');
  assert.is(refusal(started(), part(1, 30, 20, 10)), 'a part out of order'); // a gap
  assert.is(refusal(started(), part(1, 30, 5, 10)), 'a part out of order'); // an overlap
  const near = started();
  near.push(part(1, 30, 10, 10));
  assert.is(refusal(near, part(1, 30, 20, 10)), 'done');
});

test('inbox: a reservation counts against the bounds and blocks duplicates until given back', () => {
  const budget = new PeerBudget({ bytes: 100, messages: 10 });
  const inbox = new Inbox(1, { bytes: 60, messages: 5 }, budget);
  inbox.peer = 'peer-b';
  assert.is(inbox.reserve(4, 50), undefined);
  assert.is(inbox.bufferedBytes, 50);
  assert.match(inbox.put(4, new Uint8Array(1))!.reason, /second/i);
  assert.match(inbox.put(5, new Uint8Array(20))!.reason, /bytes/);
  inbox.unreserve();
  assert.is(inbox.bufferedBytes, 0);
  assert.is(budget.usage('peer-b').bytes, 0);
  assert.is(inbox.put(4, new Uint8Array(50)), undefined);
  assert.match(inbox.reserve(6, 61)?.reason ?? '', /bytes/);
  inbox.clear();
  assert.is(budget.usage('peer-b').bytes, 0);
});

let root = '';
let peers: Peer[] = [];

test.before(async () => {
  root = tempDir();
  peers = await startPeers(root, 2, AbortSignal.timeout(30_000), () => ({ maxFrameBytes: 64 * 1024 }));
});
test.after(async () => {
  await stopAll(peers);
  removeDir(root);
});

test('real peers, 64 KiB frames: messages of 1 to 4 frame limits arrive intact among small ones', async () => {
  const signal = AbortSignal.timeout(30_000);
  const parties = peers.map((p) => p.peerId);
  const [a, b] = await Promise.all(
    peers.map((p) => p.openSession({ jobId: 'job-parts', parties }, { signal })),
  );
  const sizes = [64 * 1024 + 1, 100_000, 4 * 64 * 1024, 3];
  const messages = sizes.map((n, k) => {
    const m = new Uint8Array(n);
    for (let i = 0; i < n; i++) m[i] = (i * 31 + k) & 0xff;
    return m;
  });
  // every recv waits before the messages arrive: together they are more than the receiver may
  // buffer (4 frame limits), so a test that sent first would depend on send/drain timing
  const received = Promise.all(messages.map((_, step) => b!.recv(0, step, { signal })));
  await Promise.all(messages.map((m, step) => a!.send(1, step, m)));
  const all = await received;
  for (const [step, m] of messages.entries()) {
    const got = all[step]!;
    assert.is(got.length, m.length);
    assert.ok(
      got.every((v, i) => v === m[i]),
      `step ${step} intact`,
    );
  }
  assert.equal(b!.stats.received[0], { bytes: sizes.reduce((x, y) => x + y), messages: sizes.length });
  await Promise.all([a!.close(), b!.close()]);
});

test.run();
