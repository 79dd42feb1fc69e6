/**
 * A job's memory is given back when it ends (issue 13: idle daemons kept 0.5 to 0.9 GB after big
 * jobs). The shares of a finished job were unreferenced but never collected: an idle daemon
 * allocates too little for V8 to collect on its own. src/node/mpc/release.ts collects once when the
 * process's last MPC session ends.
 *
 * - the tracker: no collection while a session is open; one, after the delay, once the last ends;
 * - `garbageCollector()` works in a process started without --expose-gc (as the tests are);
 * - end to end over libp2p: four peers run a rep3 job (the executor, as the job service runs it);
 *   once it ends, whether it succeeded or a party aborted it, no session is open on any peer and,
 *   after the release and without this test collecting, the job's channels, sessions and input
 *   shares are gone (WeakRefs cleared): nothing retains them and the peer collected them itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jobProtocol } from '../../src/jobs/executor/protocol-factory.js';
import { runProgram } from '../../src/jobs/executor/run.js';
import { sessionParties } from '../../src/jobs/job/parties.js';
import type { Job } from '../../src/jobs/job/types.js';
import { ProgramBuilder } from '../../src/jobs/program/builder.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import { garbageCollector, IdleRelease, mpcRelease } from '../../src/node/mpc/release.js';
import type { Peer } from '../../src/node/peer.js';
import { createSession } from '../../src/protocols/session-impl.js';
import { patients } from './helpers/data.js';
import { removeDir, startPeers, stopAll, tempDir } from '../node/net-helpers.js';
import { within } from './helpers/daemons.js';

const COLS = ['age', 'bmi', 'sbp'];
const ROWS = [3_000, 2_500, 2_000];

test('the tracker collects once after the last session ends, never while one is open', async () => {
  let collected = 0;
  const r = new IdleRelease({ delayMs: 0, collect: () => collected++ });
  r.closed(); // a close with nothing open is ignored
  r.opened();
  r.opened();
  r.closed();
  await new Promise((res) => setTimeout(res, 5));
  assert.is(collected, 0, 'one session still open');
  const released = r.whenReleased();
  r.closed();
  await released;
  assert.is(collected, 1);
  assert.is(r.releases, 1);
  assert.is(r.sessions, 0);
  // a session that opens before the delay ends cancels that collection
  const slow = new IdleRelease({ delayMs: 50, collect: () => collected++ });
  slow.opened();
  slow.closed();
  slow.opened();
  await new Promise((res) => setTimeout(res, 80));
  assert.is(collected, 1, 'cancelled by the new session');
  const again = slow.whenReleased();
  slow.closed();
  await again;
  assert.is(collected, 2);
});

test('garbageCollector() works without --expose-gc and collects unreferenced buffers', () => {
  const before = typeof (globalThis as { gc?: unknown }).gc; // 'undefined' under scripts/test.mjs
  const gc = garbageCollector();
  assert.type(gc, 'function');
  assert.is(typeof (globalThis as { gc?: unknown }).gc, before, 'no gc global left behind');
  const ref = new WeakRef(new BigUint64Array(1 << 20)); // referenced by nothing else
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      gc!();
      assert.is(ref.deref(), undefined);
      resolve();
    }),
  );
});

/** The job: three owners (also the rep3 compute parties) and a recipient. */
function makeJob(peers: Peer[]): Job {
  const [a, b, c, r] = peers.map((p) => p.peerId) as [string, string, string, string];
  return {
    version: 1,
    id: 'f'.repeat(32),
    requester: r,
    program: { version: 1, inputs: [], nodes: [], outputs: [] },
    programHash: '',
    inputs: ROWS.map((rows, i) => ({
      name: `h${i + 1}`,
      owner: [a, b, c][i]!,
      dataset: 'd',
      columns: COLS,
      rows,
    })),
    computeParties: [a, b, c],
    protocol: 'rep3',
    outputRecipient: r,
    fractionalBits: 16,
    created: '',
    expires: '',
  };
}

/** What the test keeps of a run: weak references only. */
interface Refs {
  refs: WeakRef<object>[];
  /** Each party's outcome: 'ok' or the error's name. */
  outcomes: string[];
}

/**
 * Runs the job on every peer over libp2p (mean, std, correlation of the union); with `abortAfterInput`,
 * party 0 aborts its session once the inputs are shared.
 */
async function runJob(peers: Peer[], jobId: string, abortAfterInput: boolean): Promise<Refs> {
  const job = { ...makeJob(peers), id: jobId };
  const parties = sessionParties(job);
  const b = new ProgramBuilder();
  const all = b.union(...ROWS.map((_, i) => b.input(`h${i + 1}`, COLS)));
  b.output('mean', b.mean(all));
  b.output('std', b.std(all));
  b.output('corr', b.correlation(all));
  const checked = validateProgram(b.build(), {
    rows: Object.fromEntries(ROWS.map((n, i) => [`h${i + 1}`, n])),
  });
  const refs: WeakRef<object>[] = [];
  const outcomes = await Promise.all(
    peers.map(async (peer, i) => {
      const channel = await peer.openSession({ jobId, parties, timeouts: { stepMs: 20_000 } });
      refs.push(new WeakRef(channel));
      const session = await createSession({ id: jobId, channel });
      refs.push(new WeakRef(session));
      const protocol = jobProtocol(job, session);
      const input = protocol.input.bind(protocol);
      let shared = 0;
      protocol.input = async (...args) => {
        const share = await input(...args);
        refs.push(new WeakRef(share));
        if (abortAfterInput && i === 0 && ++shared === ROWS.length)
          session.abort(new Error('party 0 gives up'));
        return share;
      };
      const values: Record<string, Float64Array> = {};
      if (i < 3) values[`h${i + 1}`] = Float64Array.from(patients(ROWS[i]!, i + 1).flat());
      for (const v of Object.values(values)) refs.push(new WeakRef(v));
      try {
        await runProgram({
          protocol,
          checked,
          owners: Object.fromEntries(ROWS.map((_, k) => [`h${k + 1}`, k])),
          values,
          recipient: parties.indexOf(job.outputRecipient),
          fractionalBits: 16,
          signal: session.signal,
        });
        return 'ok';
      } catch (err) {
        return (err as Error).name;
      } finally {
        await session.close();
      }
    }),
  );
  return { refs, outcomes };
}

async function assertReleased(peers: Peer[], run: () => Promise<Refs>): Promise<Refs> {
  const released = mpcRelease.whenReleased();
  const out = await run();
  for (const p of peers) assert.is(p.status().sessions, 0, 'no session left open on a peer');
  assert.is(mpcRelease.sessions, 0, 'the process tracker counts none open');
  await released; // the peers' own collection: this test never calls gc
  const alive = out.refs.filter((r) => r.deref() !== undefined).length;
  assert.is(alive, 0, `${alive} of the job's ${out.refs.length} objects are still alive`);
  return out;
}

test('over libp2p, a finished or failed job leaves no session and its objects are collected', () =>
  within(120_000, 'job memory release', async () => {
    const root = tempDir();
    let peers: Peer[] = [];
    try {
      peers = await startPeers(root, 4, AbortSignal.timeout(60_000));
      const ok = await assertReleased(peers, () => runJob(peers, 'a'.repeat(32), false));
      assert.equal(ok.outcomes, ['ok', 'ok', 'ok', 'ok']);
      const failed = await assertReleased(peers, () => runJob(peers, 'b'.repeat(32), true));
      assert.ok(
        failed.outcomes.every((o) => o !== 'ok'),
        `every party fails: ${failed.outcomes.join(', ')}`,
      );
    } finally {
      await stopAll(peers);
      removeDir(root);
    }
  }));

test.run();
