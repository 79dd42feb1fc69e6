/**
 * The MPC protocol handler under hostile input: malformed, oversized and foreign frames, unknown
 * jobs and peers that are not parties are refused (stream closed, reason sent when possible), the
 * session of the offended party fails naming the offender, and the node keeps serving.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { PartyAbortedError } from '../../src/protocols/channel.js';
import { FrameDecoder } from '../../src/node/mpc/frame-decoder.js';
import { ABORT_CODE, encodeData, encodeHello, type Frame } from '../../src/node/mpc/frame.js';
import { MPC_PROTOCOL, partiesDigest } from '../../src/node/mpc/sessions.js';
import type { Peer } from '../../src/node/peer.js';
import { internals, removeDir, startPeers, stopAll, tempDir } from './net-helpers.js';

/** A hand-driven MPC stream from `from` to `to`. */
async function rawStream(from: Peer, to: Peer, signal: AbortSignal) {
  const stream: Stream = await internals(from).node.dialProtocol(peerIdFromString(to.peerId), MPC_PROTOCOL, {
    signal,
  });
  const decoder = new FrameDecoder(1 << 20);
  const frames: Frame[] = [];
  let closed = false;
  stream.addEventListener('message', (e) => {
    try {
      frames.push(...decoder.push(e.data));
    } catch {
      // the other side sends valid frames only
    }
  });
  stream.addEventListener('close', () => {
    closed = true;
  });
  const until = async (cond: () => boolean, what: string): Promise<void> => {
    while (!cond()) {
      if (signal.aborted) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    stream,
    frames,
    send: (b: Uint8Array) => stream.send(b),
    isClosed: () => closed || stream.status !== 'open' || stream.remoteWriteStatus === 'closed',
    until,
  };
}

let root = '';
let peers: Peer[] = [];

test.before(async () => {
  root = tempDir();
  peers = await startPeers(root, 3, AbortSignal.timeout(30_000), () => ({ maxFrameBytes: 1 << 20 }));
});

test.after(async () => {
  await stopAll(peers);
  removeDir(root);
});

test('unknown job, a stranger, and a wrong party list are refused with a reason', async () => {
  const signal = AbortSignal.timeout(30_000);
  const [a, b, c] = peers as [Peer, Peer, Peer];
  const parties = [a.peerId, b.peerId];
  // a and b wait for each other on job-g; only a dials (lower index), b accepts from a only
  const opening = Promise.all([
    a.openSession({ jobId: 'job-g', parties }, { signal }),
    b.openSession({ jobId: 'job-g', parties }, { signal }),
  ]);

  const unknown = await rawStream(c, a, signal);
  unknown.send(encodeHello('job-nobody-knows', 0, 1, 2, partiesDigest([c.peerId, a.peerId])));
  await unknown.until(() => unknown.frames.length > 0 && unknown.isClosed(), 'refusal');
  assert.is(unknown.frames[0]?.kind, 'abort');
  assert.is((unknown.frames[0] as { code: number }).code, ABORT_CODE.unknownJob);

  // c pretends to be party 0 of job-g towards b
  const stranger = await rawStream(c, b, signal);
  stranger.send(encodeHello('job-g', 0, 1, 2, partiesDigest(parties)));
  await stranger.until(() => stranger.frames.length > 0 && stranger.isClosed(), 'refusal');
  assert.is((stranger.frames[0] as { code: number }).code, ABORT_CODE.notAParty);

  const [ca, cb] = await opening; // the genuine session is unaffected
  await ca.send(1, 0, new Uint8Array([7]));
  assert.equal(await cb.recv(0, 0, { signal }), new Uint8Array([7]));
  await Promise.all([ca.close(), cb.close()]);

  // c is a party of job-m with a, but its party list differs from a's
  const mm = a.openSession(
    { jobId: 'job-m', parties: [c.peerId, a.peerId], timeouts: { connectMs: 3_000 } },
    { signal },
  );
  const mismatch = await rawStream(c, a, signal);
  mismatch.send(encodeHello('job-m', 0, 1, 2, partiesDigest([c.peerId, a.peerId, b.peerId]).subarray(0, 32)));
  await mismatch.until(() => mismatch.frames.length > 0, 'refusal');
  assert.is((mismatch.frames[0] as { code: number }).code, ABORT_CODE.partiesMismatch);
  await mm.then(
    () => assert.unreachable(),
    (e: Error) => assert.is(e.name, 'SessionOpenError'),
  );
});

test('garbage and oversized frames close the stream; the node keeps serving', async () => {
  const signal = AbortSignal.timeout(30_000);
  const [a, , c] = peers as [Peer, Peer, Peer];
  const garbage = await rawStream(c, a, signal);
  garbage.send(new Uint8Array([5, 0, 0, 0, 0xee, 1, 2, 3, 4]));
  await garbage.until(() => garbage.isClosed(), 'close after garbage');
  assert.ok(garbage.frames.some((f) => f.kind === 'abort' && f.code === ABORT_CODE.protocolError));

  const huge = await rawStream(c, a, signal);
  huge.send(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
  await huge.until(() => huge.isClosed(), 'close after an oversized length');

  const wrongFirst = await rawStream(c, a, signal);
  wrongFirst.send(encodeData('job-x', 0, new Uint8Array(4)));
  await wrongFirst.until(() => wrongFirst.isClosed(), 'close after a data frame without hello');

  for (let i = 0; i < 20; i++) {
    const s = await rawStream(c, a, signal);
    s.send(new Uint8Array([1, 0, 0, 0, 9]));
  }
  // still serving: a fresh session between a and c works
  const parties = [a.peerId, c.peerId];
  const [x, y] = await Promise.all([
    a.openSession({ jobId: 'job-after', parties }, { signal }),
    c.openSession({ jobId: 'job-after', parties }, { signal }),
  ]);
  await y.send(0, 3, new Uint8Array([1, 2]));
  assert.equal(await x.recv(1, 3, { signal }), new Uint8Array([1, 2]));
  await Promise.all([x.close(), y.close()]);
});

test('inside a session: a foreign, malformed or oversized frame fails it naming the sender', async () => {
  const signal = AbortSignal.timeout(30_000);
  const [a, , c] = peers as [Peer, Peer, Peer];
  const cases: [string, (jobId: string) => Uint8Array][] = [
    ['foreign job id', () => encodeData('another-job', 0, new Uint8Array(8))],
    ['malformed', () => new Uint8Array([3, 0, 0, 0, 0x77, 1, 0x61])],
    ['oversized', (jobId) => encodeData(jobId, 0, new Uint8Array((1 << 20) + 1))],
    [
      'duplicate step',
      (jobId) =>
        new Uint8Array([
          ...encodeData(jobId, 5, new Uint8Array(1)),
          ...encodeData(jobId, 5, new Uint8Array(1)),
        ]),
    ],
    ['hello again', (jobId) => encodeHello(jobId, 0, 1, 2, new Uint8Array(32))],
    [
      'flood of unreceived messages',
      (jobId) => {
        const frames = [10, 11, 12, 13, 14].map((step) => encodeData(jobId, step, new Uint8Array(1 << 20)));
        const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
        frames.reduce((at, f) => (all.set(f, at), at + f.length), 0);
        return all;
      },
    ],
  ];
  for (const [i, [what, makeFrame]] of cases.entries()) {
    const jobId = `job-in-${i}`;
    const frame = makeFrame(jobId);
    const parties = [c.peerId, a.peerId];
    const opening = a.openSession({ jobId, parties }, { signal });
    const s = await rawStream(c, a, signal);
    s.send(encodeHello(jobId, 0, 1, 2, partiesDigest(parties)));
    await s.until(() => s.frames.some((f) => f.kind === 'ready'), 'ready');
    const ch = await opening;
    const waiting = ch.recv(0, 1, { signal }).then(
      () => undefined,
      (e: Error) => e,
    );
    s.send(frame);
    const err = await waiting;
    assert.instance(err, PartyAbortedError, what);
    assert.is((err as PartyAbortedError).party, 0, what);
    await s.until(() => s.isClosed(), `stream closed after ${what}`);
    await ch.close();
  }
});

test.run();
