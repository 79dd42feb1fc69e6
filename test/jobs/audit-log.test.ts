/**
 * The signed audit log (issue 11, points 3, 4, 8, 9): lines are exactly the hashed fields, every
 * entry is signed, a crash is repaired rather than reported as tampering, v0.1 logs stay readable,
 * archived segments keep the chain, and signed heads held by other peers catch a truncation or a
 * rewrite that the log alone cannot show. Attacks: an edited line, an extra field, `event: null`,
 * a deleted middle line, a truncated tail after a peer saw the head, a forged signature.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  entryHash,
  GENESIS_HASH,
  headSigningBytes,
  legacyEntryHash,
  parseLine,
  type AuditEntry,
  type SignedAuditHead,
} from '../../src/jobs/audit/entry.js';
import { auditSignerFromKey, type AuditSigner } from '../../src/jobs/audit/keys.js';
import { AuditLog, type AuditLogOptions } from '../../src/jobs/audit/log.js';
import { openAuditLog, verifyAuditOffline } from '../../src/jobs/audit/open.js';
import { MAX_HEADS_PER_PEER, PeerHeadsStore } from '../../src/jobs/audit/peer-heads.js';
import { parseAuditRetention } from '../../src/jobs/audit/retention.js';
import { segmentsDir } from '../../src/jobs/audit/segments.js';
import { identity, type TestIdentity } from './helpers/keys.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'peermpc-auditlog-'));
  dirs.push(d);
  return d;
}
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let me: TestIdentity;
let other: TestIdentity;
let signer: AuditSigner;
test.before(async () => {
  me = await identity();
  other = await identity();
  signer = auditSignerFromKey(me.key as never, me.peerId);
});

const JOB = (i: number): string => `${i % 10}`.repeat(32);

function open(path: string, extra: Partial<AuditLogOptions> = {}): AuditLog {
  return new AuditLog(path, { signer, ...extra });
}

function filled(n = 5, extra: Partial<AuditLogOptions> = {}): AuditLog {
  const log = open(join(tmp(), 'audit.log'), extra);
  for (let i = 0; i < n; i++)
    log.append({
      type: 'job.received',
      job: JOB(i),
      requester: 'peer',
      programHash: 'a'.repeat(64),
      datasets: ['o/patients'],
    });
  return log;
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').trimEnd().split('\n');
const write = (path: string, ls: string[]): void => writeFileSync(path, ls.join('\n') + '\n');
const problems = (log: AuditLog): string =>
  log
    .verify()
    .problems.map((p) => `${p.file}:${p.line}: ${p.problem}`)
    .join('\n');

/** A line re-signed by `key` after its content changed (what someone with a key could write). */
function resign(e: AuditEntry, sign: (b: Uint8Array) => Uint8Array): AuditEntry {
  const hash = entryHash(e);
  return { ...e, hash, sig: Buffer.from(sign(headSigningBytes(e.seq, hash))).toString('base64url') };
}

// ---------------------------------------------------------------- format and tampering

test('entries are signed lines with exactly the hashed fields; the log verifies and reopens', () => {
  const log = filled();
  const first = JSON.parse(lines(log.path)[0]!) as Record<string, unknown>;
  assert.equal(Object.keys(first).sort(), ['event', 'hash', 'prev', 'seq', 'sig', 'time', 'v']);
  assert.is(first.v, 2);
  const v = log.verify();
  assert.ok(v.ok, problems(log));
  assert.is(v.entries, 5);
  assert.ok(v.signaturesChecked);
  const again = open(log.path);
  again.append({ type: 'job.state', job: JOB(9), state: 'done' });
  assert.ok(again.verify().ok);
  assert.is(again.list({ job: JOB(9) }).length, 1);
  assert.is(again.list({ limit: 2 }).length, 2);
  assert.equal(again.head()!.seq, 6);
});

test('an edited line is detected (hash), and one whose hash was recomputed is not signed', () => {
  const log = filled();
  const ls = lines(log.path);
  ls[2] = ls[2]!.replace('o/patients', 'o/other');
  write(log.path, ls);
  assert.match(problems(log), /audit\.log:3: entry 3 was edited/);
  const e = JSON.parse(ls[2]!) as AuditEntry;
  ls[2] = JSON.stringify({ ...e, hash: entryHash(e) });
  write(log.path, ls);
  assert.match(problems(log), /audit\.log:3: entry 3 is not signed by/);
  assert.is(log.list().length, 4, 'the forged line is not listed');
});

test('a forged signature (another key signs a rewritten line) is detected', () => {
  const log = filled();
  const ls = lines(log.path);
  const e = JSON.parse(ls[1]!) as AuditEntry;
  const forged = resign(
    { ...e, event: { ...e.event, datasets: ['o/forged'] } },
    (b) => other.key.sign(b) as Uint8Array,
  );
  ls[1] = JSON.stringify(forged);
  write(log.path, ls);
  const v = log.verify();
  assert.not.ok(v.ok);
  assert.match(problems(log), /entry 2 is not signed by/);
  // its successor no longer follows it
  assert.match(problems(log), /entry 3 does not follow/);
});

test('a line with an extra top-level field is tampering, never listed', () => {
  const log = filled();
  const ls = lines(log.path);
  const e = JSON.parse(ls[1]!) as Record<string, unknown>;
  ls[1] = JSON.stringify({ ...e, note: 'approved by the board' });
  write(log.path, ls);
  const v = log.verify();
  assert.not.ok(v.ok);
  assert.match(problems(log), /audit\.log:2: not a valid audit entry \(unknown field "note"/);
  const listing = log.listing();
  assert.is(listing.entries.length, 4);
  assert.not.ok(JSON.stringify(listing.entries).includes('board'));
  assert.equal(
    listing.invalid.map((p) => p.line),
    [2],
  );
});

test('event null, a missing field, a malformed event: tampering; list({ job }) never throws', () => {
  for (const mutate of [
    (e: Record<string, unknown>) => ({ ...e, event: null }),
    (e: Record<string, unknown>) => ({ ...e, event: 'job.state' }),
    (e: Record<string, unknown>) => ({ ...e, event: { ...(e.event as object), state: 5 } }),
    (e: Record<string, unknown>) => ({ ...e, event: { ...(e.event as object), values: [1, 2] } }),
    (e: Record<string, unknown>) => ({ ...e, event: { job: JOB(1) } }),
    (e: Record<string, unknown>) => {
      const { sig: _sig, ...rest } = e;
      return rest;
    },
    (e: Record<string, unknown>) => ({ ...e, seq: '2' }),
    (e: Record<string, unknown>) => ({ ...e, time: 12 }),
    (e: Record<string, unknown>) => ({ ...e, v: 3 }),
  ]) {
    const log = filled();
    const ls = lines(log.path);
    ls[1] = JSON.stringify(mutate(JSON.parse(ls[1]!) as Record<string, unknown>));
    write(log.path, ls);
    assert.not.ok(log.verify().ok, ls[1]);
    assert.match(problems(log), /audit\.log:2: not a valid audit entry/, ls[1]);
    const listed = log.listing({ job: JOB(1) });
    assert.is(listed.entries.length, 0, ls[1]);
    assert.is(listed.invalid.length, 1);
    assert.is(log.list({ job: JOB(2) }).length, 1);
  }
});

test('a deleted middle line and reordered lines are detected', () => {
  const log = filled();
  const ls = lines(log.path);
  write(log.path, [...ls.slice(0, 2), ...ls.slice(3)]);
  assert.match(problems(log), /entries 3\.\.3 are missing/);
  const log2 = filled();
  const ls2 = lines(log2.path);
  [ls2[1], ls2[2]] = [ls2[2]!, ls2[1]!];
  write(log2.path, ls2);
  assert.not.ok(log2.verify().ok);
});

test('deleted last lines are detected by the head; a truncation with the head rewritten is not (locally)', () => {
  const log = filled();
  const ls = lines(log.path);
  write(log.path, ls.slice(0, 3));
  assert.match(problems(log), /the log ends at entry 3 but the head says 5 \(last lines deleted\)/);
  // the head rewritten to entry 3 (genuine, signed): locally undetectable
  const e3 = JSON.parse(ls[2]!) as AuditEntry;
  writeFileSync(
    `${log.path}.head`,
    JSON.stringify({ v: 2, peer: me.peerId, seq: 3, hash: e3.hash, sig: e3.sig }),
  );
  assert.ok(log.verify().ok);
});

test('a head held by another peer catches a truncation after that peer saw it', () => {
  const log = filled(6);
  const seen: SignedAuditHead = log.head()!;
  assert.ok(log.verify({ held: [{ holder: other.peerId, heads: [seen] }] }).ok);
  const ls = lines(log.path);
  write(log.path, ls.slice(0, 4));
  const e4 = JSON.parse(ls[3]!) as AuditEntry;
  writeFileSync(
    `${log.path}.head`,
    JSON.stringify({ v: 2, peer: me.peerId, seq: 4, hash: e4.hash, sig: e4.sig }),
  );
  assert.ok(log.verify().ok, 'locally intact');
  const v = log.verify({ held: [{ holder: other.peerId, heads: [seen] }] });
  assert.not.ok(v.ok);
  assert.is(v.peers![0]!.confirmed, 0);
  assert.match(
    v.peers![0]!.problems[0]!,
    /entry 6 .* but the log ends at entry 4: truncated after that peer saw it/,
  );
});

test('a head held by another peer catches a rewrite by someone holding the key; forged heads are ignored', () => {
  const log = filled(6);
  const seen = log.head()!;
  // the administrator rewrites entry 2 and re-signs everything after it with the peer's own key
  const entries = lines(log.path).map((l) => JSON.parse(l) as AuditEntry);
  let prev = entries[0]!.hash;
  const rewritten = entries.map((e, i) => {
    if (i === 0) return e;
    const changed = { ...e, prev, event: i === 1 ? { ...e.event, datasets: ['o/rewritten'] } : e.event };
    const r = resign(changed, (b) => signer.sign(b));
    prev = r.hash;
    return r;
  });
  write(
    log.path,
    rewritten.map((e) => JSON.stringify(e)),
  );
  const last = rewritten.at(-1)!;
  writeFileSync(
    `${log.path}.head`,
    JSON.stringify({ v: 2, peer: me.peerId, seq: last.seq, hash: last.hash, sig: last.sig }),
  );
  assert.ok(log.verify().ok, 'a consistent rewrite with the key passes locally');
  const forged: SignedAuditHead = {
    ...seen,
    seq: 3,
    sig: Buffer.from(other.key.sign(headSigningBytes(3, seen.hash)) as Uint8Array).toString('base64url'),
  };
  const v = log.verify({ held: [{ holder: other.peerId, heads: [seen, forged] }] });
  assert.not.ok(v.ok);
  assert.match(v.peers![0]!.problems.join(), /entry 6 with hash .* rewritten after that peer saw it/);
  assert.match(v.notes.join(), /never signed: ignored/);
});

// ---------------------------------------------------------------- crashes

test('a head one entry behind (crash between append and head update) is a note, repaired at open', () => {
  const log = filled(3);
  const headBefore = readFileSync(`${log.path}.head`, 'utf8');
  log.append({ type: 'job.state', job: JOB(3), state: 'done' });
  writeFileSync(`${log.path}.head`, headBefore); // the crash: the head never moved
  const ro = new AuditLog(log.path, { peer: me.peerId, readOnly: true });
  const v = ro.verify();
  assert.ok(v.ok, JSON.stringify(v.problems));
  assert.match(v.notes.join(), /head is one entry behind/);
  assert.is(readFileSync(`${log.path}.head`, 'utf8'), headBefore, 'read-only changes nothing');
  const reopened = open(log.path);
  assert.match(reopened.repairs.join(), /one entry behind/);
  const after = reopened.verify();
  assert.ok(after.ok, JSON.stringify(after.problems));
  assert.equal(after.notes, []);
  assert.is(reopened.list().at(-1)!.event.type, 'audit.repaired');
});

test('a head two entries behind is not a crash: reported', () => {
  const log = filled(3);
  const headBefore = readFileSync(`${log.path}.head`, 'utf8');
  log.append({ type: 'job.state', job: JOB(3), state: 'done' });
  log.append({ type: 'job.state', job: JOB(4), state: 'done' });
  writeFileSync(`${log.path}.head`, headBefore);
  const reopened = open(log.path);
  assert.equal(reopened.repairs, []);
  assert.match(problems(reopened), /head file does not match/);
});

test('a torn last line (crash during an append) is a note, removed at open; stale temporary files too', () => {
  const log = filled(3);
  const full = JSON.stringify({
    v: 2,
    seq: 4,
    time: new Date().toISOString(),
    event: { type: 'job.state' },
    prev: 'f'.repeat(64),
  });
  writeFileSync(log.path, readFileSync(log.path, 'utf8') + full.slice(0, 40));
  writeFileSync(`${log.path}.head.4242.tmp`, '{"seq":');
  const ro = new AuditLog(log.path, { peer: me.peerId, readOnly: true });
  const v = ro.verify();
  assert.ok(v.ok, JSON.stringify(v.problems));
  assert.match(v.notes.join(), /torn last line/);
  assert.is(ro.list().length, 3);
  const reopened = open(log.path);
  assert.match(reopened.repairs.join('; '), /torn last line \(40 bytes/);
  assert.match(reopened.repairs.join('; '), /temporary file/);
  assert.not.ok(existsSync(`${log.path}.head.4242.tmp`));
  assert.ok(reopened.verify().ok, problems(reopened));
  assert.is(reopened.verify().notes.length, 0);
});

test('a crash before the first head exists is repaired; a missing head of a longer log is reported', () => {
  const path = join(tmp(), 'audit.log');
  const log = open(path);
  log.append({ type: 'policy.changed', dataset: 'd', reason: 'set' });
  rmSync(`${path}.head`);
  assert.ok(new AuditLog(path, { peer: me.peerId, readOnly: true }).verify().ok);
  assert.ok(open(path).verify().ok);
  const log2 = filled(3);
  rmSync(`${log2.path}.head`);
  assert.match(problems(open(log2.path)), /head file is missing/);
});

// ---------------------------------------------------------------- v0.1 logs

function legacyLog(n: number): string {
  const path = join(tmp(), 'audit.log');
  let prev = GENESIS_HASH;
  const out: string[] = [];
  for (let i = 1; i <= n; i++) {
    const base = {
      seq: i,
      time: new Date(Date.UTC(2024, 0, i)).toISOString(),
      event: { type: 'job.state' as const, job: JOB(i), state: 'done' as const },
      prev,
    };
    const hash = legacyEntryHash(base);
    out.push(JSON.stringify({ ...base, hash }));
    prev = hash;
  }
  write(path, out);
  writeFileSync(`${path}.head`, JSON.stringify({ seq: n, hash: prev }) + '\n');
  return path;
}

test('a v0.1 (unsigned) log stays readable; the first open signs its tail; edits stay detectable', () => {
  const path = legacyLog(4);
  const ro = new AuditLog(path, { peer: me.peerId, readOnly: true }).verify();
  assert.ok(ro.ok, JSON.stringify(ro.problems));
  assert.is(ro.legacy, 4);
  const log = open(path);
  const signedEntry = log.list().at(-1)!;
  assert.is(signedEntry.event.type, 'audit.signed');
  assert.equal(signedEntry.event.entries, { first: 1, last: 4 });
  log.append({ type: 'job.state', job: JOB(5), state: 'done' });
  const v = log.verify();
  assert.ok(v.ok, problems(log));
  assert.is(v.legacy, 4);
  assert.is(v.entries, 6);
  // a legacy line rewritten with its hash (and every later legacy hash) recomputed: the signed entry breaks
  const ls = lines(path);
  let prev = GENESIS_HASH;
  for (let i = 0; i < 4; i++) {
    const e = JSON.parse(ls[i]!) as AuditEntry;
    const changed = { ...e, prev, event: i === 1 ? { ...e.event, job: JOB(7) } : e.event };
    const hash = legacyEntryHash(changed);
    ls[i] = JSON.stringify({ ...changed, hash });
    prev = hash;
  }
  write(path, ls);
  assert.match(problems(log), /entry 5 does not follow the previous line/);
});

test('an unsigned line after signed ones is tampering', () => {
  const log = filled(3);
  const e = JSON.parse(lines(log.path)[2]!) as AuditEntry;
  const base = {
    seq: 4,
    time: e.time,
    event: { type: 'job.state' as const, job: JOB(4), state: 'done' as const },
    prev: e.hash,
  };
  writeFileSync(
    log.path,
    readFileSync(log.path, 'utf8') + JSON.stringify({ ...base, hash: legacyEntryHash(base) }) + '\n',
  );
  writeFileSync(`${log.path}.head`, JSON.stringify({ seq: 4, hash: legacyEntryHash(base) }));
  assert.match(problems(log), /entry 4 is unsigned after signed entries/);
});

// ---------------------------------------------------------------- archive and retention

test('archive moves old entries to a segment; verify and list walk it; the chain is unchanged', () => {
  const log = filled(30);
  const headBefore = log.head()!;
  const res = log.archive({ keep: 10 });
  assert.is(res.archived, 20);
  assert.is(res.first, 1);
  assert.is(res.last, 20);
  assert.is(lines(log.path).length, 11, 'ten kept and the audit.archived entry');
  const v = log.verify({ held: [{ holder: other.peerId, heads: [headBefore] }] });
  assert.ok(v.ok, problems(log));
  assert.is(v.entries, 31);
  assert.is(v.archived, 20);
  assert.is(v.segments, 1);
  assert.is(v.peers![0]!.confirmed, 1);
  assert.is(log.list().length, 11);
  assert.is(log.list({ archived: true }).length, 31);
  assert.is(log.list({ archived: true, job: JOB(3) }).length, 3);
  // archive again: a second segment continues the first
  log.archive({ keep: 2 });
  assert.ok(log.verify().ok, problems(log));
  assert.is(log.verify().segments, 2);
});

test('an edited or deleted archived segment is detected', () => {
  const log = filled(12);
  const { segment } = log.archive({ keep: 2 });
  const file = join(segmentsDir(log.path), segment!);
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  writeFileSync(file, gzipSync(text.replace('o/patients', 'o/edited')));
  assert.match(problems(log), new RegExp(`${segment}:1: entry 1 was edited`));
  rmSync(file);
  assert.match(problems(log), /is missing \(entries 1\.\.10\)/);
});

test('a crash in the middle of an archive is completed at open', () => {
  const log = filled(12);
  const liveBefore = readFileSync(log.path, 'utf8');
  const headBefore = readFileSync(`${log.path}.head`, 'utf8');
  log.archive({ keep: 2 });
  // the crash: the segment and the index were written, the live log was never rewritten
  writeFileSync(log.path, liveBefore);
  writeFileSync(`${log.path}.head`, headBefore);
  const reopened = open(log.path);
  assert.match(reopened.repairs.join(), /archive interrupted by a crash was completed/);
  const v = reopened.verify();
  assert.ok(v.ok, problems(reopened));
  assert.is(v.entries, 13); // 12 + audit.repaired
});

test('retention: the live log is archived past maxLiveEntries; old segments are pruned with a signed record', () => {
  let now = new Date('2025-01-01T00:00:00Z');
  const retention = parseAuditRetention({ maxLiveEntries: 20, keepLiveEntries: 5, segmentDays: 30 });
  const log = filled(50, { retention, now: () => now });
  const v = log.verify();
  assert.ok(v.ok, problems(log));
  assert.ok(v.live <= 21, `live ${v.live}`);
  assert.ok(v.segments >= 2);
  const total = v.entries;
  now = new Date('2025-03-01T00:00:00Z');
  log.append({ type: 'job.state', job: JOB(1), state: 'done' });
  const after = log.verify();
  assert.ok(after.ok, problems(log));
  assert.ok(after.pruned > 0);
  assert.is(after.segments, 0);
  assert.match(after.notes.join(), /deleted by retention/);
  assert.ok(log.list().some((e) => e.event.type === 'audit.pruned'));
  assert.ok(after.entries < total);
  // a pruned anchor without its signed record (segments deleted by hand) is reported
  const index = join(segmentsDir(log.path), 'index.json');
  const idx = JSON.parse(readFileSync(index, 'utf8')) as { pruned: { last: number } };
  const ls = lines(log.path);
  write(
    log.path,
    ls.filter((l) => !l.includes('audit.pruned')),
  );
  assert.match(
    problems(log),
    new RegExp(`entries 1\\.\\.${idx.pruned.last} are gone, but no signed audit.pruned entry`),
  );
});

test('retention settings are checked', () => {
  assert.throws(() => parseAuditRetention({ maxLiveEntries: 0 }), /maxLiveEntries/);
  assert.throws(() => parseAuditRetention({ keepLiveEntries: 20000 }), /below/);
  assert.throws(() => parseAuditRetention({ other: 1 }), /unknown audit setting/);
  assert.throws(() => parseAuditRetention(null), /object/);
  assert.equal(parseAuditRetention(undefined).segmentDays, 0);
});

// ---------------------------------------------------------------- offline, signer, held heads

test('verify --offline reads a data directory without a daemon, with heads files of other peers', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'peer.key'), privateKeyToProtobuf(me.key), { mode: 0o600 });
  mkdirSync(join(dir, 'jobs'));
  const log = openAuditLog({
    path: join(dir, 'audit.log'),
    self: me.peerId,
    signer: { sign: async () => new Uint8Array() },
    jobsDir: join(dir, 'jobs'),
  });
  for (let i = 0; i < 4; i++) log.append({ type: 'job.state', job: JOB(i), state: 'done' });
  const seen = log.head()!;
  const v = verifyAuditOffline(dir);
  assert.ok(v.ok);
  assert.is(v.peer, me.peerId);
  assert.ok(v.signaturesChecked);
  // another peer's held-heads file, in the form `audit heads --json` prints
  const store = new PeerHeadsStore(join(tmp(), 'held.json'));
  store.add(seen, JOB(1));
  const headsFile = join(tmp(), 'heads.json');
  writeFileSync(headsFile, JSON.stringify({ holder: other.peerId, held: store.held() }));
  const withHeads = verifyAuditOffline(dir, { headsFiles: [headsFile, store.path] });
  assert.ok(withHeads.ok);
  assert.equal(
    withHeads.peers!.map((p) => p.confirmed),
    [1, 1],
  );
  write(log.path, lines(log.path).slice(0, 2));
  const e2 = log.list().at(-1)!;
  writeFileSync(
    `${log.path}.head`,
    JSON.stringify({ v: 2, peer: me.peerId, seq: 2, hash: e2.hash, sig: e2.sig }),
  );
  assert.ok(verifyAuditOffline(dir).ok);
  assert.match(
    verifyAuditOffline(dir, { headsFiles: [headsFile] }).problems[0]!.problem,
    /truncated after that peer saw it/,
  );
  // a wrong peer id: every signature fails
  assert.not.ok(verifyAuditOffline(dir, { peerId: other.peerId }).ok);
});

test('the daemon signer (asynchronous) falls back to the key file; another key is refused', () => {
  const dir = tmp();
  assert.throws(
    () =>
      openAuditLog({
        path: join(dir, 'audit.log'),
        self: me.peerId,
        signer: { sign: async () => new Uint8Array() },
      }),
    /cannot read the peer key/,
  );
  writeFileSync(join(dir, 'peer.key'), privateKeyToProtobuf(other.key), { mode: 0o600 });
  assert.throws(
    () =>
      openAuditLog({
        path: join(dir, 'audit.log'),
        self: me.peerId,
        signer: { sign: async () => new Uint8Array() },
      }),
    /belongs to/,
  );
  assert.throws(() => open(join(dir, 'x.log'), { peer: other.peerId }), /cannot be signed by/);
});

test('held heads: bounded per peer and spread over the history; conflicting heads are kept as a fork', () => {
  const store = new PeerHeadsStore(join(tmp(), 'held.json'));
  const sign = (seq: number, hash: string): SignedAuditHead => ({
    peer: me.peerId,
    seq,
    hash,
    sig: Buffer.from(signer.sign(headSigningBytes(seq, hash))).toString('base64url'),
  });
  for (let i = 1; i <= 100; i++)
    assert.is(store.add(sign(i * 3, `${i % 10}`.repeat(64)), `${i}`.padStart(32, '0')), 'added');
  const held = store.held()[me.peerId]!.heads.map((h) => h.seq);
  assert.is(held.length, MAX_HEADS_PER_PEER);
  assert.is(held[0], 3, 'the oldest stays');
  assert.is(held.at(-1), 300, 'the newest stays');
  assert.is(store.add(sign(300, 'e'.repeat(64)), 'f'.repeat(32)), 'conflict');
  assert.is(store.of(me.peerId).length, MAX_HEADS_PER_PEER + 2);
  assert.is(store.add(sign(300, '0'.repeat(64)), '0'.repeat(32)), 'known');
  // persisted, and read back strictly
  const again = new PeerHeadsStore(store.path);
  assert.is(again.of(me.peerId).length, MAX_HEADS_PER_PEER + 2);
  writeFileSync(store.path, '{"v":1,"held":null,"sent":{}}');
  assert.throws(
    () => new PeerHeadsStore(store.path).of(me.peerId),
    (e: Error) => e.name === 'AuditLogError',
  );
});

test('the log bounds what it records: a 4 MB reason or 1,000 datasets cannot grow it by megabytes', () => {
  const log = filled(0);
  log.append({
    type: 'job.decided',
    job: JOB(1),
    reason: 'x'.repeat(4 << 20),
    datasets: Array(1000).fill('o/d'),
  });
  const line = lines(log.path)[0]!;
  assert.ok(line.length < 8_000, `${line.length}`);
  const e = log.list()[0]!;
  assert.match(e.event.reason!, /more characters\)$/);
  assert.is(e.event.datasets!.at(-1), '…(936 more)');
  assert.ok(log.verify().ok);
});

test('a log of a million blank lines is reported quickly, with a bounded list of problems', () => {
  const log = filled(2);
  writeFileSync(log.path, readFileSync(log.path, 'utf8') + '\n'.repeat(1 << 20));
  const t0 = performance.now();
  const reopened = open(log.path);
  const v = reopened.verify();
  const listing = reopened.listing({ limit: 5 });
  assert.ok(performance.now() - t0 < 5_000, `${performance.now() - t0} ms`);
  assert.not.ok(v.ok);
  assert.is(v.problems.length, 1_001);
  assert.match(v.problems.at(-1)!.problem, /and \d+ more problems/);
  assert.is(listing.entries.length, 2);
  assert.is(listing.invalid.length, 101);
});

test('parseLine is strict and never throws on garbage', () => {
  for (const raw of [
    '',
    'null',
    '[]',
    '{}',
    '{"seq":1}',
    '"x"',
    '{"__proto__":{}}',
    '1e999',
    '{"v":2,"sig":1}',
  ])
    assert.ok(parseLine(raw).problem !== undefined, raw);
  const ok = lines(filled(1).path)[0]!;
  assert.ok(parseLine(ok).entry !== undefined);
});

test('a copied log verifies with its peer id; stray segment files are noted', () => {
  const log = filled(8);
  log.archive({ keep: 3 });
  const dir = tmp();
  copyFileSync(log.path, join(dir, 'audit.log'));
  copyFileSync(`${log.path}.head`, join(dir, 'audit.log.head'));
  mkdirSync(join(dir, 'audit.log.segments'));
  for (const f of readdirSync(segmentsDir(log.path)))
    copyFileSync(join(segmentsDir(log.path), f), join(dir, 'audit.log.segments', f));
  writeFileSync(join(dir, 'audit.log.segments', '000000000099-000000000100.log.gz'), gzipSync(''));
  const v = verifyAuditOffline(dir, { peerId: me.peerId });
  assert.ok(v.ok, JSON.stringify(v.problems));
  assert.match(v.notes.join(), /not in the index/);
});

test.run();
