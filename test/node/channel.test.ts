/**
 * The libp2p Channel between three peers on 127.0.0.1: the same send/recv/abort/timeout behaviour
 * as the in-memory channel, plus what only a network has (a peer that stops, back-pressure, large
 * frames, a party that opens late).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ChannelClosedError,
  PartyAbortedError,
  StepTimeoutError,
  type Channel,
} from '../../src/protocols/channel.js';
import { STALL_STEPS } from '../../src/node/mpc/liveness.js';
import type { Peer } from '../../src/node/peer.js';
import type { SessionTimeouts } from '../../src/node/types.js';
import { removeDir, startPeers, stopAll, tempDir } from './net-helpers.js';

const bytes = (...v: number[]): Uint8Array => new Uint8Array(v);

async function openAll(
  peers: Peer[],
  jobId: string,
  timeouts: SessionTimeouts = {},
  signal?: AbortSignal,
): Promise<Channel[]> {
  const parties = peers.map((p) => p.peerId);
  return Promise.all(peers.map((p) => p.openSession({ jobId, parties, timeouts }, { signal })));
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );
}

let root = '';
let peers: Peer[] = [];

test.before(async () => {
  root = tempDir();
  peers = await startPeers(root, 3, AbortSignal.timeout(30_000), () => ({ maxFrameBytes: 32 * 1024 * 1024 }));
});

test.after(async () => {
  await stopAll(peers);
  removeDir(root);
});

test('every pair exchanges messages; steps never mix; stats count payload bytes', async () => {
  const signal = AbortSignal.timeout(30_000);
  const ch = await openAll(peers, 'job-basic', {}, signal);
  ch.forEach((c, i) => {
    assert.is(c.parties, 3);
    assert.is(c.self, i);
  });
  // every party sends step 2 before step 1 to each other party
  await Promise.all(
    ch.flatMap((c) =>
      [0, 1, 2]
        .filter((to) => to !== c.self)
        .flatMap((to) => [c.send(to, 2, bytes(c.self, to, 2, 2)), c.send(to, 1, bytes(c.self, to, 1))]),
    ),
  );
  for (const c of ch) {
    for (const from of [0, 1, 2].filter((f) => f !== c.self)) {
      assert.equal(await c.recv(from, 1, { signal }), bytes(from, c.self, 1));
      assert.equal(await c.recv(from, 2, { signal }), bytes(from, c.self, 2, 2));
    }
  }
  // a recv posted before the message arrives
  const pending = ch[2]!.recv(0, 7, { signal });
  await ch[0]!.send(2, 7, bytes(9));
  assert.equal(await pending, bytes(9));
  assert.equal(ch[0]!.stats.sent[2], { bytes: 4 + 3 + 1, messages: 3 });
  assert.equal(ch[2]!.stats.received[0], { bytes: 8, messages: 3 });
  assert.equal(ch[0]!.stats.sent[0], { bytes: 0, messages: 0 });
  await ch[0]!.send(1, 0, new Uint8Array(0));
  assert.equal(await ch[1]!.recv(0, 0, { signal }), new Uint8Array(0));
  assert.instance(await rejection(ch[0]!.send(0, 1, bytes(1))), RangeError);
  await Promise.all(ch.map((c) => c.close()));
  const afterClose = await rejection(ch[0]!.recv(1, 99));
  assert.instance(afterClose, ChannelClosedError);
});

test('abort: the aborting party names itself to every peer; its own recvs reject', async () => {
  const signal = AbortSignal.timeout(30_000);
  const ch = await openAll(peers, 'job-abort', {}, signal);
  const waiting1 = rejection(ch[1]!.recv(0, 5, { signal }));
  const waiting2 = rejection(ch[2]!.recv(1, 5, { signal }));
  const own = rejection(ch[0]!.recv(2, 5, { signal }));
  ch[0]!.abort(new Error('owner rejected'));
  const e1 = await waiting1;
  const e2 = await waiting2;
  assert.instance(e1, PartyAbortedError);
  assert.is((e1 as PartyAbortedError).party, 0);
  assert.match(e1.message, /owner rejected/);
  assert.instance(e2, PartyAbortedError);
  assert.is((e2 as PartyAbortedError).party, 0, 'party 2 waits on party 1 but learns party 0 aborted');
  assert.instance(await own, ChannelClosedError);
  const later = await rejection(ch[1]!.recv(2, 6, { signal }));
  assert.instance(later, PartyAbortedError);
  await Promise.all(ch.map((c) => c.close()));
});

test('a live party that is slow to send is not timed out (keep-alives); an AbortSignal on recv works', async () => {
  // A party is timed out only when it sends nothing at all for stepMs: a frozen process (the
  // SIGSTOP test in kill.test.ts), never a busy one. Here party 2 is alive and idle.
  const signal = AbortSignal.timeout(30_000);
  const ch = await openAll(peers, 'job-timeout', { stepMs: 300 }, signal);
  const slow = ch[0]!.recv(2, 4, { signal });
  let settled = false;
  void slow.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, 1500)); // five step timeouts
  assert.is(settled, false, 'a live party was timed out');
  await ch[2]!.send(0, 4, bytes(7));
  assert.equal([...(await slow)], [7]);
  // an AbortSignal on recv works too
  const ac = new AbortController();
  const r = rejection(ch[1]!.recv(0, 1, { signal: ac.signal }));
  ac.abort(new Error('caller gave up'));
  assert.match((await r).message, /caller gave up/);
  await Promise.all(ch.map((c) => c.close()));
});

test('a party alive but stuck (keep-alives, no progress) is timed out after STALL_STEPS step timeouts', async () => {
  // Its keep-alives report the step it reached; one that stays put while another waits on it is
  // stuck (deadlocked, out of step, or malicious), not busy.
  const signal = AbortSignal.timeout(30_000);
  const ch = await openAll(peers, 'job-stall', { stepMs: 200 }, signal);
  const err = await rejection(ch[0]!.recv(2, 3, { signal }));
  assert.instance(err, StepTimeoutError);
  assert.is((err as StepTimeoutError).party, 2);
  assert.match(err.message, new RegExp(`within ${STALL_STEPS * 200} ms`));
  await Promise.all(ch.map((c) => c.close()));
});

test('job timeout aborts the session everywhere', async () => {
  const signal = AbortSignal.timeout(30_000);
  const ch = await openAll(peers, 'job-jobtimeout', { jobMs: 800 }, signal);
  const errs = await Promise.all(ch.map((c, i) => rejection(c.recv((i + 1) % 3, 0, { signal }))));
  assert.ok(
    errs.every((e) => e instanceof ChannelClosedError || e instanceof PartyAbortedError),
    errs.map(String).join(),
  );
  assert.ok(errs.some((e) => /job timeout/.test(e.message)));
  await Promise.all(ch.map((c) => c.close()));
});

test('large payloads with back-pressure arrive intact; over-limit payloads are refused', async () => {
  const signal = AbortSignal.timeout(60_000);
  const ch = await openAll(peers, 'job-large', {}, signal);
  const big = new Uint8Array(24 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
  const sends = (async () => {
    for (let s = 0; s < 3; s++) await ch[0]!.send(1, s, big);
  })();
  for (let s = 0; s < 3; s++) {
    const got = await ch[1]!.recv(0, s, { signal });
    assert.is(got.length, big.length);
    assert.ok(
      got.every((v, i) => v === big[i]),
      'payload intact',
    );
  }
  await sends;
  // over the frame limit: sent in parts and delivered whole (message-parts.ts)
  const over = new Uint8Array(32 * 1024 * 1024 + 1);
  for (let i = 0; i < over.length; i += 4093) over[i] = (i / 4093) & 0xff;
  over[over.length - 1] = 0xee;
  const [, whole] = await Promise.all([ch[0]!.send(2, 9, over), ch[2]!.recv(0, 9, { signal })]);
  assert.is(whole.length, over.length);
  assert.ok(
    whole.every((v, i) => v === over[i]),
    'message in parts intact',
  );
  // over the message limit (4 frame limits): refused before anything is sent
  const err = await rejection(ch[0]!.send(2, 10, new Uint8Array(4 * 32 * 1024 * 1024 + 1)));
  assert.instance(err, RangeError);
  assert.match(err.message, /exceeds the message limit of 134217728 \(4 frames of 33554432\)/);
  await Promise.all(ch.map((c) => c.close()));
});

test('a party that opens late is waited for; a duplicate open is refused', async () => {
  const signal = AbortSignal.timeout(30_000);
  const parties = peers.map((p) => p.peerId);
  const early = [0, 1].map((i) => peers[i]!.openSession({ jobId: 'job-late', parties }, { signal }));
  await new Promise((r) => setTimeout(r, 400));
  const late = peers[2]!.openSession({ jobId: 'job-late', parties }, { signal });
  const ch = await Promise.all([...early, late]);
  await ch[2]!.send(0, 0, bytes(42));
  assert.equal(await ch[0]!.recv(2, 0, { signal }), bytes(42));
  const dup = await rejection(peers[0]!.openSession({ jobId: 'job-late', parties }));
  assert.is(dup.name, 'SessionOpenError');
  await Promise.all(ch.map((c) => c.close()));
  // closed: the job id can be used again
  const again = await openAll(peers, 'job-late', {}, signal);
  await Promise.all(again.map((c) => c.close()));
});

test('opening fails cleanly when a party never joins, or the party list is wrong', async () => {
  const signal = AbortSignal.timeout(30_000);
  const parties = peers.map((p) => p.peerId);
  const lonely = await rejection(
    peers[0]!.openSession({ jobId: 'job-nobody', parties, timeouts: { connectMs: 700 } }, { signal }),
  );
  assert.is(lonely.name, 'SessionOpenError');
  assert.match(lonely.message, /within 700 ms/);
  const notMe = await rejection(peers[0]!.openSession({ jobId: 'j', parties: [parties[1]!, parties[2]!] }));
  assert.match(notMe.message, /not one of the parties/);
  const twice = await rejection(peers[0]!.openSession({ jobId: 'j', parties: [parties[0]!, parties[0]!] }));
  assert.match(twice.message, /appears twice/);
  // same job id, different party order on the two sides: refused as a mismatch
  const a = peers[0]!.openSession({ jobId: 'job-mismatch', parties: [parties[0]!, parties[1]!] }, { signal });
  const b = peers[1]!.openSession(
    {
      jobId: 'job-mismatch',
      parties: [parties[0]!, parties[1]!, parties[2]!],
      timeouts: { connectMs: 1_500 },
    },
    { signal },
  );
  const [ea, eb] = await Promise.all([rejection(a), rejection(b)]);
  assert.is(ea.name, 'SessionOpenError');
  assert.is(eb.name, 'SessionOpenError');
});

test('a peer that stops makes the others fail naming it, well before the step timeout', async () => {
  const signal = AbortSignal.timeout(30_000);
  const ch = await openAll(peers, 'job-stop', { stepMs: 20_000 }, signal);
  const w0 = rejection(ch[0]!.recv(2, 3, { signal }));
  const w1 = rejection(ch[1]!.recv(0, 3, { signal })); // waits on party 0, but party 2's fall fails the job
  const t0 = Date.now();
  await peers[2]!.stop();
  const [e0, e1] = await Promise.all([w0, w1]);
  const took = Date.now() - t0;
  assert.instance(e0, PartyAbortedError);
  assert.is((e0 as PartyAbortedError).party, 2, e0.message);
  assert.instance(e1, PartyAbortedError);
  assert.is((e1 as PartyAbortedError).party, 2, e1.message);
  assert.ok(took < 5_000, `took ${took} ms`);
  await Promise.all(ch.map((c) => c.close()));
});

test.run();
