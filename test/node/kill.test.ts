/**
 * Three peers in three processes run a lockstep session over libp2p; one is killed (SIGKILL)
 * mid-computation: the other two fail the job with a PartyAbortedError naming it, well within the
 * step timeout, and then run the next session between themselves.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from './net-helpers.js';

const SCRIPT = fileURLToPath(new URL('./party-process.ts', import.meta.url));

type Msg = Record<string, unknown>;

interface Child {
  proc: ChildProcess;
  messages: Msg[];
  next(pred: (m: Msg) => boolean, signal: AbortSignal): Promise<Msg>;
  send(v: unknown): void;
}

function start(dataDir: string, bootstrap?: string): Child {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', SCRIPT, dataDir, ...(bootstrap ? [bootstrap] : [])],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const messages: Msg[] = [];
  const listeners = new Set<() => void>();
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      messages.push(JSON.parse(line) as Msg);
    } catch {
      return; // not ours
    }
    for (const l of listeners) l();
  });
  return {
    proc,
    messages,
    send: (v) => proc.stdin!.write(JSON.stringify(v) + '\n'),
    next: (pred, signal) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = messages.find(pred);
          if (m === undefined) return;
          cleanup();
          resolve(m);
        };
        const onAbort = (): void => {
          cleanup();
          reject(new Error(`timed out; messages so far: ${JSON.stringify(messages)}`));
        };
        const cleanup = (): void => {
          listeners.delete(check);
          signal.removeEventListener('abort', onAbort);
        };
        listeners.add(check);
        signal.addEventListener('abort', onAbort, { once: true });
        check();
      }),
  };
}

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
