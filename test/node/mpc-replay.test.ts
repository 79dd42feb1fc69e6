/**
 * Replayed, duplicated and flooding frames on the receiving side of an MPC session: the real
 * FrameLink and Libp2pChannel over fake streams (frames in by hand, frames out recorded), and once
 * over libp2p between three peers. A frame for a step already consumed or still buffered fails the
 * session naming the sender's party and peer id; what one peer may make this peer buffer is bounded
 * over all its sessions; honest out-of-order traffic still flows.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { ChannelClosedError, PartyAbortedError } from '../../src/protocols/channel.js';
import { encodeData, encodeHello, type Frame } from '../../src/node/mpc/frame.js';
import { FrameLink } from '../../src/node/mpc/frame-link.js';
import {
  ConsumedSteps,
  DuplicateFrameError,
  InboundLimitError,
  PeerBudget,
} from '../../src/node/mpc/inbound.js';
import { Libp2pChannel } from '../../src/node/mpc/libp2p-channel.js';
import { MPC_PROTOCOL, partiesDigest } from '../../src/node/mpc/sessions.js';
import type { Peer } from '../../src/node/peer.js';
import { internals, removeDir, startPeers, stopAll, tempDir, waitFor } from './net-helpers.js';
import { FakeStream, silentLog } from './fake-stream.js';

const MAX_PAYLOAD = 1024;
const noop = (): void => {};
const log = silentLog;

/** Party 0 of a 3-party session; parties 1 and 2 are peers `peer-1`, `peer-2` on fake streams. */
function session(jobId: string, peerBudget?: PeerBudget) {
  const channel = new Libp2pChannel({
    jobId,
    parties: 3,
    self: 0,
    stepMs: 60_000,
    jobMs: 0,
    maxPayload: MAX_PAYLOAD,
    log,
    onDone: noop,
    ...(peerBudget ? { peerBudget } : {}),
  });
  const streams = [1, 2].map((p) => {
    const stream = new FakeStream();
    channel.attach(p, new FrameLink(stream as unknown as Stream, `peer-${p}`, MAX_PAYLOAD, log));
    return stream;
  });
  const from = (party: 1 | 2, step: number, payload: Uint8Array): void =>
    streams[party - 1]!.emit('message', { data: encodeData(jobId, step, payload) });
  return { channel, from, streams: streams as [FakeStream, FakeStream] };
}

const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );
}

/** The session failed on party 0, blaming party 1: party 2 was told so, party 1's stream aborted. */
function assertBlamed(s: ReturnType<typeof session>, what: RegExp): void {
  assert.ok(s.channel.signal.aborted, 'session failed');
  assert.is(s.streams[0].status, 'aborted', "the culprit's stream is aborted");
  const told = s.streams[1].frames(MAX_PAYLOAD).filter((f) => f.kind === 'abort');
  assert.is(told.length, 1, 'party 2 gets one abort frame');
  const abort = told[0] as Extract<Frame, { kind: 'abort' }>;
  assert.is(abort.culprit, 1);
  assert.match(abort.reason, what);
  assert.match(abort.reason, /peer-1/);
}

test('a replayed frame for a consumed step fails the session naming the peer and the step', async () => {
  for (const consumedBy of ['buffered', 'waiting'] as const) {
    const s = session(`job-replay-${consumedBy}`);
    if (consumedBy === 'buffered') {
      s.from(1, 0, bytes(8, 1));
      assert.equal(await s.channel.recv(1, 0), bytes(8, 1));
    } else {
      const got = s.channel.recv(1, 0);
      s.from(1, 0, bytes(8, 1));
      assert.equal(await got, bytes(8, 1));
    }
    // a replay: nothing is recv'd for it again, but it must not sit in the buffer silently
    const later = rejection(s.channel.recv(2, 5));
    s.from(1, 0, bytes(8, 1));
    assert.ok(s.channel.signal.aborted, 'fails at once'); // frames are delivered synchronously here
    const err = await later;
    assert.instance(err, DuplicateFrameError, consumedBy);
    assert.instance(err, PartyAbortedError, 'blamed as a party failure (culpritOf, job layer)');
    const dup = err as DuplicateFrameError;
    assert.is(dup.name, 'DuplicateFrameError');
    assert.is(dup.party, 1);
    assert.is(dup.peer, 'peer-1');
    assert.is(dup.frameStep, 0);
    assert.is(dup.buffered, false);
    assert.is(dup.step, 5, 'step is the awaited one, as in every ChannelError');
    assert.match(dup.message, /step 0 from peer peer-1/);
    assertBlamed(s, /second frame for step 0/);
    const after = await rejection(s.channel.recv(1, 6));
    assert.instance(after, DuplicateFrameError, 'future recvs reject too');
    await s.channel.close();
  }
});

test('a second frame for a step still buffered fails the session; the budget is given back', async () => {
  const budget = new PeerBudget({ bytes: 1 << 20, messages: 1000 });
  const s = session('job-dup-buffered', budget);
  s.from(1, 4, bytes(16, 4));
  s.from(2, 4, bytes(16, 4)); // the same step from another party is fine
  assert.equal(budget.usage('peer-1'), { bytes: 16, messages: 1 });
  s.from(1, 4, bytes(16, 9));
  assert.ok(s.channel.signal.aborted, 'fails at once');
  const err = await rejection(s.channel.recv(1, 4));
  assert.instance(err, DuplicateFrameError);
  assert.is((err as DuplicateFrameError).buffered, true);
  assert.is((err as DuplicateFrameError).frameStep, 4);
  assertBlamed(s, /second frame for step 4 .*still buffered/);
  assert.equal(budget.usage('peer-1'), { bytes: 0, messages: 0 }, 'dropped frames are released');
  assert.equal(budget.usage('peer-2'), { bytes: 0, messages: 0 });
  await s.channel.close();
});

test("one peer's buffered bytes are bounded over all its sessions", async () => {
  // per session: 4 * 1024 bytes; per peer: 2500 bytes over every session
  const budget = new PeerBudget({ bytes: 2500, messages: 1000 });
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((j) => session(`job-budget-${j}`, budget)) as [
    ReturnType<typeof session>,
    ReturnType<typeof session>,
    ReturnType<typeof session>,
    ReturnType<typeof session>,
  ];
  a.from(1, 0, bytes(1000, 1));
  b.from(1, 0, bytes(1000, 2));
  a.from(2, 0, bytes(1000, 3)); // another peer: its own budget
  assert.equal(budget.usage('peer-1'), { bytes: 2000, messages: 2 });
  const pending = rejection(c.channel.recv(2, 1));
  c.from(1, 0, bytes(1000, 4)); // within c's own bound, over peer-1's budget
  assert.ok(c.channel.signal.aborted, 'fails at once');
  const err = await pending;
  assert.instance(err, InboundLimitError);
  assert.instance(err, PartyAbortedError);
  const e = err as InboundLimitError;
  assert.is(e.name, 'InboundLimitError');
  assert.is(e.party, 1);
  assert.is(e.peer, 'peer-1');
  assert.is(e.scope, 'peer');
  assert.is(e.unit, 'bytes');
  assert.is(e.limit, 2500);
  assertBlamed(c, /limit of the peer over all its sessions of 2500 bytes/);
  // the other sessions of that peer are untouched, and receiving frees the budget
  assert.not.ok(a.channel.signal.aborted || b.channel.signal.aborted);
  assert.equal(await a.channel.recv(1, 0), bytes(1000, 1));
  assert.equal(budget.usage('peer-1'), { bytes: 1000, messages: 1 });
  d.from(1, 0, bytes(1000, 5));
  assert.equal(await d.channel.recv(1, 0), bytes(1000, 5));
  assert.equal(await a.channel.recv(2, 0), bytes(1000, 3));
  // a session that ends gives back what it still held
  await b.channel.close();
  assert.equal(budget.usage('peer-1'), { bytes: 0, messages: 0 });
  await Promise.all([a, c, d].map((s) => s.channel.close()));
});

test('the per-session bound still holds; message counts are bounded per peer too', async () => {
  const s = session('job-session-bound', new PeerBudget({ bytes: 1 << 20, messages: 1000 }));
  for (let step = 0; step < 4; step++) s.from(1, step, bytes(MAX_PAYLOAD, step));
  const pending = rejection(s.channel.recv(2, 0));
  s.from(1, 4, bytes(1, 0));
  assert.ok(s.channel.signal.aborted, 'fails at once');
  const e = (await pending) as InboundLimitError;
  assert.instance(e, InboundLimitError);
  assert.is(e.scope, 'session');
  assert.is(e.limit, 4 * MAX_PAYLOAD);

  const budget = new PeerBudget({ bytes: 1 << 20, messages: 3 });
  const x = session('job-count-x', budget);
  const y = session('job-count-y', budget);
  x.from(1, 0, new Uint8Array(0));
  x.from(1, 1, new Uint8Array(0));
  y.from(1, 0, new Uint8Array(0));
  y.from(1, 1, new Uint8Array(0)); // the fourth empty message of peer-1
  assert.ok(y.channel.signal.aborted, 'fails at once');
  const counted = (await rejection(y.channel.recv(1, 2))) as InboundLimitError;
  assert.instance(counted, InboundLimitError);
  assert.is(counted.unit, 'messages');
  assert.is(counted.scope, 'peer');
  assert.not.ok(x.channel.signal.aborted);
  await Promise.all([s, x, y].map((c) => c.channel.close()));
});

test('honest traffic out of order, with gaps and recvs before and after arrival, still flows', async () => {
  const s = session('job-honest');
  const { channel } = s;
  const early = [channel.recv(1, 9), channel.recv(1, 2)];
  for (const step of [5, 2, 9, 1, 0, 7]) s.from(1, step, bytes(3, step)); // 3, 4, 6, 8 never sent
  assert.equal(await Promise.all(early), [bytes(3, 9), bytes(3, 2)]);
  for (const step of [7, 0, 5, 1]) assert.equal(await channel.recv(1, step), bytes(3, step));
  // receiving a step twice is a local mistake: refused, and the session goes on
  assert.instance(await rejection(channel.recv(1, 5)), RangeError);
  // far ahead: the window moves past the gaps, but what is buffered or awaited stays receivable
  const awaited = channel.recv(1, 11);
  s.from(1, 12, bytes(3, 12));
  s.from(1, 100_000, bytes(3, 100));
  assert.equal(await channel.recv(1, 100_000), bytes(3, 100));
  s.from(1, 11, bytes(3, 11));
  assert.equal(await awaited, bytes(3, 11));
  assert.equal(await channel.recv(1, 12), bytes(3, 12));
  assert.instance(await rejection(channel.recv(1, 3)), RangeError, 'a passed gap counts as consumed');
  // the other party's steps are its own
  s.from(2, 0, bytes(1, 0));
  assert.equal(await channel.recv(2, 0), bytes(1, 0));
  assert.not.ok(channel.signal.aborted);
  assert.is(channel.stats.received[1]!.messages, 9);
  await channel.close();
  assert.instance(await rejection(channel.recv(1, 13)), ChannelClosedError);
});

test('ConsumedSteps: exact within the window, a bounded mark below it', () => {
  const window = 64;
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 400 }), { maxLength: 300 }), (steps) => {
      const c = new ConsumedSteps(window);
      const added = new Set<number>();
      let highest = -1;
      for (const s of steps) {
        c.add(s);
        added.add(s);
        highest = Math.max(highest, s);
        assert.ok(c.has(s));
      }
      assert.ok(c.lowWater >= highest - window + 1, 'the mark trails the highest step by a window at most');
      for (let s = 0; s < 420; s++) {
        // below the mark everything counts as consumed; from it on, exactly what was added
        assert.is(c.has(s), s < c.lowWater || added.has(s), `step ${s}`);
      }
      // in order, the mark is exact: it stops at the first step never added
      let first = 0;
      while (added.has(first)) first++;
      if (highest - window + 1 <= first) assert.is(c.lowWater, first);
    }),
    { numRuns: 300 },
  );
  assert.throws(() => new ConsumedSteps(33), RangeError);
});

// Over libp2p: peer c plays party 0 by hand and replays a frame to a; b learns who failed the job.
let root = '';
let peers: Peer[] = [];

test.before(async () => {
  root = tempDir();
  peers = await startPeers(root, 3, AbortSignal.timeout(30_000), () => ({ maxFrameBytes: MAX_PAYLOAD }));
});

test.after(async () => {
  await stopAll(peers);
  removeDir(root);
});

test('over libp2p: a replay fails the job on every party, naming the sender', async () => {
  const signal = AbortSignal.timeout(30_000);
  const [a, b, c] = peers as [Peer, Peer, Peer];
  const jobId = 'job-replay-net';
  const parties = [c.peerId, a.peerId, b.peerId];
  const opening = Promise.all([a, b].map((p) => p.openSession({ jobId, parties }, { signal })));
  const raw = await Promise.all(
    [a, b].map(async (to, i) => {
      const stream = await internals(c).node.dialProtocol(peerIdFromString(to.peerId), MPC_PROTOCOL, {
        signal,
      });
      stream.send(encodeHello(jobId, 0, i + 1, 3, partiesDigest(parties)));
      return stream;
    }),
  );
  const [ca, cb] = await opening;
  const toA = raw[0]!;
  toA.send(encodeData(jobId, 1, bytes(4, 7)));
  assert.equal(await ca.recv(0, 1, { signal }), bytes(4, 7));
  const atA = rejection(ca.recv(2, 2, { signal }));
  const atB = rejection(cb.recv(1, 2, { signal }));
  toA.send(encodeData(jobId, 1, bytes(4, 7)));
  const [ea, eb] = await Promise.all([atA, atB]);
  assert.instance(ea, DuplicateFrameError);
  assert.is((ea as DuplicateFrameError).party, 0);
  assert.is((ea as DuplicateFrameError).peer, c.peerId);
  assert.is((ea as DuplicateFrameError).frameStep, 1);
  assert.instance(eb, PartyAbortedError);
  assert.is((eb as PartyAbortedError).party, 0, 'b, waiting on a, learns that c failed the job');
  assert.match(eb.message, /second frame for step 1/);
  await waitFor(() => toA.status !== 'open', signal, "a aborts the culprit's stream");
  await Promise.all([ca.close(), cb.close()]);
  for (const s of raw) s.abort(new Error('done'));
});

test.run();
