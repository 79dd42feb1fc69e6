/**
 * The job lifecycle (src/jobs/lifecycle/machine.ts), pure: property tests over random interleavings
 * of approvals, rejections, duplicate, late and lost messages, timeouts, cancellations, session
 * failures and restarts (never an invalid transition, never a final state left, never a session or
 * a release without every approval, every party final once the network settles); typed refusals;
 * and docs/JOBS.md's transition table generated from the code.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { transition } from '../../src/jobs/lifecycle/machine.js';
import { transitionTable, TABLE_BEGIN, TABLE_END } from '../../src/jobs/lifecycle/table.js';
import type { JobView } from '../../src/jobs/lifecycle/types.js';
import { isFinal } from '../../src/jobs/state.js';
import { LifecycleSim, rng } from './helpers/lifecycle-sim.js';

test('random interleavings: invariants hold, and every party ends final', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 1, max: 4 }), fc.boolean(), (seed, k, requesterOwns) => {
      const participants = Array.from({ length: k }, (_, i) => `p${i}`);
      const requester = requesterOwns ? 'p0' : 'r';
      const sim = new LifecycleSim(requester, participants, rng(seed));
      const random = rng(seed ^ 0x5eed);
      for (let i = 0; i < 200 && random() < 0.98; i++) if (!sim.step(true)) break;
      sim.drain();
      for (const [peer, v] of sim.views) {
        assert.ok(isFinal(v.state), `${peer} ended ${v.state}\n${sim.log.slice(-30).join('\n')}`);
      }
    }),
    { numRuns: 600 },
  );
});

test('without faults and with every approval, the job is done everywhere', () => {
  let done = 0;
  for (let seed = 0; seed < 200; seed++) {
    const sim = new LifecycleSim('r', ['a', 'b', 'c'], rng(seed));
    sim.drain();
    const states = [...sim.views.values()].map((v) => v.state);
    const approvedAll = [...sim.views.values()].every((v) =>
      Object.values(v.approvals).every((a) => a.decision === 'approved'),
    );
    if (approvedAll) {
      assert.equal(new Set(states), new Set(['done']), sim.log.join('\n'));
      done++;
    } else assert.ok(states.every((s) => s !== 'done'));
  }
  assert.ok(done > 20, `${done} of 200 schedules approved by all`);
});

const base: JobView = {
  id: 'j1',
  self: 'a',
  requester: 'r',
  participants: ['a', 'b'],
  side: 'participant',
  state: 'proposed',
  approvals: { a: { decision: 'pending' } },
  expires: 1000,
};

test('refusals are typed errors naming the job, the state and the event; nothing changes', () => {
  const cases: [Partial<JobView>, Parameters<typeof transition>[1], string, RegExp][] = [
    [{}, { type: 'start', from: 'mallory', attempt: 0 }, 'JobFailedError', /only the requester starts/],
    [{}, { type: 'start', from: 'r', attempt: 0 }, 'JobFailedError', /not approved on a/],
    [
      { state: 'done' },
      { type: 'cancel', reason: 'x' },
      'InvalidTransitionError',
      /job j1 cannot go from done to cancelled/,
    ],
    [
      { state: 'running' },
      { type: 'decide', decision: 'approved', reason: '' },
      'InvalidTransitionError',
      /running \(pending\)/,
    ],
    [
      {},
      { type: 'end', from: 'b', state: 'failed', reason: 'x' },
      'JobFailedError',
      /only the requester ends/,
    ],
    [
      { side: 'requester', self: 'r', approvals: { a: { decision: 'pending' }, b: { decision: 'pending' } } },
      { type: 'approval', peer: 'mallory', approval: { decision: 'approved' } },
      'JobFailedError',
      /mallory is not a participant/,
    ],
    [{}, { type: 'proposals-answered' }, 'InvalidTransitionError', /requester only/],
  ];
  for (const [patch, event, name, message] of cases) {
    const view = { ...base, ...patch };
    const t = transition(view, event, 0);
    assert.is(t.error?.name, name, event.type);
    assert.match(t.error!.message, message);
    assert.equal(t.effects, [], `${event.type}: no effect`);
    assert.is(t.view.state, view.state);
  }
});

test('late and duplicate messages change nothing', () => {
  const done: JobView = { ...base, state: 'done', approvals: { a: { decision: 'approved' } } };
  for (const event of [
    { type: 'end', from: 'r', state: 'failed', reason: 'late' } as const,
    { type: 'session-failed', attempt: 0, message: 'late', retryable: true } as const,
    { type: 'session-done', attempt: 0 } as const,
    { type: 'tick' } as const,
    { type: 'restarted' } as const,
  ]) {
    const t = transition(done, event, 5000);
    assert.equal([t.effects, t.view.state, t.error], [[], 'done', undefined], event.type);
  }
  const running: JobView = {
    ...base,
    state: 'running',
    attempt: 1,
    approvals: { a: { decision: 'approved' } },
  };
  assert.equal(transition(running, { type: 'start', from: 'r', attempt: 1 }, 0).effects, []); // a duplicate restart
  assert.equal(transition(running, { type: 'session-done', attempt: 0 }, 0).effects, []); // a superseded attempt
});

test('a peer that restarted mid-job fails it and tells the others at once, blaming itself', () => {
  const running: JobView = {
    ...base,
    state: 'running',
    attempt: 0,
    approvals: { a: { decision: 'approved' } },
  };
  const p = transition(running, { type: 'restarted' }, 0);
  assert.is(p.view.state, 'failed');
  const toRequester = p.effects.find((e) => e.kind === 'send');
  assert.equal(toRequester, {
    kind: 'send',
    to: 'r',
    message: {
      type: 'end',
      jobId: 'j1',
      state: 'failed',
      reason: 'failed on a: the peer restarted while the job was in progress',
      party: 'a',
    },
    onFailure: 'log',
  });
  const requester: JobView = {
    ...running,
    self: 'r',
    side: 'requester',
    approvals: { a: { decision: 'approved' }, b: { decision: 'approved' } },
  };
  const r = transition(requester, { type: 'restarted' }, 0);
  assert.equal(
    r.effects
      .filter((e) => e.kind === 'send')
      .map((e) => (e.kind === 'send' ? `${e.to}:${e.message.type}` : '')),
    ['a:end', 'b:end'],
  );
});

test('docs/JOBS.md holds the transition table generated from the code', () => {
  const doc = readFileSync(new URL('../../docs/JOBS.md', import.meta.url), 'utf8');
  const a = doc.indexOf(TABLE_BEGIN);
  const b = doc.indexOf(TABLE_END);
  assert.ok(a >= 0 && b > a, 'markers present (npm run docs:lifecycle writes the table)');
  assert.fixture(doc.slice(a, b + TABLE_END.length), transitionTable());
});

test.run();
