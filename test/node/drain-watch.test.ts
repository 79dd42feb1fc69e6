/**
 * drainWatched: a send's wait for its stream to drain, bounded by the receiver's liveness verdict
 * (the stream is this unit's neighbour, faked: a drain that resolves or rejects when told).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { drainWatched, SendTimeoutError } from '../../src/node/mpc/drain-watch.js';
import type { LivenessVerdict } from '../../src/node/mpc/liveness.js';

/** A drain that waits until `release()` or its signal aborts. */
function fakeDrain(): { drain: (o: { signal: AbortSignal }) => Promise<void>; release: () => void } {
  let release = (): void => {};
  return {
    drain: ({ signal }) =>
      new Promise<void>((resolve, reject) => {
        release = resolve;
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      }),
    release: () => release(),
  };
}

test('a receiver that stays heard from is waited for; the send resolves when the stream drains', async () => {
  const d = fakeDrain();
  let checks = 0;
  const verdict = (): LivenessVerdict => (checks++, { kind: 'wait', ms: 5 });
  const waiting = drainWatched({ drain: d.drain, verdict }, 1, 3);
  await new Promise((r) => setTimeout(r, 40));
  d.release();
  await waiting;
  assert.ok(checks >= 2, 'the verdict was asked again while waiting');
  const after = checks;
  await new Promise((r) => setTimeout(r, 30));
  assert.is(checks, after, 'no timer is left behind');
});

test('a silent receiver fails the send with a SendTimeoutError naming party and step', async () => {
  const d = fakeDrain();
  const verdicts: LivenessVerdict[] = [{ kind: 'wait', ms: 5 }];
  const verdict = (): LivenessVerdict => verdicts.shift() ?? { kind: 'silent', ms: 2000 };
  const err = await drainWatched({ drain: d.drain, verdict }, 2, 7).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err instanceof SendTimeoutError);
  assert.is(err.name, 'SendTimeoutError');
  assert.is(err.party, 2);
  assert.is(err.step, 7);
  assert.match(
    err.message,
    /party 2 took no more of step 7 and sent nothing, not even a keep-alive, for 2000 ms/,
  );
});

test('a receiver alive but stuck is named as stalled', async () => {
  const d = fakeDrain();
  const err = await drainWatched(
    { drain: d.drain, verdict: () => ({ kind: 'stalled', ms: 300 }) },
    1,
    0,
  ).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err instanceof SendTimeoutError);
  assert.match(err.message, /made no progress for 300 ms/);
});

test('the verdict is decided once more after pending I/O: a keep-alive read in between saves the send', async () => {
  const d = fakeDrain();
  let heard = false;
  // the first verdict says silent; before the final check, I/O (a keep-alive) arrives
  setImmediate(() => (heard = true));
  let n = 0;
  const verdict = (): LivenessVerdict => {
    n++;
    if (n === 1) return { kind: 'silent', ms: 100 };
    return heard ? { kind: 'wait', ms: 5 } : { kind: 'silent', ms: 100 };
  };
  const waiting = drainWatched({ drain: d.drain, verdict }, 1, 0);
  await new Promise((r) => setTimeout(r, 20));
  d.release();
  await waiting;
});

test("a caller's signal aborts the wait with the caller's reason", async () => {
  const d = fakeDrain();
  const ac = new AbortController();
  const waiting = drainWatched(
    { drain: d.drain, verdict: () => ({ kind: 'wait', ms: 1000 }) },
    1,
    0,
    ac.signal,
  );
  const reason = new Error('the job was cancelled');
  ac.abort(reason);
  const err = await waiting.then(
    () => undefined,
    (e: Error) => e,
  );
  assert.is(err, reason);
});

test('a signal already aborted fails at once, without waiting or asking for a verdict', async () => {
  let asked = false;
  const reason = new Error('the session failed');
  const err = await drainWatched(
    {
      drain: () => new Promise<void>(() => {}),
      verdict: () => ((asked = true), { kind: 'wait', ms: 1000 }),
    },
    1,
    0,
    AbortSignal.abort(reason),
  ).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.is(err, reason);
  assert.is(asked, false);
});

test.run();
