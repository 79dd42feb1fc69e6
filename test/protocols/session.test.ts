/**
 * Channels, sessions and simulate: step tagging, counters, link shaping, abort propagation, step
 * and session timeouts, and the pairwise PRG seeds of the x25519 setup.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PartyAbortedError, StepTimeoutError } from '../../src/protocols/channel.js';
import { createMemoryChannels } from '../../src/protocols/memory-channel.js';
import { createSession, SessionTimeoutError } from '../../src/protocols/session-impl.js';
import { simulate, SimulationError } from '../../src/protocols/simulate.js';

const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);

test('memory channel: messages are keyed by step and sender, whenever they arrive; counters', async () => {
  const [a, b, c] = createMemoryChannels(3);
  await a!.send(1, 7, bytes(7));
  await a!.send(1, 3, bytes(3, 3));
  await c!.send(1, 3, bytes(33));
  const late = b!.recv(0, 9);
  assert.equal([...(await b!.recv(0, 3))], [3, 3]);
  assert.equal([...(await b!.recv(2, 3))], [33]);
  assert.equal([...(await b!.recv(0, 7))], [7]);
  await a!.send(1, 9, bytes(9));
  assert.equal([...(await late)], [9]);
  assert.equal(a!.stats.sent[1], { bytes: 4, messages: 3 });
  assert.equal(b!.stats.received[0], { bytes: 4, messages: 3 });
  assert.equal(b!.stats.received[2], { bytes: 1, messages: 1 });
  await assert.not.throws(() => undefined);
  await a!.send(1, 1, bytes(1));
  let dup: unknown;
  await a!.send(1, 1, bytes(2)).catch((e: unknown) => (dup = e));
  assert.instance(dup, RangeError, 'a second message for the same step is refused');
  let self: unknown;
  await a!.send(0, 1, bytes(1)).catch((e: unknown) => (self = e));
  assert.instance(self, RangeError);
});

test('memory channel: latency and bandwidth shaping delay delivery', async () => {
  const [a, b] = createMemoryChannels(2, { link: { latencyMs: 40, bandwidthBytesPerS: 100_000 } });
  const t0 = performance.now();
  await a!.send(1, 1, new Uint8Array(5_000)); // 50 ms on the wire + 40 ms latency
  await a!.send(1, 2, new Uint8Array(5_000)); // queued behind the first: +50 ms
  await b!.recv(0, 1);
  const first = performance.now() - t0;
  await b!.recv(0, 2);
  const second = performance.now() - t0;
  assert.ok(first >= 85, `first message after ${first.toFixed(0)} ms (expected >= 90)`);
  assert.ok(second >= 135, `second message after ${second.toFixed(0)} ms (expected >= 140)`);
  const [c, d] = createMemoryChannels(2, { shape: (from) => (from === 0 ? { latencyMs: 30 } : undefined) });
  const t1 = performance.now();
  await d!.send(0, 1, bytes(1));
  await c!.recv(1, 1);
  assert.ok(performance.now() - t1 < 25, 'the unshaped direction is immediate');
  await c!.send(1, 1, bytes(1));
  await d!.recv(0, 1);
  assert.ok(performance.now() - t1 >= 28, 'the shaped direction waits');
});

test('memory channel: abort rejects pending and future receives everywhere, naming the party', async () => {
  const [a, b, c] = createMemoryChannels(3);
  const pendingB = b!.recv(2, 5);
  const pendingA = a!.recv(1, 5);
  c!.abort(new Error('disk on fire'));
  for (const p of [pendingB, pendingA, a!.recv(1, 6)]) {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.instance(e, PartyAbortedError);
    assert.is((e as PartyAbortedError).party, 2);
    assert.match((e as Error).message, /party 2 aborted.*disk on fire/);
  }
  assert.ok(a!.signal.aborted && b!.signal.aborted && c!.signal.aborted);
});

test('session: pairwise PRGs agree between the two parties and differ across pairs and sessions', async () => {
  const draw = (id: string) =>
    simulate(
      3,
      async (s) =>
        [0, 1, 2].map((peer) =>
          peer === s.self ? '' : Buffer.from(s.pairPrg(peer).bytes(16)).toString('hex'),
        ),
      { id },
    );
  const r1 = await draw('job-a');
  const r2 = await draw('job-a');
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) if (i !== j) assert.is(r1[i]![j], r1[j]![i], `pair (${i},${j}) agrees`);
  }
  const streams = new Set([r1[0]![1], r1[0]![2], r1[1]![2], r2[0]![1], r2[0]![2], r2[1]![2]]);
  assert.is(streams.size, 6, 'fresh ephemeral keys: every pair and every session has its own stream');
  const own = await simulate(2, async (s) => Buffer.from(s.ownPrg().bytes(16)).toString('hex'));
  assert.is.not(own[0], own[1]);
});

test('session: a silent peer makes recv reject with StepTimeoutError naming it, and aborts the peers', async () => {
  const chans = createMemoryChannels(3);
  const sessions = await Promise.all(
    chans.map((channel) => createSession({ id: 't', channel, timeouts: { stepMs: 150 } })),
  );
  const t0 = performance.now();
  const step = sessions[0]!.nextStep();
  const e = await sessions[0]!.recv(2, step).catch((err: unknown) => err);
  assert.instance(e, StepTimeoutError);
  assert.is((e as StepTimeoutError).party, 2);
  assert.is((e as StepTimeoutError).step, step);
  assert.ok(performance.now() - t0 < 1000);
  const e1 = await sessions[1]!.recv(0, step).catch((err: unknown) => err);
  assert.instance(e1, PartyAbortedError);
  assert.match((e1 as Error).message, /party 2 sent nothing for step/);
  for (const s of sessions) await s.close();
});

test('session: the session timeout and an outside AbortSignal abort every party', async () => {
  const err = await simulate(
    2,
    (s) => new Promise((_, reject) => s.signal.addEventListener('abort', () => reject(s.signal.reason))),
    {
      timeouts: { sessionMs: 100 },
    },
  ).catch((e: unknown) => e);
  assert.instance(err, SimulationError);
  assert.ok((err as SimulationError).errors.some((e) => e instanceof SessionTimeoutError));
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('user cancelled')), 50);
  const err2 = await simulate(
    2,
    async (s) => {
      const step = s.nextStep();
      await s.recv(1 - s.self, step);
    },
    { signal: ac.signal },
  ).catch((e: unknown) => e);
  assert.instance(err2, SimulationError);
  assert.ok(
    (err2 as SimulationError).errors.every((e) => e !== undefined && /user cancelled/.test(e.message)),
  );
});

test('simulate: results in party order; a throwing party is the culprit and every peer names it', async () => {
  assert.equal(await simulate(4, async (s) => s.self * 10), [0, 10, 20, 30]);
  const err = await simulate(
    3,
    async (s) => {
      const step = s.nextStep();
      if (s.self === 1) throw new Error('boom');
      await s.recv(1, step);
    },
    { timeouts: { stepMs: 5_000 } },
  ).catch((e: unknown) => e);
  assert.instance(err, SimulationError);
  const se = err as SimulationError;
  assert.is(se.culprit, 1);
  assert.match(se.message, /party 1/);
  for (const q of [0, 2]) assert.match(se.errors[q]!.message, /party 1 aborted the session.*boom.*step \d+/);
});

test('many messages in flight on one session raise no listener warning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w.name);
  };
  process.on('warning', onWarning);
  try {
    await simulate(2, async (s) => {
      const steps = Array.from({ length: 32 }, () => s.nextStep());
      const other = 1 - s.self;
      await Promise.all([
        ...steps.map((k) => s.send(other, k, new Uint8Array([k & 0xff]))),
        ...steps.map((k) => s.recv(other, k)),
      ]);
    });
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    assert.equal(warnings, []);
  } finally {
    process.off('warning', onWarning);
  }
});

test.run();
