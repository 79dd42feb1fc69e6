/**
 * The audit log's decoders (src/jobs/audit): the log file, its head and the peers' heads file as
 * the daemon opens them (AuditLog with repair, verify, list, append) and as `audit verify
 * --offline` reads them (verifyAuditOffline, readHeadsFile); and the audit messages of the jobs
 * protocol (wire.ts parseAuditMessage, parseHeldReply; messages.ts parseMessage). Mutated logs are
 * re-chained, re-hashed and re-signed with the peer's test key when the tree's `fix` flag is set,
 * so mutations get past the hash and the signature.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  entryHash,
  headSigningBytes,
  legacyEntryHash,
  parseSignedHead,
} from '../../../src/jobs/audit/entry.js';
import { auditSignerFromKey, auditVerifier, type AuditSigner } from '../../../src/jobs/audit/keys.js';
import { AuditLog, GENESIS_HASH } from '../../../src/jobs/audit/log.js';
import { verifyAuditOffline } from '../../../src/jobs/audit/open.js';
import { PeerHeadsStore } from '../../../src/jobs/audit/peer-heads.js';
import { segmentFile } from '../../../src/jobs/audit/segments.js';
import { parseAuditMessage, parseHeldReply } from '../../../src/jobs/audit/wire.js';
import { AuditLogError } from '../../../src/jobs/errors.js';
import { parseMessage } from '../../../src/jobs/service/messages.js';
import { serialize } from '../lib/mutate-json.js';
import { freshDir } from '../lib/scratch.js';
import { expectErrors, InvariantError, jsonTarget, packFiles, unpackFiles } from '../lib/target.js';
import { dictionary, identities, NOW } from './world.js';

const ID = '0123456789abcdef0123456789abcdef';
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

let signerP: Promise<AuditSigner> | undefined;
/** The audit signer of identity 2 (an owner): the log's peer. */
function signer(): Promise<AuditSigner> {
  signerP ??= identities().then(([, owner]) => auditSignerFromKey(owner!.key, owner!.peerId));
  return signerP;
}

/** Seed logs, written by AuditLog itself. */
async function seedLogs(): Promise<unknown[]> {
  const s = await signer();
  const dir = freshDir('audit-seed');
  const log = new AuditLog(join(dir, 'audit.log'), { signer: s, now: () => NOW });
  log.append({ type: 'job.received', job: ID, requester: s.peerId });
  log.append({ type: 'job.decided', job: ID, decision: 'approved', by: 'policy', reason: 'auto' });
  log.append({ type: 'job.state', job: ID, state: 'done' });
  const text = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const lines = text('audit.log')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  const head = JSON.parse(text('audit.log.head')) as unknown;
  const heldHead: Record<string, unknown> = { ...(lines.at(-1) as object), job: ID, at: NOW.toISOString() };
  for (const k of ['v', 'time', 'event', 'prev']) delete heldHead[k];
  const peers = { v: 1, held: { [s.peerId]: { heads: [heldHead], conflicts: [] } }, sent: {} };
  log.archive({ keep: 1, now: NOW }); // entries 1-2 to a gzipped segment, listed in the index
  const index = JSON.parse(text(join('audit.log.segments', 'index.json'))) as {
    segments: { file: string }[];
  };
  const segment = gunzipSync(readFileSync(join(dir, 'audit.log.segments', index.segments[0]!.file)))
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  const live = text('audit.log')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  return [
    { fix: true, lines, head, peers },
    { fix: false, lines, head, peers: null },
    { fix: true, lines: lines.slice(0, 1), head: null, peers },
    { fix: true, segment, members: 1, index, lines: live, head: JSON.parse(text('audit.log.head')), peers },
  ];
}

/**
 * Re-chains, re-hashes and re-signs whatever looks like an entry (a pure function of the tree):
 * the archived segment's, then the live log's; the head and the index's first segment follow.
 */
function fixChain(
  segment: unknown[],
  lines: unknown[],
  head: unknown,
  index: unknown,
  sign: AuditSigner,
): void {
  let prev = GENESIS_HASH;
  let last: Record<string, unknown> | undefined;
  let first: Record<string, unknown> | undefined;
  for (const [k, e] of [...segment, ...lines].entries()) {
    if (k === segment.length) {
      const seg = isObj(index) && Array.isArray(index.segments) ? index.segments[0] : undefined;
      if (isObj(seg) && first !== undefined && last !== undefined) {
        const fields = { first: first.seq, last: last.seq, prev: first.prev, hash: last.hash, sig: last.sig };
        for (const [f, v] of Object.entries(fields)) if (f in seg) seg[f] = v;
        if ('file' in seg) seg.file = segmentFile(Number(first.seq), Number(last.seq));
      }
    }
    if (!isObj(e) || typeof e.seq !== 'number') continue;
    if ('prev' in e) e.prev = prev;
    try {
      const hash = 'v' in e ? entryHash(e as never) : legacyEntryHash(e as never);
      if ('hash' in e) e.hash = hash;
      if ('sig' in e) e.sig = Buffer.from(sign.sign(headSigningBytes(e.seq, hash))).toString('base64url');
      prev = hash;
      first ??= e;
      last = e;
    } catch {
      // not hashable: left as it is
    }
  }
  if (isObj(head) && last !== undefined)
    for (const k of ['seq', 'hash', 'sig']) if (k in head) head[k] = last[k];
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const text = (lines: unknown[]): string => lines.map((l) => serialize(l) + '\n').join('');

/** The log, head, peers, segments index and segment files (NUL-separated) of a tree. */
async function encodeLog(tree: unknown): Promise<Uint8Array> {
  const t = isObj(tree) ? tree : { lines: tree };
  const [segment, lines] = [list(t.segment), list(t.lines)];
  if (t.fix === true) fixChain(segment, lines, t.head, t.index, await signer());
  const opt = (v: unknown): string => (v === null || v === undefined ? '' : serialize(v));
  // the segment is gzip, `members` times over (gunzip reads concatenated members: a compact bomb)
  const members = Math.max(0, Math.min(4096, Math.floor(Number(t.members) || 0)));
  const gz = members > 0 ? gzipSync(text(segment)) : new Uint8Array(0);
  const segFile = Buffer.concat(Array.from({ length: members }, () => gz));
  return packFiles(text(lines), opt(t.head), opt(t.peers), opt(t.index), segFile);
}

/** The file the index's first segment names, when it is a plain file name. */
function segmentName(index: Uint8Array | undefined): string {
  try {
    const file = (JSON.parse(Buffer.from(index ?? []).toString()) as { segments: { file: unknown }[] })
      .segments[0]!.file;
    if (typeof file === 'string' && /^[\w.-]{1,64}$/.test(file) && file !== 'index.json') return file;
  } catch {
    // not an index: any name will do
  }
  return segmentFile(1, 1);
}

/** See the module comment. */
export const auditLogTarget = jsonTarget({
  name: 'audit-log',
  summary:
    'audit.log, .head, .peers.json, archived segments: verifyAuditOffline, AuditLog open, verify, list, append',
  seeds: seedLogs,
  dictionary: [
    ...(await dictionary()),
    'job.received',
    'job.decided',
    'job.state',
    'audit.signed',
    'audit.repaired',
    'audit.archived',
    'audit.pruned',
    'access.denied',
    'seq',
    'prev',
    'hash',
    'sig',
    'v',
    'event',
    'time',
    'fix',
    'members',
    'segments',
    'file',
    'first',
    'last',
    'pruned',
    GENESIS_HASH,
  ],
  encode: encodeLog,
  textMutations: 0.15,
  async run(bytes) {
    const [log, head, peers, index, segment] = unpackFiles(bytes, 5);
    const dir = freshDir('audit-log');
    const path = join(dir, 'audit.log');
    writeFileSync(path, log!);
    if ((index?.length ?? 0) > 0 || (segment?.length ?? 0) > 0) {
      mkdirSync(`${path}.segments`);
      if (index !== undefined && index.length > 0)
        writeFileSync(join(`${path}.segments`, 'index.json'), index);
      if (segment !== undefined && segment.length > 0)
        writeFileSync(join(`${path}.segments`, segmentName(index)), segment);
    }
    if (head !== undefined && head.length > 0) writeFileSync(`${path}.head`, head);
    const heads: string[] = [];
    if (peers !== undefined && peers.length > 0) {
      writeFileSync(`${path}.peers.json`, peers);
      heads.push(`${path}.peers.json`);
    }
    const s = await signer();
    const offline = verifyAuditOffline(dir, { peerId: s.peerId });
    try {
      verifyAuditOffline(dir, { peerId: s.peerId, headsFiles: heads });
    } catch (err) {
      if (!(err instanceof AuditLogError)) throw err;
    }
    const store = new PeerHeadsStore(`${path}.peers.json`);
    try {
      store.peers();
      store.of(s.peerId);
    } catch (err) {
      if (!(err instanceof AuditLogError)) throw err;
    }
    const opened = new AuditLog(path, { signer: s, now: () => NOW });
    opened.list({ job: ID, limit: 5, archived: true });
    opened.append({ type: 'job.state', job: ID, state: 'failed', reason: 'fuzz' });
    const after = opened.verify();
    if (offline.ok && !after.ok)
      throw new InvariantError(
        `an intact log fails verification after open and append: ${JSON.stringify(after.problems.slice(0, 2))}`,
      );
    return after.entries;
  },
  expected: expectErrors(AuditLogError),
});

/** See the module comment. */
export const auditWireTarget = jsonTarget({
  name: 'audit-wire',
  summary:
    'audit messages: parseMessage/parseAuditMessage (audit-head, audit-held), parseHeldReply, head signatures',
  async seeds() {
    const [, , entry] = ((await seedLogs())[0] as { lines: Record<string, unknown>[] }).lines;
    const head = { peer: (await signer()).peerId, seq: entry!.seq, hash: entry!.hash, sig: entry!.sig };
    return [
      { type: 'audit-head', jobId: ID, head },
      { type: 'audit-held' },
      { ok: true, heads: [head, { ...head, seq: 1 }] },
    ];
  },
  dictionary: [
    ...(await dictionary()),
    'audit-head',
    'audit-held',
    'peer',
    'seq',
    'hash',
    'sig',
    'heads',
    'ok',
  ],
  run(bytes) {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    parseHeldReply(isObj(value) ? value.heads : value);
    if (isObj(value) && (value.type === 'audit-head' || value.type === 'audit-held')) {
      parseMessage(value);
      const m = parseAuditMessage(value);
      if (m.type === 'audit-head') {
        const v = auditVerifier(m.head.peer);
        if (v !== undefined)
          v.verify(headSigningBytes(m.head.seq, m.head.hash), Buffer.from(m.head.sig, 'base64url'));
      }
      return m.type;
    }
    return isObj(value) && 'head' in value ? parseSignedHead(value.head) : undefined;
  },
  expected: expectErrors(TypeError, SyntaxError),
});
