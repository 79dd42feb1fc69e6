/** The hash-chained audit log (verify catches edits, deletions, reorders) and the job state machine. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auditSignerFromKey, type AuditSigner } from '../../src/jobs/audit/keys.js';
import { AuditLog } from '../../src/jobs/audit/log.js';
import { InvalidTransitionError } from '../../src/jobs/errors.js';
import { canTransition, isFinal, JOB_STATES } from '../../src/jobs/state.js';
import { JobStore } from '../../src/jobs/store.js';
import { demoJob, identity } from './helpers/keys.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'peermpc-audit-'));
  dirs.push(d);
  return d;
}
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let signer: AuditSigner;
test.before(async () => {
  const id = await identity();
  signer = auditSignerFromKey(id.key as never, id.peerId);
});

function filledLog(): AuditLog {
  const log = new AuditLog(join(tmp(), 'audit.log'), { signer });
  for (let i = 0; i < 5; i++) {
    log.append({
      type: 'job.received',
      job: `${i}`.repeat(32),
      requester: 'peer',
      programHash: 'a'.repeat(64),
      datasets: ['o/patients'],
    });
  }
  return log;
}

function lines(log: AuditLog): string[] {
  return readFileSync(log.path, 'utf8').trimEnd().split('\n');
}

test('an intact log verifies, survives reopening and keeps chaining', () => {
  const log = filledLog();
  assert.equal(log.verify().problems, []);
  assert.is(log.verify().entries, 5);
  const again = new AuditLog(log.path, { signer });
  again.append({ type: 'job.state', job: '9'.repeat(32), state: 'done' });
  const v = again.verify();
  assert.ok(v.ok);
  assert.is(v.entries, 6);
  assert.is(again.list({ job: '9'.repeat(32) }).length, 1);
  assert.is(again.list({ limit: 2 }).length, 2);
});

test('an edited line is detected', () => {
  const log = filledLog();
  const ls = lines(log);
  ls[2] = ls[2]!.replace('o/patients', 'o/other');
  writeFileSync(log.path, ls.join('\n') + '\n');
  const v = log.verify();
  assert.not.ok(v.ok);
  assert.equal(
    v.problems.map((p) => p.line),
    [3],
  );
  assert.match(v.problems[0]!.problem, /edited/);
});

test('a deleted line is detected', () => {
  const log = filledLog();
  const ls = lines(log);
  ls.splice(1, 1);
  writeFileSync(log.path, ls.join('\n') + '\n');
  const v = log.verify();
  assert.not.ok(v.ok);
  assert.match(v.problems.map((p) => p.problem).join(), /missing/);
});

test('deleted last lines are detected through the head', () => {
  const log = filledLog();
  const ls = lines(log);
  writeFileSync(log.path, ls.slice(0, 3).join('\n') + '\n');
  const v = log.verify();
  assert.not.ok(v.ok);
  assert.match(v.problems[0]!.problem, /last lines deleted/);
});

test('reordered and garbage lines are detected', () => {
  const log = filledLog();
  const ls = lines(log);
  [ls[1], ls[2]] = [ls[2]!, ls[1]!];
  writeFileSync(log.path, ls.join('\n') + '\n');
  assert.not.ok(log.verify().ok);
  const log2 = filledLog();
  const ls2 = lines(log2);
  ls2[0] = 'not json';
  writeFileSync(log2.path, ls2.join('\n') + '\n');
  const v = log2.verify();
  assert.not.ok(v.ok);
  assert.is(v.problems[0]!.line, 1);
});

test('state machine: allowed moves and final states', () => {
  assert.ok(canTransition('proposed', 'approved'));
  assert.ok(canTransition('approved', 'running'));
  assert.ok(canTransition('running', 'done'));
  assert.ok(canTransition('running', 'failed'));
  assert.ok(canTransition('proposed', 'rejected'));
  assert.ok(canTransition('approved', 'expired'));
  assert.not.ok(canTransition('proposed', 'running'));
  assert.not.ok(canTransition('rejected', 'approved'));
  assert.not.ok(canTransition('done', 'failed'));
  assert.not.ok(canTransition('running', 'rejected'));
  for (const s of JOB_STATES)
    assert.is(isFinal(s), ['done', 'failed', 'rejected', 'expired', 'cancelled'].includes(s), s);
});

test('the job store persists records and enforces the state machine', async () => {
  const dir = tmp();
  const sci = await identity();
  const hs = [await identity(), await identity(), await identity()];
  const signed = await demoJob(sci, hs, [10, 20, 30]);
  const store = new JobStore(dir);
  store.create(signed, ['requester'], { [hs[0]!.peerId]: { decision: 'pending' } }, 7);
  store.transition(signed.job.id, 'approved');
  assert.throws(
    () => store.transition(signed.job.id, 'done'),
    (e: Error) => e instanceof InvalidTransitionError,
  );
  store.transition(signed.job.id, 'running');
  store.update(signed.job.id, { progress: { done: 3, total: 7, phase: 'mean' } });
  const again = new JobStore(dir);
  const r = again.get(signed.job.id);
  assert.is(r.state, 'running');
  assert.equal(
    r.history.map((h) => h.state),
    ['proposed', 'approved', 'running'],
  );
  assert.is(r.progress.done, 3);
  assert.throws(() => again.get('f'.repeat(32)), /no job/);
});

test.run();
