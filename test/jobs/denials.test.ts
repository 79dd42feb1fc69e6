/**
 * Throttled records of refused attempts: a flood under many peer ids costs a bounded number of
 * audit entries and daemon lines per window, and nothing goes uncounted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeniedAttempt } from '../../src/node/denials.js';
import { failureText, isDeniedReply, DENIED_REPLY } from '../../src/node/denials.js';
import { AttemptThrottle, attemptReportText } from '../../src/util/attempt-throttle.js';
import type { AuditEvent } from '../../src/jobs/audit/events.js';
import { auditEventProblem } from '../../src/jobs/audit/events.js';
import { auditDenials } from '../../src/jobs/service/denials.js';

test('throttle: first of each (peer, what) reported, then counted; the summary opens the next window', () => {
  const th = new AttemptThrottle({ windowMs: 1000, maxReports: 2 });
  assert.equal(th.note('p1', 'connection', 0), [{ kind: 'attempt', peer: 'p1', what: 'connection' }]);
  assert.equal(th.note('p1', 'connection', 10), []);
  assert.equal(th.note('p1', '/peermpc/jobs/2.0.0', 20), [
    { kind: 'attempt', peer: 'p1', what: '/peermpc/jobs/2.0.0' },
  ]);
  assert.equal(th.note('p2', 'connection', 30), []); // over the budget
  assert.equal(th.note('p3', 'connection', 1000), [
    { kind: 'summary', attempts: 2, peers: 2, windowMs: 1000 },
    { kind: 'attempt', peer: 'p3', what: 'connection' },
  ]);
  assert.is(th.flush(), undefined);
  assert.match(
    attemptReportText({ kind: 'attempt', peer: 'p', what: 'connection' }),
    /denied a connection from p/,
  );
  assert.match(
    attemptReportText({ kind: 'summary', attempts: 5, peers: 3, windowMs: 60_000 }),
    /5 more attempt\(s\) from 3 peer\(s\) in 1 min/,
  );
});

test('audit: 10,000 refusals under 10,000 peer ids make at most 21 valid entries; stop records the rest', () => {
  const events: AuditEvent[] = [];
  let listener: ((a: DeniedAttempt) => void) | undefined;
  const stop = auditDenials(
    (l) => {
      listener = l;
      return () => (listener = undefined);
    },
    (e) => events.push(e),
  );
  const time = new Date();
  for (let i = 0; i < 10_000; i++) listener!({ peer: `peer${i}`, what: 'connection', time });
  assert.is(events.length, 20);
  stop();
  assert.is(listener, undefined, 'unsubscribed');
  assert.is(events.length, 21);
  assert.equal(events[0], { type: 'access.denied', peer: 'peer0', reason: 'connection' });
  assert.match(events[20]!.reason!, /^9980 more refusal\(s\) of 9980 peer\(s\) in 60 min/);
  for (const e of events) assert.is(auditEventProblem(e), undefined);
});

test('a denied reply is recognised; failure texts never say undefined', () => {
  assert.ok(isDeniedReply(JSON.parse(JSON.stringify(DENIED_REPLY))));
  assert.not.ok(isDeniedReply({ ok: false }));
  assert.not.ok(isDeniedReply(null));
  assert.match(failureText({ type: 'close', local: false }), /closed the stream before answering/);
  assert.match(failureText(new Error('Remote closed connection during opening')), /access lists may deny/);
  assert.is(failureText(Object.assign(new Error(''), { name: 'StreamResetError' })), 'StreamResetError');
  assert.is(failureText(undefined), 'unknown error');
});

test.run();
