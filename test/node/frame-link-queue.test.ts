/**
 * FrameLink's bound on what its stream holds unsent: a send past MAX_QUEUED_BYTES asks the caller
 * to wait even when the stream says it can take more (Yamux takes a message past its window by
 * reference), and the wait ends at the stream's progress below the bound, or with the stream's
 * close or the caller's abort. The stream is this unit's neighbour, faked.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Stream } from '@libp2p/interface';
import { FrameLink, MAX_QUEUED_BYTES } from '../../src/node/mpc/frame-link.js';
import { FakeStream, silentLog } from './fake-stream.js';

const MiB = 1 << 20;

function link(): { s: FakeStream; l: FrameLink } {
  const s = new FakeStream();
  return { s, l: new FrameLink(s as unknown as Stream, 'peer', 64 * MiB, silentLog) };
}

/** Whether `p` settled within a few turns of the event loop. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

test('a send within the bound goes on; past it the caller is asked to wait', () => {
  const { s, l } = link();
  assert.ok(l.send(new Uint8Array(8)));
  s.writeBufferLength = MAX_QUEUED_BYTES;
  assert.ok(l.send(new Uint8Array(8)));
  s.writeBufferLength = MAX_QUEUED_BYTES + 1;
  assert.not.ok(l.send(new Uint8Array(8)));
});

test('the wait ends when progress brings the queue within the bound, not before', async () => {
  const { s, l } = link();
  s.writeBufferLength = 48 * MiB;
  const waiting = l.drain({});
  assert.not.ok(await settled(waiting), 'waits while 48 MiB are queued');
  s.writeBufferLength = 40 * MiB;
  s.emit('drain', {});
  assert.not.ok(await settled(waiting), 'still past the bound after some progress');
  s.writeBufferLength = 0;
  s.emit('idle', {});
  assert.ok(await settled(waiting), 'ends once the queue emptied');
  await waiting;
});

test("the wait ends with the stream's close or the caller's abort", async () => {
  const a = link();
  a.s.writeBufferLength = 48 * MiB;
  const closed = a.l.drain({});
  await a.s.close();
  await closed.then(
    () => assert.unreachable('resolved'),
    (e: Error) => assert.match(e.message, /closed/),
  );
  const b = link();
  b.s.writeBufferLength = 48 * MiB;
  const ctl = new AbortController();
  const aborted = b.l.drain({ signal: ctl.signal });
  ctl.abort(new Error('session failed'));
  await aborted.then(
    () => assert.unreachable('resolved'),
    (e: Error) => assert.match(e.message, /session failed/),
  );
});

test.run();
