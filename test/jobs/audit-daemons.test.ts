/**
 * The signed audit log through real daemons (separate processes on 127.0.0.1; issue 11, points 3,
 * 4, 8, 9): the peers of a job exchange signed heads at its end and `audit verify --with-peers`
 * confirms them; `GET /audit` never shows (nor answers 500 on) a line with `event: null` or an extra
 * field, which `audit verify` reports; a truncation after the peers saw the head passes locally and
 * is shown by the peers (through the daemon and offline with their exported heads); `audit archive`
 * keeps the chain; a daemon killed mid-append is repaired at its next start, not reported as
 * tampering; a v0.1 data directory's unsigned log stays readable and is signed from then on.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../src/polyfills.js';
import type { AuditHeadsResponse, AuditListResponse } from '../../src/daemon/api/routes/audit.js';
import { GENESIS_HASH, legacyEntryHash, type AuditEntry } from '../../src/jobs/audit/entry.js';
import type { JobRecord } from '../../src/jobs/store.js';
import { cleanupAll, peermpc, startNetwork, type DemoNetwork } from '../../scripts/demo-network.js';
import {
  jobRequest,
  setPolicy,
  startJobsNetwork,
  waitForState,
  within,
  type JobsTestNetwork,
} from './helpers/daemons.js';

let t: JobsTestNetwork;
const roots: string[] = [];

test.before(async () => {
  t = await within(120_000, 'starting the network', startJobsNetwork);
});

test.after(async () => {
  await t?.net.stop();
  await cleanupAll();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const logOf = (dataDir: string): string => join(dataDir, 'audit.log');

/** Saves a daemon's audit files and restores them after `fn` (tampering tests leave no trace). */
async function tampered<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const log = readFileSync(logOf(dataDir), 'utf8');
  const head = readFileSync(`${logOf(dataDir)}.head`, 'utf8');
  try {
    return await fn();
  } finally {
    writeFileSync(logOf(dataDir), log);
    writeFileSync(`${logOf(dataDir)}.head`, head);
  }
}

async function heldBy(holder: JobsTestNetwork['scientist'], of: string): Promise<number> {
  const res = await holder.client.request<AuditHeadsResponse>('GET', '/audit/heads');
  return res.held[of]?.heads.length ?? 0;
}

let jobId = '';

test('a job’s peers exchange signed audit heads; audit verify --with-peers confirms them', () =>
  within(90_000, 'heads exchange', async () => {
    for (const h of t.hospitals) await setPolicy(h, { approval: 'auto' });
    const job = await t.scientist.client.request<JobRecord>('POST', '/jobs', jobRequest(t, ['mean']));
    jobId = job.id;
    for (const d of [t.scientist, ...t.hospitals]) {
      const r = await waitForState(d, job.id, ['done', 'failed', 'rejected'], 60_000);
      assert.is(r.state, 'done', `${d.name}: ${r.error?.message}`);
    }
    const everyone = [t.scientist, ...t.hospitals];
    const deadline = Date.now() + 20_000;
    for (;;) {
      const counts = await Promise.all(
        everyone.flatMap((a) => everyone.filter((b) => b !== a).map((b) => heldBy(a, b.peerId))),
      );
      if (counts.every((c) => c > 0)) break;
      if (Date.now() > deadline) throw new Error(`heads not exchanged: ${counts.join(',')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const h = t.hospitals[0]!;
    const res = await peermpc(['audit', 'verify', '--with-peers', '--data-dir', h.dataDir]);
    assert.is(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /audit log intact: .*every signature checked/);
    assert.is(res.stdout.match(/confirmed/g)?.length, 3, res.stdout);
    const heads = await peermpc(['audit', 'heads', '--data-dir', t.scientist.dataDir]);
    assert.is(heads.code, 0, heads.stderr);
    assert.match(heads.stdout, /PEER +HEADS/);
  }));

test('GET /audit never shows nor fails on event null or an extra field; audit verify reports them', () =>
  within(60_000, 'malformed lines', async () => {
    const h = t.hospitals[1]!;
    await tampered(h.dataDir, async () => {
      const lines = readFileSync(logOf(h.dataDir), 'utf8').trimEnd().split('\n');
      const i = lines.findIndex((l) => l.includes(jobId) && l.includes('"job.received"'));
      const j = lines.findIndex((l) => l.includes(jobId) && l.includes('"job.released"'));
      assert.ok(i > 0 && j > 0);
      lines[i] = JSON.stringify({ ...(JSON.parse(lines[i]!) as object), event: null });
      lines[j] = JSON.stringify({ ...(JSON.parse(lines[j]!) as object), note: 'approved by the board' });
      writeFileSync(logOf(h.dataDir), lines.join('\n') + '\n');
      const byJob = await h.client.request<AuditListResponse>('GET', `/audit?job=${jobId}`);
      assert.not.ok(
        byJob.entries.some((e) => e.event.type === 'job.received' || e.event.type === 'job.released'),
      );
      assert.equal(
        byJob.invalid.map((p) => p.line),
        [i + 1, j + 1],
      );
      const all = await h.client.request<AuditListResponse>('GET', '/audit?limit=1000');
      assert.not.match(JSON.stringify(all.entries), /board/);
      const cli = await peermpc(['audit', '--job', jobId, '--data-dir', h.dataDir]);
      assert.is(cli.code, 0, cli.stderr);
      assert.match(cli.stderr, /2 line\(s\) of the audit log are not valid entries/);
      const verify = await peermpc(['audit', 'verify', '--data-dir', h.dataDir]);
      assert.is(verify.code, 1);
      assert.match(
        verify.stdout,
        new RegExp(`line ${i + 1}: not a valid audit entry \\(its event is not an object\\)`),
      );
      assert.match(
        verify.stdout,
        new RegExp(`line ${j + 1}: not a valid audit entry \\(unknown field "note"`),
      );
    });
  }));

test('a truncation after the peers saw the head: intact locally, shown by the peers and offline', () =>
  within(60_000, 'truncation', async () => {
    const h = t.hospitals[2]!;
    const exported = join(t.net.root, 'scientist-heads.json');
    const heads = await peermpc(['audit', 'heads', '--json', '--data-dir', t.scientist.dataDir]);
    writeFileSync(exported, heads.stdout);
    await tampered(h.dataDir, async () => {
      const lines = readFileSync(logOf(h.dataDir), 'utf8').trimEnd().split('\n');
      const kept = lines.slice(0, -3);
      const last = JSON.parse(kept.at(-1)!) as AuditEntry;
      writeFileSync(logOf(h.dataDir), kept.join('\n') + '\n');
      writeFileSync(
        `${logOf(h.dataDir)}.head`,
        JSON.stringify({ v: 2, peer: h.peerId, seq: last.seq, hash: last.hash, sig: last.sig }),
      );
      const local = await peermpc(['audit', 'verify', '--data-dir', h.dataDir]);
      assert.is(local.code, 0, 'a truncation with the head rewritten is not visible locally');
      const withPeers = await peermpc(['audit', 'verify', '--with-peers', '--data-dir', h.dataDir]);
      assert.is(withPeers.code, 1, withPeers.stdout);
      assert.match(withPeers.stdout, /truncated after that peer saw it/);
      assert.match(withPeers.stdout, /CONTRADICTED/);
      const offline = await peermpc(['audit', 'verify', '--offline', h.dataDir, '--heads', exported]);
      assert.is(offline.code, 1, offline.stdout + offline.stderr);
      assert.match(offline.stdout, /truncated after that peer saw it/);
    });
    const offline = await peermpc(['audit', 'verify', '--offline', h.dataDir, '--heads', exported]);
    assert.is(offline.code, 0, offline.stdout + offline.stderr);
    assert.match(offline.stdout, /1 confirmed/);
  }));

test('a forged line (another key) is reported by the daemon', () =>
  within(30_000, 'forged', async () => {
    const h = t.hospitals[0]!;
    await tampered(h.dataDir, async () => {
      const lines = readFileSync(logOf(h.dataDir), 'utf8').trimEnd().split('\n');
      const e = JSON.parse(lines[1]!) as AuditEntry;
      // a signature of another entry: well-formed, not this entry's
      lines[1] = JSON.stringify({ ...e, sig: (JSON.parse(lines[0]!) as AuditEntry).sig });
      writeFileSync(logOf(h.dataDir), lines.join('\n') + '\n');
      const res = await peermpc(['audit', 'verify', '--data-dir', h.dataDir]);
      assert.is(res.code, 1);
      assert.match(res.stdout, /line 2: entry 2 is not signed by/);
    });
  }));

test('audit archive moves old entries to a segment; verify walks it; --archived lists them', () =>
  within(60_000, 'archive', async () => {
    const s = t.scientist;
    const before = await s.client.request<AuditListResponse>('GET', '/audit');
    const res = await peermpc(['audit', 'archive', '--keep', '2', '--data-dir', s.dataDir]);
    assert.is(res.code, 0, res.stderr);
    assert.match(
      res.stdout,
      /archived entries 1\.\.\d+ to \d{12}-\d{12}\.log\.gz; 3 entries in the live log/,
    );
    const verify = await peermpc(['audit', 'verify', '--with-peers', '--data-dir', s.dataDir]);
    assert.is(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, /archived in 1 segment/);
    const archived = await s.client.request<AuditListResponse>('GET', '/audit?archived=1');
    assert.is(archived.entries.length, before.entries.length + 1);
    const offline = await peermpc(['audit', 'verify', '--offline', s.dataDir]);
    assert.is(offline.code, 0, offline.stdout + offline.stderr);
  }));

// ---------------------------------------------------------------- one daemon, stopped and restarted

function legacyLog(dataDir: string, n: number): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let prev = GENESIS_HASH;
  const out: string[] = [];
  for (let i = 1; i <= n; i++) {
    const base = {
      seq: i,
      time: new Date(Date.UTC(2024, 0, i)).toISOString(),
      event: { type: 'policy.changed' as const, dataset: `d${i}`, reason: 'set' },
      prev,
    };
    prev = legacyEntryHash(base);
    out.push(JSON.stringify({ ...base, hash: prev }));
  }
  writeFileSync(logOf(dataDir), out.join('\n') + '\n');
  writeFileSync(`${logOf(dataDir)}.head`, JSON.stringify({ seq: n, hash: prev }) + '\n');
}

test('v0.1 log, then a kill mid-append: the old log is signed at start; the crash is repaired, not tampering', () =>
  within(150_000, 'restart', async () => {
    const root = mkdtempSync(join(tmpdir(), 'peermpc-audit-solo-'));
    roots.push(root);
    const dataDir = join(root, 'solo');
    legacyLog(dataDir, 3);
    let net: DemoNetwork = await startNetwork(['solo'], { root });
    try {
      const d = net.get('solo');
      let verify = await peermpc(['audit', 'verify', '--data-dir', dataDir]);
      assert.is(verify.code, 0, verify.stdout);
      assert.match(verify.stdout, /3 unsigned from v0\.1/);
      const list = await d.client.request<AuditListResponse>('GET', '/audit');
      assert.ok(list.entries.some((e) => e.event.type === 'audit.signed'));
      const csv = join(root, 'a.csv');
      writeFileSync(csv, 'x\n1\n');
      await d.client.addDataset({ csvPath: csv, name: 'a' });
      for (const approval of ['manual', 'auto', 'manual'])
        await d.client.request('PUT', '/policies/a', { approval });
      await d.kill();
      // the crash: the last append reached the log but not the head, and a next one was torn
      const lines = readFileSync(logOf(dataDir), 'utf8').trimEnd().split('\n');
      const prev = JSON.parse(lines.at(-2)!) as AuditEntry;
      writeFileSync(
        `${logOf(dataDir)}.head`,
        JSON.stringify({ v: 2, peer: d.peerId, seq: prev.seq, hash: prev.hash, sig: prev.sig }) + '\n',
      );
      appendFileSync(logOf(dataDir), lines.at(-1)!.slice(0, 57));
      const offline = await peermpc(['audit', 'verify', '--offline', dataDir]);
      assert.is(offline.code, 0, offline.stdout + offline.stderr);
      assert.match(offline.stdout, /note: .*torn last line/);
      assert.match(offline.stdout, /note: the head is one entry behind/);
      net = await startNetwork(['solo'], { root });
      verify = await peermpc(['audit', 'verify', '--data-dir', dataDir]);
      assert.is(verify.code, 0, verify.stdout);
      assert.not.match(verify.stdout, /note:/);
      const after = await net.get('solo').client.request<AuditListResponse>('GET', '/audit');
      const repaired = after.entries.find((e) => e.event.type === 'audit.repaired');
      assert.ok(repaired, JSON.stringify(after.entries.map((e) => e.event.type)));
      assert.match(repaired!.event.reason!, /torn last line \(57 bytes/);
      assert.match(repaired!.event.reason!, /one entry behind/);
    } finally {
      await net.stop();
    }
  }));

test.run();
