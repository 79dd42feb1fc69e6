/**
 * A slow receiver back-pressures the sender: while a party's process is stopped (SIGSTOP, so it
 * reads nothing), a 48 MiB message to it is encrypted and queued only as far as Yamux's window and
 * the socket's buffers allow (the sender holds a bounded amount beyond the message itself; the
 * send may resolve once the stream has taken the message, which it references without copying);
 * once the receiver runs again the message arrives intact and the session completes on both
 * sides. Real peers, real processes.
 *
 * A receiver that stays stopped past the step timeout (frozen, or cut off by a connection that died
 * without a reset) fails the blocked send with a SendTimeoutError naming it, instead of leaving the
 * sender waiting for TCP's own timeout; and a send held that way ends with the session's error
 * when the session fails meanwhile.
 */
import '../../src/polyfills.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createPeer } from '../../src/node/peer.js';
import { SendTimeoutError } from '../../src/node/mpc/drain-watch.js';
import { ChannelClosedError } from '../../src/protocols/channel.js';
import { removeDir, tempDir, testInit } from './net-helpers.js';
import { start, type Child } from './party-child.js';

const MiB = 1 << 20;

/** Bytes held by ArrayBuffers in this process (after a full GC when exposed). */
function arrayBufferBytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().arrayBuffers;
}

/**
 * Sends `big` at steps 0, 1, ... until a send fails or stays pending for a second (held: the
 * stream and the socket took all they can). The muxer's drain wakes every stream, so a send can be
 * let through early; the stream then holds the message by reference (no copy), so the loop costs
 * no memory per send. At most 64 sends.
 */
async function sendUntilHeld(
  ch: { send(to: number, step: number, payload: Uint8Array): Promise<void> },
  big: Uint8Array,
): Promise<{ held?: Promise<void>; error?: Error }> {
  for (let step = 0; step < 64; step++) {
    const sending = ch.send(1, step, big);
    const outcome = await Promise.race([
      sending.then(
        () => 'sent' as const,
        (e: Error) => e,
      ),
      new Promise<'held'>((r) => setTimeout(r, 1_000, 'held')),
    ]);
    if (outcome === 'held') return { held: sending };
    if (outcome !== 'sent') return { error: outcome };
  }
  throw new Error('64 sends of 48 MiB to a stopped receiver all went through');
}

test('a stopped receiver holds the sender back; nothing is lost when it resumes', async () => {
  const signal = AbortSignal.timeout(120_000);
  const root = tempDir();
  let child: Child | undefined;
  const sender = await createPeer(testInit(join(root, 'sender'), { maxFrameBytes: 64 * MiB }));
  try {
    child = start(join(root, 'receiver'), sender.multiaddrs()[0]);
    const ready = await child.next((m) => m.ready === true, signal);
    const parties = [sender.peerId, ready.peerId as string];
    // the child sends 8 bytes and waits for our message, one step
    child.send({ cmd: 'session', jobId: 'job-bp', parties, steps: 1, stepMs: 60_000, bytes: 8 });
    const ch = await sender.openSession({ jobId: 'job-bp', parties, timeouts: { stepMs: 60_000 } });
    const big = new Uint8Array(48 * MiB).fill(7);
    const before = arrayBufferBytes();
    child.proc.kill('SIGSTOP');
    const sending = ch.send(1, 0, big);
    await new Promise((r) => setTimeout(r, 1500));
    const held = arrayBufferBytes() - before;
    assert.ok(held < 32 * MiB, `the sender buffered ${(held / MiB).toFixed(1)} MiB of a 48 MiB message`);
    child.proc.kill('SIGCONT');
    await sending;
    const theirs = await ch.recv(1, 0, { signal });
    assert.equal([...theirs], new Array(8).fill(2));
    const done = await child.next(
      (m) => m.done === 'job-bp' || (m.jobId === 'job-bp' && m.error !== undefined),
      signal,
    );
    assert.equal(done, { done: 'job-bp', sum: 7 });
    await ch.close();
  } finally {
    if (child !== undefined && child.proc.exitCode === null) child.proc.kill('SIGKILL');
    await sender.stop();
    removeDir(root);
  }
});

type Session = Awaited<ReturnType<Awaited<ReturnType<typeof createPeer>>['openSession']>>;

/**
 * Opens a two-party session with a receiver in a child process (both with `stepMs`), stops the
 * receiver (SIGSTOP), runs `body` on the sender's channel, and cleans up whatever happened.
 */
async function withStoppedReceiver(
  jobId: string,
  stepMs: number,
  body: (ch: Session) => Promise<void>,
): Promise<void> {
  const signal = AbortSignal.timeout(120_000);
  const root = tempDir();
  let child: Child | undefined;
  const sender = await createPeer(testInit(join(root, 'sender'), { maxFrameBytes: 64 * MiB }));
  try {
    child = start(join(root, 'receiver'), sender.multiaddrs()[0]);
    const ready = await child.next((m) => m.ready === true, signal);
    const parties = [sender.peerId, ready.peerId as string];
    child.send({ cmd: 'session', jobId, parties, steps: 1, stepMs, bytes: 8 });
    const ch = await sender.openSession({ jobId, parties, timeouts: { stepMs } });
    child.proc.kill('SIGSTOP');
    await body(ch);
    await ch.close();
  } finally {
    if (child !== undefined && child.proc.exitCode === null) {
      child.proc.kill('SIGCONT');
      child.proc.kill('SIGKILL');
    }
    await sender.stop();
    removeDir(root);
  }
}

test('a send blocked on a receiver that stays silent past the step timeout fails, naming it', () =>
  withStoppedReceiver('job-frozen', 2_000, async (ch) => {
    const { held, error } = await sendUntilHeld(ch, new Uint8Array(48 * MiB).fill(7));
    const err =
      error ??
      (await held!.then(
        () => undefined,
        (e: Error) => e,
      ));
    assert.ok(err instanceof SendTimeoutError, `the send failed with ${err?.name}: ${err?.message}`);
    assert.is(err.name, 'SendTimeoutError');
    assert.is(err.party, 1);
    assert.match(err.message, new RegExp(`party 1 took no more of step ${err.step}`));
  }));

// a step timeout far beyond the test's wait: only the session's failure can end the send
test('a send held by a stopped receiver ends with the session when the session fails meanwhile', () =>
  withStoppedReceiver('job-held', 60_000, async (ch) => {
    const { held, error } = await sendUntilHeld(ch, new Uint8Array(48 * MiB).fill(7));
    assert.is(error, undefined, `a send failed before the abort: ${error?.message}`);
    ch.abort(new Error('the job was cancelled'));
    // a hang detector far inside the 60 s step timeout: only the session's failure ends the send
    const err = await Promise.race([
      held!.then(
        () => undefined,
        (e: Error) => e,
      ),
      new Promise<string>((r) => setTimeout(r, 30_000, 'still held 30 s after the abort').unref()),
    ]);
    assert.ok(err instanceof ChannelClosedError, String(err));
    assert.match(err.message, /the job was cancelled/);
  }));

test.run();
