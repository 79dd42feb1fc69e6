/**
 * Bounds and quotas of the job service, unit by unit: bounded outside text, the proposal quota,
 * the incremental replay guard (appends, compaction, a torn last line, a legacy seen.json, typed
 * errors for corrupt files) and typed errors for a jobs config that is not an object.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JobReplayError, QuotaExceededError, ReplayFileError } from '../../src/jobs/errors.js';
import type { SignedJob } from '../../src/jobs/job/types.js';
import { ReplayGuard } from '../../src/jobs/replay.js';
import { JobStore } from '../../src/jobs/store.js';
import { loadJobsConfig } from '../../src/jobs/service/config.js';
import { parseMessage, parseReply } from '../../src/jobs/service/messages.js';
import { ProposalQuota } from '../../src/jobs/service/quota.js';
import { boundText, quoted } from '../../src/util/bound.js';

const id = (i: number): string => i.toString(16).padStart(32, '0');

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'peermpc-limits-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('outside text is bounded, saying how much was cut', () => {
  assert.is(boundText('abc'), 'abc');
  const b = boundText('y'.repeat(5000));
  assert.ok(b.length < 260 && b.endsWith('…(4800 more characters)'), b.slice(-40));
  assert.is(quoted('a"b'), '"a\\"b"');
  const reply = parseReply({ ok: false, error: { name: 'N'.repeat(1000), message: 'm'.repeat(1e6) } });
  assert.ok(!reply.ok && reply.error.name.length < 100 && reply.error.message.length < 1300);
  assert.equal(parseReply(null), { ok: false, error: { name: 'Error', message: 'malformed reply' } });
  const end = parseMessage({
    type: 'end',
    jobId: id(1),
    state: 'failed',
    reason: 'r'.repeat(1e5),
    party: 'p'.repeat(1e5),
  });
  assert.ok(end.type === 'end' && end.reason.length < 300 && end.party!.length < 120);
});

test('proposal quota: a sliding minute per peer, pending per requester and in all', () => {
  const q = new ProposalQuota({ proposalsPerMinute: 3, pendingPerRequester: 2, pendingTotal: 5 });
  for (let i = 0; i < 3; i++) q.admit('a', 1000 + i);
  assert.throws(
    () => q.admit('a', 2000),
    (e: unknown) => e instanceof QuotaExceededError && e.quota === 'proposals-per-minute',
  );
  q.admit('b', 2000); // another peer has its own window
  q.admit('a', 61_001); // the first has left the window
  q.checkPending(1, 4);
  assert.throws(() => q.checkPending(2, 2), /pending-per-requester/);
  assert.throws(() => q.checkPending(0, 5), /pending-total/);
});

test('replay guard: one line per claim, compaction, restart, a torn last line, a replay', () =>
  withDir((dir) => {
    const g = new ReplayGuard(dir);
    const far = new Date(Date.now() + 86_400_000);
    for (let i = 0; i < 10; i++) g.claim(id(i), far);
    const log = join(dir, 'seen.log');
    assert.is(readFileSync(log, 'utf8').trim().split('\n').length, 10);
    appendFileSync(log, id(99).slice(0, 10)); // a crash in the middle of an append
    const again = new ReplayGuard(dir);
    assert.is(again.size, 10);
    assert.throws(
      () => again.claim(id(3), far),
      (e: unknown) => e instanceof JobReplayError,
    );
    again.claim(id(99), far); // the torn id was never claimed
    assert.ok(readFileSync(log, 'utf8').endsWith(`${id(99)} ${far.getTime()}\n`));
    // expired ids are dropped; once half the lines are stale the file is rewritten
    const past = new Date(Date.now() - 10 * 3_600_000);
    const h = new ReplayGuard(join(dir, 'h'));
    for (let i = 0; i < 70; i++) h.claim(id(1000 + i), past);
    h.claim(id(5000), far);
    assert.ok(
      readFileSync(join(dir, 'h', 'seen.log'), 'utf8')
        .trim()
        .split('\n').length < 70,
    );
  }));

test('replay guard: a legacy seen.json is folded in; corrupt files are typed errors', () =>
  withDir((dir) => {
    const exp = Date.now() + 86_400_000;
    writeFileSync(join(dir, 'seen.json'), JSON.stringify({ seen: [[id(7), exp]] }));
    const g = new ReplayGuard(dir);
    assert.ok(g.has(id(7)));
    assert.not.ok(existsSync(join(dir, 'seen.json')));
    writeFileSync(join(dir, 'seen.log'), `${id(1)} 5\nnot a line\n`);
    assert.throws(
      () => new ReplayGuard(dir),
      (e: unknown) => e instanceof ReplayFileError && e.line === 2,
    );
    rmSync(join(dir, 'seen.log'));
    for (const bad of ['null', '{bad', '{"seen": [[1, 2]]}']) {
      writeFileSync(join(dir, 'seen.json'), bad);
      assert.throws(
        () => new ReplayGuard(dir),
        (e: unknown) => e instanceof ReplayFileError,
        bad,
      );
    }
  }));

test('jobs config: null, an array or bad quotas are typed errors naming the file', () =>
  withDir((dir) => {
    for (const bad of [
      'null',
      '[]',
      '{"quotas": 3}',
      '{"quotas": {"pendingTotal": -1}}',
      '{"quotas": {"nope": 1}}',
    ]) {
      writeFileSync(join(dir, 'config.json'), bad);
      assert.throws(
        () => loadJobsConfig(dir),
        (e: unknown) => e instanceof TypeError && /config\.json/.test(String(e)),
        bad,
      );
    }
    writeFileSync(join(dir, 'config.json'), '{"quotas": {"pendingTotal": 7}}');
    assert.is(loadJobsConfig(dir).quotas.pendingTotal, 7);
    assert.is(loadJobsConfig(dir).quotas.proposalsPerMinute, 600);
  }));

test('retention: records of jobs that ended before the cutoff are deleted, live ones kept', () =>
  withDir((dir) => {
    const store = new JobStore(dir);
    const signed = (i: number) =>
      ({ job: { id: id(i), created: new Date().toISOString() } }) as unknown as SignedJob;
    for (const i of [1, 2, 3]) store.create(signed(i), ['owner'], {}, 3);
    store.transition(id(1), 'rejected', 'no');
    store.transition(id(2), 'approved');
    const later = new Date(Date.now() + 60_000);
    assert.equal(store.prune(later), [id(1)]); // 2 and 3 are not final
    assert.is(store.find(id(1)), undefined);
    assert.equal(
      new JobStore(dir)
        .list()
        .map((r) => r.id)
        .sort(),
      [id(2), id(3)],
    );
    assert.equal(store.prune(new Date(0)), []);
  }));

test.run();
