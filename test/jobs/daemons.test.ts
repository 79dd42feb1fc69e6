/**
 * Jobs end to end with real daemons in separate processes on 127.0.0.1 (three hospitals and a
 * scientist): approval by policy and by a person through the CLI (result = plaintext within the
 * fixed-point bound), rejection, policy refusals before any share moves (forbidden op, forbidden
 * requester, too few rows), two jobs at once on the same daemons, a bad signature and a replayed job id from another peer, audit
 * verification catching an edited line, and a killed compute party failing the job everywhere.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../src/polyfills.js';
import { signJob } from '../../src/jobs/job/sign.js';
import { refCorrelation, refCovariance, refLinregGd, refMeans } from '../../src/jobs/reference.js';
import { covarianceError } from './helpers/data.js';
import type { JobRecord } from '../../src/jobs/store.js';
import { createPeer, type Peer } from '../../src/node/peer.js';
import { cleanupAll, peermpc } from '../../scripts/demo-network.js';
import {
  allRows,
  JOB_COLUMNS,
  jobFrom,
  jobRequest,
  recordOn,
  sendJobsMessage,
  setPolicy,
  startJobsNetwork,
  waitForState,
  within,
  type JobsTestNetwork,
} from './helpers/daemons.js';
import { until } from './helpers/services.js';

let t: JobsTestNetwork;

test.before(async () => {
  t = await within(120_000, 'starting the network', startJobsNetwork);
});

test.after(async () => {
  await t?.net.stop();
  await cleanupAll();
});

async function submit(body: unknown): Promise<JobRecord> {
  return t.scientist.client.request<JobRecord>('POST', '/jobs', body);
}

async function resetPolicies(policy: Record<string, unknown> = { approval: 'auto' }): Promise<void> {
  for (const h of t.hospitals) await setPolicy(h, policy);
}

function close(actual: readonly (number | null)[], expected: number[], tol: number, what: string): void {
  expected.forEach((e, i) =>
    assert.ok(
      Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e)),
      `${what}[${i}]: ${actual[i]} vs ${e}`,
    ),
  );
}

/** Nothing moved: the job never ran anywhere and no party has traffic or a result. */
async function assertNothingMoved(id: string): Promise<void> {
  for (const d of [...t.hospitals, t.scientist]) {
    const r = await recordOn(d, id);
    if (r === undefined) continue;
    assert.not.ok(
      r.history.some((h) => h.state === 'running'),
      `${d.name} ran the job`,
    );
    assert.is(r.result, undefined);
    assert.is(r.stats?.bytesSent ?? 0, 0, `${d.name} sent MPC traffic`);
  }
}

test('approve path: two owners by policy, one by a person with the CLI; the result equals plaintext', () =>
  within(90_000, 'approve path', async () => {
    await resetPolicies();
    const manual = t.hospitals[2]!;
    const set = await peermpc([
      'policy',
      'set',
      manual.name,
      '--approval',
      'manual',
      '--min-rows',
      '100',
      '--data-dir',
      manual.dataDir,
    ]);
    assert.is(set.code, 0, set.stderr);
    const job = await submit(
      jobRequest(t, ['count', 'mean', 'correlation'], {
        linreg: { target: 'systolic_bp', features: ['age', 'bmi'] },
      }),
    );
    const pending = await peermpc(['job', 'pending', '--data-dir', manual.dataDir]);
    assert.is(pending.code, 0, pending.stderr);
    assert.match(pending.stdout, job.id);
    const approve = await peermpc(['job', 'approve', job.id, '--data-dir', manual.dataDir]);
    assert.is(approve.code, 0, approve.stderr);
    const done = await waitForState(t.scientist, job.id, ['done', 'failed', 'rejected'], 60_000);
    assert.is(done.state, 'done', done.error?.message);
    const rows = allRows(t);
    const out = Object.fromEntries(done.result!.map((o) => [o.name, o.values]));
    close(out.count!, [rows.length], 0, 'count');
    close(out.mean!, refMeans(rows), 1e-4, 'mean');
    close(out.correlation!, refCorrelation(rows).flat(), 2e-4, 'correlation');
    const c = JOB_COLUMNS;
    close(
      out.linreg!,
      refLinregGd(rows, [c.indexOf('age'), c.indexOf('bmi')], c.indexOf('systolic_bp')),
      1e-3,
      'linreg',
    );
    for (const h of t.hospitals) {
      const r = (await waitForState(h, job.id, ['done']))!;
      assert.is(r.result, undefined, `${h.name} must not hold the result`);
      assert.ok(r.stats!.bytesSent > 0);
      const audit = await peermpc(['audit', '--job', job.id, '--json', '--data-dir', h.dataDir]);
      const entries = JSON.parse(audit.stdout) as { event: { type: string; releasedTo?: string } }[];
      assert.ok(
        entries.some((e) => e.event.type === 'job.released' && e.event.releasedTo === t.scientist.peerId),
        h.name,
      );
      assert.not.match(audit.stdout, /"values"/);
    }
    const show = await peermpc(['job', 'show', job.id, '--data-dir', t.scientist.dataDir]);
    assert.match(show.stdout, /correlation:/);
    // total runs from the proposal to the result: the person's approval included
    const ms = done.stats!.ms;
    const parts = ['approval', 'connect', 'input', 'compute', 'output'] as const;
    assert.ok(
      parts.every((k) => ms[k] !== undefined) && ms.total! >= parts.reduce((a, k) => a + ms[k]!, 0) - 1,
      JSON.stringify(ms),
    );
  }));

test('two jobs at once on the same three daemons (two sessions, interleaved steps): both right', () =>
  within(120_000, 'concurrent jobs', async () => {
    await resetPolicies();
    const [a, b] = await Promise.all([
      submit(jobRequest(t, ['count', 'mean', 'correlation'])),
      submit(jobRequest(t, ['variance', 'covariance'])),
    ]);
    const [da, db] = await Promise.all([
      waitForState(t.scientist, a.id, ['done', 'failed', 'rejected'], 90_000),
      waitForState(t.scientist, b.id, ['done', 'failed', 'rejected'], 90_000),
    ]);
    assert.is(da.state, 'done', da.error?.message);
    assert.is(db.state, 'done', db.error?.message);
    const rows = allRows(t);
    const outA = Object.fromEntries(da.result!.map((o) => [o.name, o.values]));
    const outB = Object.fromEntries(db.result!.map((o) => [o.name, o.values]));
    close(outA.count!, [rows.length], 0, 'count');
    close(outA.mean!, refMeans(rows), 1e-4, 'mean');
    close(outA.correlation!, refCorrelation(rows).flat(), 2e-4, 'correlation');
    const cov = refCovariance(rows);
    assert.ok(covarianceError(outB.covariance!, cov) <= 1e-3, 'covariance');
    close(
      outB.variance!,
      cov.map((r, i) => r[i]!),
      1e-3,
      'variance',
    );
    // every daemon told its operator, one line per event, ids and states only. A hospital ends its
    // part after the scientist has the result, and its stdout arrives through a pipe: wait for it.
    for (const d of [...t.hospitals, t.scientist])
      for (const id of [a.id, b.id])
        for (const state of ['approved', 'running', 'done']) {
          const line = new RegExp(`job ${id.slice(0, 12)} ${state}`);
          await until(() => line.test(d.output()), 15_000, `${d.name}: job ${state}`);
        }
  }));

test('reject path: a person rejects with the CLI; rejected everywhere, nothing released', () =>
  within(60_000, 'reject path', async () => {
    await resetPolicies();
    const manual = t.hospitals[2]!;
    await setPolicy(manual, { approval: 'manual' });
    const job = await submit(jobRequest(t, ['mean']));
    const reject = await peermpc([
      'job',
      'reject',
      job.id,
      '--reason',
      'not for this study',
      '--data-dir',
      manual.dataDir,
    ]);
    assert.is(reject.code, 0, reject.stderr);
    const r = await waitForState(t.scientist, job.id, ['rejected', 'done', 'failed']);
    assert.is(r.state, 'rejected');
    assert.match(r.error!.message, /not for this study/);
    for (const h of t.hospitals) await waitForState(h, job.id, ['rejected', 'cancelled']);
    await assertNothingMoved(job.id);
  }));

test('policy violations are refused before any share moves: forbidden op, forbidden requester, too few rows', () =>
  within(60_000, 'policy violations', async () => {
    await resetPolicies();
    await setPolicy(t.hospitals[1]!, { approval: 'auto', ops: ['union', 'count', 'mean'] });
    const op = await submit(jobRequest(t, ['mean', 'correlation']));
    const r1 = await waitForState(t.scientist, op.id, ['rejected', 'done', 'failed']);
    assert.is(r1.state, 'rejected');
    assert.match(r1.error!.message, /op "correlation" is not allowed/);
    await assertNothingMoved(op.id);

    await resetPolicies();
    await setPolicy(t.hospitals[0]!, { approval: 'auto', requesters: [t.hospitals[1]!.peerId] });
    const who = await submit(jobRequest(t, ['mean']));
    const r2 = await waitForState(t.scientist, who.id, ['rejected', 'done', 'failed']);
    assert.is(r2.state, 'rejected');
    assert.match(r2.error!.message, /requester .* is not allowed/);
    await assertNothingMoved(who.id);

    await resetPolicies();
    await setPolicy(t.hospitals[1]!, { approval: 'auto', minRows: 1000 });
    const few = await submit(jobRequest(t, ['mean']));
    const r3 = await waitForState(t.scientist, few.id, ['rejected', 'done', 'failed']);
    assert.is(r3.state, 'rejected');
    assert.match(r3.error!.message, / 180 rows, fewer than the minimum of 1000/);
    await assertNothingMoved(few.id);
    const audit = await peermpc(['audit', '--job', few.id, '--json', '--data-dir', t.hospitals[1]!.dataDir]);
    assert.match(audit.stdout, /"decision": "refused"/);
  }));

test('a bad signature and a replayed job id are refused (from another peer on the network)', () =>
  within(60_000, 'bad signature and replay', async () => {
    await resetPolicies();
    const dir = mkdtempSync(join(tmpdir(), 'peermpc-intruder-'));
    let peer: Peer | undefined;
    try {
      peer = await createPeer({
        dataDir: dir,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        allowPrivateAddresses: true,
      });
      const target = t.hospitals[0]!;
      await peer.dial(target.multiaddrs[0]!);
      const job = jobFrom(t, peer.peerId);
      const signed = await signJob(job, { sign: (d) => peer!.sign(d) });
      const forged = {
        ...signed,
        job: {
          ...signed.job,
          outputRecipient: peer.peerId,
          expires: new Date(Date.now() + 600_000).toISOString(),
        },
      };
      const bad = (await sendJobsMessage(peer, target.peerId, { type: 'propose', signed: forged })) as {
        ok: boolean;
        error?: { message: string };
      };
      assert.is(bad.ok, false);
      assert.match(bad.error!.message, /bad signature/);
      const first = (await sendJobsMessage(peer, target.peerId, { type: 'propose', signed })) as {
        ok: boolean;
      };
      assert.is(first.ok, true);
      const replay = (await sendJobsMessage(peer, target.peerId, { type: 'propose', signed })) as {
        ok: boolean;
        error?: { message: string };
      };
      assert.is(replay.ok, false);
      assert.match(replay.error!.message, /seen before/);
      const audit = await peermpc(['audit', '--json', '--data-dir', target.dataDir]);
      const refused = (
        JSON.parse(audit.stdout) as { event: { decision?: string; by?: string; reason?: string } }[]
      ).filter((e) => e.event.decision === 'refused' && e.event.by === 'check');
      assert.ok(refused.some((e) => /bad signature/.test(e.event.reason ?? '')));
      assert.ok(refused.some((e) => /seen before/.test(e.event.reason ?? '')));
    } finally {
      await peer?.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }));

test("dataset show on another daemon carries the owner's policy: set, removed, and at add", () =>
  within(60_000, 'policy summary', async () => {
    const h = t.hospitals[1]!;
    const sci = t.scientist;
    const show = async (name = h.name) => {
      const r = await peermpc(['dataset', 'show', `${h.peerId}/${name}`, '--data-dir', sci.dataDir]);
      assert.is(r.code, 0, r.stderr);
      return r.stdout;
    };
    const set = await peermpc([
      'policy',
      'set',
      h.name,
      '--approval',
      'auto',
      '--requesters',
      sci.peerId,
      '--outputs',
      'mean,count',
      '--min-rows',
      '50',
      '--data-dir',
      h.dataDir,
    ]);
    assert.is(set.code, 0, set.stderr);
    assert.not.match(set.stderr, /warning/);
    let out = await show();
    assert.match(out, /^policy +set by the owner/m);
    assert.match(out, /^approval +auto /m);
    assert.match(out, new RegExp(`^requesters +only ${sci.peerId}$`, 'm'));
    assert.match(out, /^allowed ops +any$/m);
    assert.match(out, /^released outputs +count, mean$/m);
    assert.match(out, /^min rows +50$/m);
    assert.not.match(out, /\{"approval"/, 'not raw JSON');
    // the JSON form is the verified signed description
    const json = await peermpc([
      'dataset',
      'show',
      `${h.peerId}/${h.name}`,
      '--json',
      '--data-dir',
      sci.dataDir,
    ]);
    const signed = JSON.parse(json.stdout) as { description: { policy: unknown; rows: number } };
    assert.equal(signed.description.policy, {
      approval: 'auto',
      default: false,
      requestersRestricted: true,
      requesters: [sci.peerId],
      ops: ['*'],
      outputs: ['count', 'mean'],
      minRows: 50,
      computeParties: ['self'],
    });
    assert.is(signed.description.rows, 180);

    const removed = await peermpc(['policy', 'remove', h.name, '--data-dir', h.dataDir]);
    assert.is(removed.code, 0, removed.stderr);
    out = await show();
    assert.match(out, /^policy +the default/m);
    assert.match(out, /^approval +manual /m);
    assert.match(out, /^requesters +anyone$/m);
    assert.match(out, /^min rows +10$/m);

    // a policy applies to a local dataset: set after the add, it is in the re-signed description;
    // removing the dataset removes its policy (a later dataset of that name does not inherit it)
    const fresh = `${h.name}-fresh`;
    const csv = join(t.net.root, `${fresh}.csv`);
    writeFileSync(csv, 'a,b\n1,2\n3,4\n');
    const early = await peermpc(['policy', 'set', fresh, '--approval', 'auto', '--data-dir', h.dataDir]);
    assert.is(early.code, 1, 'a policy for a dataset not added yet is refused');
    assert.match(early.stderr, /no local dataset named/);
    const added = await h.client.addDataset({ csvPath: csv, name: fresh });
    assert.is(added.signed.description.policy.default, true);
    await setPolicy({ ...h, name: fresh }, { approval: 'auto', minRows: 20, ops: ['count'] });
    out = await show(fresh);
    assert.match(out, /^approval +auto /m);
    assert.match(out, /^allowed ops +count$/m);
    assert.match(out, /^min rows +20$/m);
    assert.equal(await h.client.removeDataset(fresh), { name: fresh, removed: true, policyRemoved: true });
    const again = await h.client.addDataset({ csvPath: csv, name: fresh });
    assert.is(again.signed.description.policy.default, true, 'no policy inherited from the removed dataset');
    await h.client.removeDataset(fresh);
    await resetPolicies();
  }));

test('audit verify catches an edited line', () =>
  within(30_000, 'audit verify', async () => {
    const h = t.hospitals[0]!;
    const ok = await peermpc(['audit', 'verify', '--data-dir', h.dataDir]);
    assert.is(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /intact/);
    const path = join(h.dataDir, 'audit.log');
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    lines[1] = lines[1]!.replace(/"seq":2,"time":"[^"]+"/, '"seq":2,"time":"2000-01-01T00:00:00.000Z"');
    writeFileSync(path, lines.join('\n') + '\n');
    const broken = await peermpc(['audit', 'verify', '--data-dir', h.dataDir]);
    assert.is(broken.code, 1);
    assert.match(broken.stdout, /line 2: entry 2 was edited/);
  }));

test('the CLI: job run with shorthand flags and with a program file, job list, status and cancel', () =>
  within(90_000, 'cli', async () => {
    await resetPolicies();
    const dd = ['--data-dir', t.scientist.dataDir];
    const run = await peermpc(
      [
        'job',
        'run',
        '--search',
        'patients',
        '--columns',
        'age,bmi',
        '--stats',
        'count,mean',
        '--json',
        ...dd,
      ],
      { timeoutMs: 60_000 },
    );
    assert.is(run.code, 0, run.stderr);
    const res = JSON.parse(run.stdout) as {
      id: string;
      state: string;
      result: { name: string; values: number[] }[];
      stats: { links?: Record<string, string> };
    };
    assert.is(res.state, 'done');
    // how the requester reached each compute party: directly, on loopback
    assert.equal(
      Object.values(res.stats.links ?? {}),
      ['direct', 'direct', 'direct'].slice(0, Object.keys(res.stats.links ?? {}).length),
    );
    assert.ok(Object.keys(res.stats.links ?? {}).length >= 2, 'links to the other parties');
    const rows = allRows(t);
    assert.is(res.result.find((o) => o.name === 'count')!.values[0], rows.length);

    const dir = mkdtempSync(join(tmpdir(), 'peermpc-program-'));
    try {
      const file = join(dir, 'program.json');
      writeFileSync(
        file,
        JSON.stringify({
          version: 1,
          inputs: t.hospitals.map((_, i) => ({ name: `site${i}`, columns: ['glucose'] })),
          nodes: [
            { id: 'all', op: 'union', args: t.hospitals.map((_, i) => `site${i}`) },
            { id: 'avg', op: 'mean', args: ['all'] },
          ],
          outputs: [{ name: 'glucose_mean', node: 'avg' }],
        }),
      );
      const datasets = t.hospitals.flatMap((h) => ['--dataset', `${h.peerId}/${h.name}`]);
      const fromFile = await peermpc(['job', 'run', file, ...datasets, ...dd], { timeoutMs: 60_000 });
      assert.is(fromFile.code, 0, fromFile.stderr);
      assert.match(fromFile.stdout, /glucose_mean:/);
      const g = JOB_COLUMNS.indexOf('glucose');
      const expected = rows.reduce((s, r) => s + r[g]!, 0) / rows.length;
      const printed = Number(/glucose_mean:[\s\S]*?glucose\s+([0-9.]+)/.exec(fromFile.stdout)?.[1]);
      assert.ok(Math.abs(printed - expected) < 1e-3, `${printed} vs ${expected}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const list = await peermpc(['job', 'list', '--json', ...dd]);
    assert.ok((JSON.parse(list.stdout) as { id: string }[]).some((j) => j.id === res.id));
    const status = await peermpc(['job', 'status', res.id, ...dd]);
    assert.match(status.stdout, /state\s+done/);

    await setPolicy(t.hospitals[0]!, { approval: 'manual' });
    const meanOfPatients = ['job', 'run', '--search', 'patients', '--stats', 'mean', ...dd];
    const pending = await peermpc([...meanOfPatients, '--no-wait']);
    assert.is(pending.code, 0, pending.stderr);
    const id = pending.stdout.trim();
    const cancel = await peermpc(['job', 'cancel', id, '--reason', 'wrong columns', ...dd]);
    assert.is(cancel.code, 0, cancel.stderr);
    // following with --timeout a job that has not ended: exit 4 and how to go on, not "nothing was released"
    const waiting = await peermpc([...meanOfPatients, '--timeout', '2']);
    assert.is(waiting.code, 4, waiting.stderr);
    assert.match(
      waiting.stderr,
      /is still proposed after --timeout 2 s; it goes on: follow it with peermpc job status \w+ --wait/,
    );
    assert.not.match(waiting.stderr, /nothing was released/);
    const waitingId = /job (\w+) is still/.exec(waiting.stderr)![1]!;
    await peermpc(['job', 'cancel', waitingId, ...dd]);
    for (const h of t.hospitals) await waitForState(h, id, ['cancelled']);
    await assertNothingMoved(id);
  }));

test('incomes in dollars across three daemons: variance and correlation match float64 (they came back wrong)', () =>
  within(90_000, 'incomes', async () => {
    await resetPolicies();
    let seed = 5;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const tables = t.hospitals.map(() =>
      Array.from({ length: 70 }, () => {
        const age = 25 + Math.floor(rand() * 40);
        return [age, Math.round(20_000 + 80_000 * rand() - 200 * (age - 45))];
      }),
    );
    for (const [i, h] of t.hospitals.entries()) {
      const csv = join(t.net.root, `${h.name}-incomes.csv`);
      writeFileSync(csv, ['age,income', ...tables[i]!.map((r) => r.join(','))].join('\n'));
      await h.client.addDataset({ csvPath: csv, name: 'incomes' });
      await setPolicy({ ...h, name: 'incomes' }, { approval: 'auto' });
    }
    const req = jobRequest(t, ['variance', 'correlation']);
    req.inputs = t.hospitals.map((h, i) => ({
      name: `h${i + 1}`,
      owner: h.peerId,
      dataset: 'incomes',
      columns: ['age', 'income'],
    }));
    req.program.inputs = req.program.inputs.map((inp) => ({ ...inp, columns: ['age', 'income'] }));
    const job = await submit(req);
    const done = await waitForState(t.scientist, job.id, ['done', 'failed', 'rejected'], 60_000);
    assert.is(done.state, 'done', done.error?.message);
    const all = tables.flat();
    const out = Object.fromEntries(done.result!.map((o) => [o.name, o.values as number[]]));
    const cov = refCovariance(all);
    close(out.variance!, [cov[0]![0]!, cov[1]![1]!], 1e-4, 'variance');
    close(out.correlation!, refCorrelation(all).flat(), 1e-3, 'correlation');
    for (const h of t.hospitals) await h.client.request('DELETE', '/datasets/incomes');
  }));

test('a killed compute party fails the job on every peer, naming it; nothing is released; the others keep serving', () =>
  within(90_000, 'killed party', async () => {
    await resetPolicies();
    const victim = t.hospitals[1]!;
    const job = await submit(
      jobRequest(t, ['mean'], { linreg: { target: 'systolic_bp', features: ['age', 'bmi'], epochs: 3000 } }),
    );
    await waitForState(t.scientist, job.id, ['running']);
    await new Promise((r) => setTimeout(r, 300));
    await victim.kill();
    const survivors = [t.scientist, t.hospitals[0]!, t.hospitals[2]!];
    for (const d of survivors) {
      const r = await waitForState(d, job.id, ['failed', 'done'], 30_000);
      assert.is(r.state, 'failed', `${d.name}: ${r.state}`);
      assert.is(r.result, undefined);
      assert.match(
        r.error!.message + (r.error!.party ?? ''),
        victim.peerId,
        `${d.name}: ${r.error!.message}`,
      );
      const audit = await peermpc(['audit', '--job', job.id, '--json', '--data-dir', d.dataDir]);
      assert.not.match(audit.stdout, /job\.released/);
    }
    const status = await t.hospitals[0]!.client.status();
    assert.is(status.peerId, t.hospitals[0]!.peerId);
  }));

test.run();
