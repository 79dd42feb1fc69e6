/**
 * The metrics move when real jobs run between real daemons (separate processes: three hospitals
 * and a scientist): jobs by state, this peer's decisions (by policy and by a person), phase
 * durations, MPC bytes and rounds per session, step waits, audit entries; and no label value, nor
 * anything in the body, is a job id, a peer id, a rejection reason or a released value.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../src/polyfills.js';
import type { JobRecord } from '../../src/jobs/store.js';
import { cleanupAll } from '../../scripts/demo-network.js';
import type { DemoDaemon } from '../../scripts/demo-network.js';
import {
  jobRequest,
  setPolicy,
  startJobsNetwork,
  waitForState,
  within,
  type JobsTestNetwork,
} from '../jobs/helpers/daemons.js';
import { eventually } from './daemon-helpers.js';
import { labelValues, parseExposition, scrape, valueOf, type Family } from './metrics-exposition.js';

let t: JobsTestNetwork;

test.before(async () => {
  t = await within(120_000, 'starting the network', startJobsNetwork);
});

test.after(async () => {
  await t?.net.stop();
  await cleanupAll();
});

async function metricsOf(d: DemoDaemon): Promise<Map<string, Family>> {
  const res = await scrape(d.dataDir);
  assert.is(res.status, 200, `${d.name}: ${res.body}`);
  return parseExposition(res.body);
}

const REASON = 'metrics-test: not this quarter, ask Dr. Quux';

test('counters move when jobs run; no id, reason or value in the metrics', () =>
  within(150_000, 'jobs and metrics', async () => {
    const [h1, h2, manual] = t.hospitals as [DemoDaemon, DemoDaemon, DemoDaemon];
    for (const h of [h1, h2]) await setPolicy(h, { approval: 'auto' });
    await setPolicy(manual, { approval: 'manual' });
    const all = [...t.hospitals, t.scientist];
    const before = await Promise.all(all.map(metricsOf));

    // job 1: two owners approve by policy, the third by a person; it runs
    const submit = (): Promise<JobRecord> =>
      t.scientist.client.request<JobRecord>('POST', '/jobs', jobRequest(t, ['count', 'mean']));
    const one = await submit();
    await manual.client.request('POST', `/jobs/${one.id}/approve`);
    const done = await waitForState(t.scientist, one.id, ['done', 'failed', 'rejected'], 60_000);
    assert.is(done.state, 'done', done.error?.message);
    for (const h of t.hospitals) await waitForState(h, one.id, ['done']);
    // job 2: the person rejects it
    const two = await submit();
    assert.is(valueOf(await metricsOf(manual), 'peermpc_jobs_awaiting_approval'), 1);
    await manual.client.request('POST', `/jobs/${two.id}/reject`, { reason: REASON });
    assert.is((await waitForState(t.scientist, two.id, ['rejected', 'failed', 'done'])).state, 'rejected');

    const after = await eventually('every daemon counted the jobs', async () => {
      const m = await Promise.all(all.map(metricsOf));
      const seen = m.every(
        (f) =>
          valueOf(f, 'peermpc_jobs_total', { state: 'done' }) >= 1 &&
          valueOf(f, 'peermpc_jobs_total', { state: 'rejected' }) >= 1,
      );
      return seen ? m : undefined;
    });
    const delta = (i: number, name: string, labels: Record<string, string> = {}): number =>
      valueOf(after[i]!, name, labels) - valueOf(before[i]!, name, labels);

    for (const [i, d] of all.entries()) {
      assert.is(delta(i, 'peermpc_jobs_total', { state: 'proposed', protocol: 'rep3' }), 2, d.name);
      assert.is(delta(i, 'peermpc_jobs_total', { state: 'done', protocol: 'rep3' }), 1, d.name);
      assert.is(delta(i, 'peermpc_jobs_total', { state: 'rejected', protocol: 'rep3' }), 1, d.name);
      assert.ok(delta(i, 'peermpc_job_records', { state: 'done' }) >= 1, d.name);
      assert.ok(delta(i, 'peermpc_audit_entries') > 0, `${d.name}: audit entries`);
      // every one of them is a party of the session (the scientist receives the output)
      assert.is(delta(i, 'peermpc_mpc_session_rounds_count', { protocol: 'rep3' }), 1, d.name);
      assert.ok(delta(i, 'peermpc_mpc_session_rounds_sum') > 0, `${d.name}: rounds`);
      assert.ok(delta(i, 'peermpc_mpc_session_bytes_sum', { direction: 'received' }) > 0, `${d.name}: bytes`);
      assert.ok(
        delta(i, 'peermpc_mpc_step_wait_seconds_count', { protocol: 'rep3' }) > 0,
        `${d.name}: steps`,
      );
      const compute = { phase: 'compute', protocol: 'rep3' };
      assert.is(delta(i, 'peermpc_job_phase_duration_seconds_count', compute), 1, d.name);
    }
    for (const i of [0, 1]) {
      assert.is(delta(i, 'peermpc_job_decisions_total', { decision: 'approved', by: 'policy' }), 2);
      assert.ok(delta(i, 'peermpc_mpc_session_bytes_sum', { direction: 'sent' }) > 0, 'owners send shares');
    }
    assert.is(delta(2, 'peermpc_job_decisions_total', { decision: 'approved', by: 'person' }), 1);
    assert.is(delta(2, 'peermpc_job_decisions_total', { decision: 'rejected', by: 'person' }), 1);
    assert.is(delta(3, 'peermpc_job_decisions_total'), 0, 'the scientist decides nothing');
    assert.is(delta(3, 'peermpc_job_phase_duration_seconds_count', { phase: 'approval' }), 1);

    // nothing identifying and no value: neither as a label nor anywhere in the body
    const secrets = [...all.map((d) => d.peerId), one.id, two.id, REASON];
    const released = done.result!.flatMap((o) => o.values.filter((v): v is number => v !== null));
    assert.ok(released.length > 0);
    for (const [i, d] of all.entries()) {
      const body = (await scrape(d.dataDir)).body;
      for (const s of secrets) assert.not.ok(body.includes(s), `${d.name}: ${s} in the metrics`);
      const values = labelValues(after[i]!);
      for (const v of released)
        assert.not.ok(values.has(String(v)), `${d.name}: a released value as a label`);
      for (const f of after[i]!.values()) {
        for (const s of f.samples)
          for (const [k, v] of Object.entries(s.labels))
            if (k !== 'le' && k !== 'quantile')
              assert.not.match(v, /^[0-9a-f]{32}$|^12D3Koo|^Qm/, `${d.name}: ${f.name}{${k}="${v}"}`);
      }
    }
  }));

test.run();
