/**
 * Three peers in three processes run a lockstep session over libp2p; one is killed (SIGKILL)
 * mid-computation: the other two fail the job with a PartyAbortedError naming it, well within the
 * step timeout, and then run the next session between themselves. A party busy for several step
 * timeouts (yielding between slices, as between primitives) is not taken for dead: its keep-alives
 * hold the others' step timers; a frozen one (SIGSTOP) is, named by both others.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { removeDir, tempDir } from './net-helpers.js';
import { start, type Child } from './party-child.js';

/** Three party processes, started and ready: [children, peer ids]. */
async function three(root: string, signal: AbortSignal): Promise<[Child[], string[]]> {
  const children = [start(join(root, 'p0'))];
  const first = await children[0]!.next((m) => m.ready === true, signal);
  children.push(start(join(root, 'p1'), first.addr as string));
  children.push(start(join(root, 'p2'), first.addr as string));
  const rest = await Promise.all(children.slice(1).map((c) => c.next((m) => m.ready === true, signal)));
  return [children, [first, ...rest].map((m) => m.peerId as string)];
}

test('a party busy for longer than the step timeout is not taken for dead; a frozen one is', async () => {
  const signal = AbortSignal.timeout(120_000);
  const root = tempDir();
  let children: Child[] = [];
  try {
    const [kids, parties] = await three(root, signal);
    children = kids;
    // party 2 works 4 s (yielding) before step 5; the step timeout is 1 s
    const job = { cmd: 'session', jobId: 'job-busy', parties, steps: 20, stepMs: 1000, bytes: 64 };
    children.forEach((c, i) => c.send(i === 2 ? { ...job, busyAt: 5, busyMs: 4000 } : job));
    const ends = await Promise.all(
      children.map((c) =>
        c.next((m) => m.done === 'job-busy' || (m.jobId === 'job-busy' && m.error !== undefined), signal),
      ),
    );
    assert.equal(
      ends.map((e) => e.done),
      ['job-busy', 'job-busy', 'job-busy'],
      JSON.stringify(ends),
    );
    // a frozen process sends nothing, not even keep-alives: both others time out naming it
    const frozen = { cmd: 'session', jobId: 'job-frozen', parties, steps: 100_000, stepMs: 1500, bytes: 64 };
    for (const c of children) c.send(frozen);
    await Promise.all(
      children.map((c) => c.next((m) => m.jobId === 'job-frozen' && (m.progress as number) >= 20, signal)),
    );
    children[2]!.proc.kill('SIGSTOP');
    const errs = await Promise.all(
      children
        .slice(0, 2)
        .map((c) => c.next((m) => m.jobId === 'job-frozen' && m.error !== undefined, signal)),
    );
    for (const e of errs) assert.is(e.party, 2, JSON.stringify(e));
    assert.ok(
      errs.some((e) => e.error === 'StepTimeoutError'),
      JSON.stringify(errs),
    );
  } finally {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    removeDir(root);
  }
});

test('killing a party mid-session fails the job on the others naming it; they keep serving', async () => {
  const signal = AbortSignal.timeout(120_000);
  const root = tempDir();
  const children: Child[] = [];
  try {
    children.push(start(join(root, 'p0')));
    const first = await children[0]!.next((m) => m.ready === true, signal);
    children.push(start(join(root, 'p1'), first.addr as string));
    children.push(start(join(root, 'p2'), first.addr as string));
    const ready = [
      first,
      ...(await Promise.all(children.slice(1).map((c) => c.next((m) => m.ready === true, signal)))),
    ];
    const parties = ready.map((m) => m.peerId as string);

    const job = { cmd: 'session', jobId: 'job-kill', parties, steps: 100_000, stepMs: 15_000, bytes: 4096 };
    for (const c of children) c.send(job);
    await Promise.all(
      children.map((c) => c.next((m) => m.jobId === 'job-kill' && (m.progress as number) >= 20, signal)),
    );
    const t0 = Date.now();
    children[2]!.proc.kill('SIGKILL');
    const errs = await Promise.all(
      children.slice(0, 2).map((c) => c.next((m) => m.error !== undefined, signal)),
    );
    const took = Date.now() - t0;
    for (const e of errs) {
      assert.is(e.error, 'PartyAbortedError', JSON.stringify(e));
      assert.is(e.party, 2, JSON.stringify(e));
    }
    assert.ok(took < 15_000, `failed after ${took} ms, the step timeout is 15000`);
    console.log(`  survivors failed the job ${took} ms after the kill`);

    // the survivors serve the next job
    const next = { cmd: 'session', jobId: 'job-next', parties: parties.slice(0, 2), steps: 30, bytes: 1024 };
    for (const c of children.slice(0, 2)) c.send(next);
    const done = await Promise.all(
      children
        .slice(0, 2)
        .map((c) =>
          c.next((m) => m.done === 'job-next' || (m.jobId === 'job-next' && m.error !== undefined), signal),
        ),
    );
    assert.equal(
      done.map((d) => d.done),
      ['job-next', 'job-next'],
      JSON.stringify(done),
    );
    assert.is(done[0]!.sum, 30 * 2);
    assert.is(done[1]!.sum, 30 * 1);
    for (const c of children.slice(0, 2)) c.send({ cmd: 'exit' });
    await Promise.all(children.slice(0, 2).map((c) => new Promise((r) => c.proc.once('exit', r))));
  } finally {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    removeDir(root);
  }
});

test.run();
