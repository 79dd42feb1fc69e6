/**
 * The API's job events stay bounded: an ended job keeps its states and decisions and only its last
 * progress event; pruned jobs' events are dropped (they were kept for the life of the daemon).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JobEvents, MAX_EVENTS_PER_JOB } from '../../src/jobs/service/events.js';

test('an ended job keeps its states, decisions and last progress; forget drops pruned jobs', () => {
  const ev = new JobEvents();
  ev.emit({ job: 'a', type: 'state', state: 'proposed' });
  ev.emit({ job: 'a', type: 'decision', decision: { peer: 'p', decision: 'approved' } });
  for (let i = 0; i < 2 * MAX_EVENTS_PER_JOB; i++)
    ev.emit({ job: 'a', type: 'progress', progress: { done: i, total: 1000, phase: 'compute' } });
  assert.is(ev.since('a').length, MAX_EVENTS_PER_JOB, 'bounded while running');
  ev.emit({ job: 'a', type: 'state', state: 'done' });
  const kept = ev.since('a');
  assert.equal(
    kept.map((e) => e.type),
    ['progress', 'state'],
    'the oldest (state, decision) had already rotated out; one progress, the final state',
  );
  assert.is(kept[0]!.progress!.done, 2 * MAX_EVENTS_PER_JOB - 1);
  ev.emit({ job: 'b', type: 'state', state: 'proposed' });
  ev.emit({ job: 'b', type: 'progress', progress: { done: 1, total: 2, phase: 'input' } });
  ev.emit({ job: 'b', type: 'progress', progress: { done: 2, total: 2, phase: 'output' } });
  ev.emit({ job: 'b', type: 'state', state: 'failed', reason: 'x' });
  assert.equal(
    ev.since('b').map((e) => `${e.type}:${e.state ?? e.progress?.done}`),
    ['state:proposed', 'progress:2', 'state:failed'],
  );
  assert.is(ev.jobCount, 2);
  ev.forget(['a']);
  assert.is(ev.jobCount, 1);
  assert.equal(ev.since('a'), []);
});

test.run();
