/**
 * A relay that goes away mid-job (network lab; skipped with the reason where the lab cannot run).
 * Three daemons behind NATs (two cone sites, one symmetric: the symmetric one reaches the others
 * only through the relay, over a 4 Mbit/s uplink) run a rep3 job over 3 x 150,000 rows; once it
 * runs, the relay's daemon is killed. The job must then fail on every party, each naming why,
 * within the step timeout (30 s) plus a margin by its own record, never hang and never release
 * anything.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startLabDaemon, until, type LabDaemon } from '../../scripts/netlab/daemons.js';
import { createLab } from '../../scripts/netlab/lab.js';
import { checkLabPrivileges } from '../../scripts/netlab/privileges.js';
import { defaultTopology } from '../../scripts/netlab/topology.js';

const ROWS = 150_000;
const STEP_MS = 30_000;
/** The bound on each party's failure after the kill: the step timeout, the probes and a margin. */
const ENDED_WITHIN_MS = STEP_MS + 60_000;

interface JobJson {
  id: string;
  state: string;
  error?: { message: string } | null;
  history: { state: string; at: string }[];
  result?: unknown;
  progress?: { phase: string } | null;
}

async function publish(p: LabDaemon, i: number, computeParties: string): Promise<void> {
  const lines = Array.from({ length: ROWS }, (_, r) => `${(r * 7 + i) % 101},${(r * 13 + i) % 37}`);
  const csv = join(p.dataDir, 'rows.csv');
  writeFileSync(csv, `x,y\n${lines.join('\n')}\n`);
  await p.cli(['dataset', 'add', csv, '--name', `rows-${p.host}`, '--tags', 'relayloss']);
  await p.cli([
    'policy',
    'set',
    `rows-${p.host}`,
    '--outputs',
    'count,mean',
    '--approval',
    'auto',
    '--compute-parties',
    computeParties,
    '--requesters',
    '*',
  ]);
}

/** Each party's record of the job and the end of its log, when a wait fails. */
async function whereEach(peers: LabDaemon[], id: string): Promise<string> {
  const parts = await Promise.all(
    peers.map(async (p) => {
      const r = await p.cli<JobJson>(['job', 'show', id], 20_000).catch((e: Error) => e.message);
      return `--- ${p.host}: ${JSON.stringify(r).slice(0, 2000)}\n${p.output().slice(-3000)}`;
    }),
  );
  return parts.join('\n');
}

const reason = checkLabPrivileges();
if (reason !== undefined) {
  test(`the lab cannot run here, the relay-loss test is skipped: ${reason}`, () => {});
} else {
  test('a relay killed mid-job fails the job on every party within the step timeout', async () => {
    // c's uplink at 4 Mbit/s: the job's traffic to and from c1 takes seconds, so the relay dies
    // while it runs, not after
    const base = defaultTopology();
    const sites = base.sites.map((s) => (s.name === 'c' ? { ...s, uplink: { rateKbit: 4000 } } : s));
    const lab = await createLab({ ...base, sites });
    try {
      const relay = await startLabDaemon(lab, 'relay', { relay: true, reachability: 'public' });
      const peers = await Promise.all(
        ['a1', 'b1', 'c1'].map((h) => startLabDaemon(lab, h, { bootstrap: [relay.addr] })),
      );
      for (const p of peers)
        await until(`${p.host}: a relay slot`, async () => {
          return (await p.cli<{ relayedAddrs: string[] }>(['status'])).relayedAddrs.length > 0;
        });
      const ids = peers.map((p) => p.peerId).join(',');
      await Promise.all(peers.map((p, i) => publish(p, i, ids)));
      const a1 = peers[0]!;
      await until('every dataset found', async () => {
        return (
          (await a1.cli<{ found: unknown[] }>(['dataset', 'search', 'relayloss'], 30_000)).found.length === 3
        );
      });
      const run = ['job', 'run', '--search', 'relayloss', '--columns', 'x,y', '--stats', 'count,mean'];
      const { id } = await a1.cli<JobJson>([...run, '--compute', ids, '--no-wait']);
      // mid-job on every party: each has its session open when the relay dies
      let seen = '';
      let ended = false;
      await until(
        'the job runs on every party',
        async () => {
          const rs = await Promise.all(peers.map((p) => p.cli<JobJson>(['job', 'status', id])));
          seen = rs.map((r) => `${r.state} ${r.progress?.phase ?? ''}`).join(', ');
          ended = rs.some((r) => ['failed', 'done', 'rejected', 'expired', 'cancelled'].includes(r.state));
          // a phase past `waiting` is reported from inside the session: it is open on every party
          return (
            ended || rs.every((r) => r.state === 'running' && (r.progress?.phase ?? 'waiting') !== 'waiting')
          );
        },
        120_000,
      )
        .then(() => {
          if (ended) throw new Error(`the job ended before the relay was killed`);
        })
        .catch(async (err: Error) => {
          throw new Error(`${err.message}; states: ${seen}\n${await whereEach(peers, id)}`);
        });
      relay.child.kill('SIGKILL');
      const killedAt = Date.now();
      // Each party's own record says when its job failed; the polls only find out, and each poll
      // is a CLI process, slow on a loaded machine, so they get a longer deadline than the bound.
      await Promise.all(
        peers.map((p) =>
          until(
            `${p.host}: the job ends`,
            async () =>
              ['failed', 'done', 'cancelled'].includes((await p.cli<JobJson>(['job', 'status', id])).state),
            ENDED_WITHIN_MS + 90_000,
          ),
        ),
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await whereEach(peers, id)}`);
      });
      for (const p of peers) {
        const r = await p.cli<JobJson>(['job', 'show', id]); // the whole record: its error too
        assert.is(r.state, 'failed', `${p.host}: the job failed (${JSON.stringify(r.error)})`);
        assert.ok((r.error?.message ?? '').length > 0, `${p.host}: says why`);
        assert.is(r.result, undefined, `${p.host}: released nothing`);
        const after = Date.parse(r.history.at(-1)!.at) - killedAt;
        console.log(`${p.host}: failed ${after} ms after the kill: ${r.error?.message ?? ''}`);
        assert.ok(after < ENDED_WITHIN_MS, `${p.host}: failed within the step timeout and a margin`);
      }
    } finally {
      await lab.destroy();
    }
  });
}

test.run();
