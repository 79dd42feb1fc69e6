/**
 * The owner's console with real daemons (three hospitals and a scientist, separate processes): a
 * job waiting for a person appears in the pending list and on its page, the event stream says so;
 * forms without the CSRF token or from another origin change nothing; approve through the form
 * runs the job, audited as a person's decision; reject stores the reason, rendered escaped where
 * the requester reads it; text from a dataset's CSV header is escaped; `peermpc ui` prints a
 * working URL, and `--open` without a browser only warns.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanupAll, peermpc } from '../../scripts/demo-network.js';
import type { JobRecord } from '../../src/jobs/store.js';
import {
  jobRequest,
  recordOn,
  setPolicy,
  startJobsNetwork,
  waitForState,
  within,
  type JobsTestNetwork,
} from '../jobs/helpers/daemons.js';
import {
  assertNoInlineCode,
  assertSecurityHeaders,
  csrfOf,
  get,
  login,
  postForm,
  readEvents,
  redeem,
  type ConsoleLogin,
} from './console-helpers.js';

let t: JobsTestNetwork;
let base: string;
let token: string;
const SAME_ORIGIN = (): Record<string, string> => ({ origin: base, 'sec-fetch-site': 'same-origin' });

test.before(async () => {
  t = await within(120_000, 'starting the network', startJobsNetwork);
  const manual = t.hospitals[2]!;
  for (const h of t.hospitals) await setPolicy(h, { approval: h === manual ? 'manual' : 'auto' });
  base = manual.client.url;
  token = readFileSync(join(manual.dataDir, 'api-token'), 'utf8').trim();
});

test.after(async () => {
  await t?.net.stop();
  await cleanupAll();
});

async function propose(): Promise<JobRecord> {
  return t.scientist.client.request<JobRecord>('POST', '/jobs', jobRequest(t, ['count', 'mean']));
}

async function page(s: ConsoleLogin, path: string): Promise<string> {
  const res = await get(base + path, s.cookie);
  assert.is(res.status, 200, `GET ${path}`);
  assertSecurityHeaders(res, path);
  const body = await res.text();
  assert.not.ok(body.includes(token), `the bearer token in ${path}`);
  assertNoInlineCode(body, path);
  return body;
}

test('a pending job: the event stream, the lists, the page; forms without CSRF change nothing; approve runs it', () =>
  within(120_000, 'approve through the console', async () => {
    const s = await login(base, token);
    const events = readEvents(base, s.cookie);
    try {
      assert.is(await events.status, 200);
      const job = await propose();
      await events.next((e) => e.job === job.id, 20_000);
      const jobs = await page(s, '/ui/jobs');
      const pending = /<ul id="pending-jobs"[^>]*>([\s\S]*?)<\/ul>/.exec(jobs)?.[1] ?? '';
      assert.match(pending, `data-job-id="${job.id}"`);
      assert.match(pending, `href="/ui/jobs/${job.id}"`);
      const view = await page(s, `/ui/jobs/${job.id}`);
      assert.match(view, /id="job-state"[^>]*>proposed</);
      assert.match(view, `<form id="approve" method="post" action="/ui/jobs/${job.id}/approve">`);
      assert.match(view, `<form id="reject" method="post" action="/ui/jobs/${job.id}/reject">`);
      assert.match(view, /<label for="reject-reason">/);
      assert.match(view, /<svg[^>]*role="img"/);
      assert.match(view, /id="job-verdict"/);
      assert.is(csrfOf(view), s.csrf);

      const approve = `${base}/ui/jobs/${job.id}/approve`;
      const refusals: [Record<string, string>, Record<string, string>][] = [
        [{}, SAME_ORIGIN()],
        [{ csrf: 'x'.repeat(s.csrf.length) }, SAME_ORIGIN()],
        [{ csrf: s.csrf }, { origin: 'http://attacker.example' }],
        [{ csrf: s.csrf }, { 'sec-fetch-site': 'cross-site' }],
      ];
      for (const [fields, headers] of refusals) {
        const res = await postForm(approve, s.cookie, fields, headers);
        assert.is(res.status, 403, JSON.stringify([fields, headers]));
      }
      const forged = await postForm(approve, undefined, { csrf: s.csrf }, SAME_ORIGIN());
      assert.is(forged.status, 401);
      const still = await recordOn(t.hospitals[2]!, job.id);
      assert.is(still?.state, 'proposed');
      assert.is(still?.approvals[t.hospitals[2]!.peerId]?.decision, 'pending');

      const ok = await postForm(approve, s.cookie, { csrf: s.csrf }, SAME_ORIGIN());
      assert.is(ok.status, 303, await ok.clone().text());
      assert.is(ok.headers.get('location'), `/ui/jobs/${job.id}`);
      const done = await waitForState(t.scientist, job.id, ['done', 'failed', 'rejected'], 60_000);
      assert.is(done.state, 'done');
      await events.next((e) => e.job === job.id && e.state === 'done', 30_000);
      const audit = await page(s, `/ui/audit?q=${job.id}`);
      assert.match(audit, /<tr data-audit-type="job\.decided">/);
      assert.match(audit, /id="audit-status"[^>]*>\s*verified/);
      const history =
        /<table id="job-history"[^>]*>([\s\S]*?)<\/table>/.exec(await page(s, '/ui/jobs'))?.[1] ?? '';
      assert.match(history, `data-job-id="${job.id}"`);
    } finally {
      events.stop();
    }
  }));

test('reject through the form: the reason is stored, and shown escaped to the requester', () =>
  within(90_000, 'reject through the console', async () => {
    const s = await login(base, token);
    const job = await propose();
    const reason = '<script>alert(1)</script> too broad & "vague"';
    const res = await postForm(
      `${base}/ui/jobs/${job.id}/reject`,
      s.cookie,
      { csrf: s.csrf, reason },
      SAME_ORIGIN(),
    );
    assert.is(res.status, 303, await res.clone().text());
    const mine = await waitForState(t.hospitals[2]!, job.id, ['rejected', 'cancelled']);
    assert.is(mine.approvals[t.hospitals[2]!.peerId]?.reason, reason);
    const theirs = await waitForState(t.scientist, job.id, ['rejected', 'done', 'failed']);
    assert.is(theirs.state, 'rejected');
    // the requester's console renders the owner's reason as text
    const sciToken = readFileSync(join(t.scientist.dataDir, 'api-token'), 'utf8').trim();
    const sci = await login(t.scientist.client.url, sciToken);
    const view = await (await get(`${sci.base}/ui/jobs/${job.id}`, sci.cookie)).text();
    assert.match(view, /id="job-state"[^>]*>rejected</);
    assert.match(view, '&lt;script&gt;alert(1)&lt;/script&gt; too broad &amp; &quot;vague&quot;');
    assert.not.match(view, /<script>alert/);
    assertNoInlineCode(view, 'the requester job page');
    // a second decision on the same job is the API's typed error, as a page
    const again = await postForm(
      `${base}/ui/jobs/${job.id}/approve`,
      s.cookie,
      { csrf: s.csrf },
      SAME_ORIGIN(),
    );
    assert.is(again.status, 409);
    assert.match(await again.text(), /InvalidTransitionError/);
  }));

test('a dataset whose CSV header and description hold markup is rendered as text', () =>
  within(60_000, 'escaping', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peermpc-console-csv-'));
    try {
      const csv = join(dir, 'x.csv');
      writeFileSync(csv, '<script>alert(1)</script>,<b>bold</b>\n1,2\n3,4\n');
      await t.hospitals[2]!.client.addDataset({ csvPath: csv, name: 'marked', description: '<i>hi</i>' });
      const s = await login(base, token);
      const view = await page(s, '/ui/datasets/marked');
      assert.match(view, '&lt;script&gt;alert(1)&lt;/script&gt;');
      assert.match(view, '&lt;b&gt;bold&lt;/b&gt;');
      assert.match(view, '&lt;i&gt;hi&lt;/i&gt;');
      assert.not.match(view, /<script>alert|<b>bold|<i>hi/);
      await page(s, '/ui/datasets');
      await page(s, '/ui/');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }));

test('peermpc ui prints a login URL that works once; --open without a browser only warns', () =>
  within(60_000, 'peermpc ui', async () => {
    const dataDir = t.hospitals[2]!.dataDir;
    const run = await peermpc(['ui', '--data-dir', dataDir]);
    assert.is(run.code, 0, run.stderr);
    const url = run.stdout.trim();
    assert.match(url, new RegExp(`^${base}/ui/login\\?code=[A-Za-z0-9_-]{43}$`));
    assert.not.ok(run.stdout.includes(token));
    const cookie = await redeem(url);
    assert.is((await get(`${base}/ui/`, cookie)).status, 200);
    assert.is((await get(url)).status, 401);
    const empty = mkdtempSync(join(tmpdir(), 'peermpc-no-browser-'));
    try {
      const open = await peermpc(['ui', '--open', '--data-dir', dataDir], { env: { PATH: empty } });
      assert.is(open.code, 0, open.stderr);
      assert.match(open.stdout, `${base}/ui/login?code=`);
      assert.match(open.stderr, /warning: could not open a browser/);
      const json = await peermpc(['ui', '--json', '--data-dir', dataDir]);
      const body = JSON.parse(json.stdout) as { code: string; url: string; expiresAt: string };
      assert.is(body.url, `${base}/ui/login?code=${body.code}`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }));

test.run();
