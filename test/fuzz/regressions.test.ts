/**
 * REGRESSIONS FOUND BY THE FUZZER (docs/FUZZING.md). Each test states the behaviour the decoder
 * promises, with the minimized input the fuzzer found; each failed when it was written and passes
 * since its fix. Replay an input with `npm run fuzz -- <target> --input <file>`.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auditSignerFromKey } from '../../src/jobs/audit/keys.js';
import { AuditLog } from '../../src/jobs/audit/log.js';
import { verifyAuditOffline } from '../../src/jobs/audit/open.js';
import { segmentsDir } from '../../src/jobs/audit/segments.js';
import { ProgramValidationError, ReleaseLedgerError } from '../../src/jobs/errors.js';
import { createJob } from '../../src/jobs/job/sign.js';
import { verifySignedJob } from '../../src/jobs/job/verify.js';
import { ReleaseLedger } from '../../src/jobs/policy/releases.js';
import { parseProgram } from '../../src/jobs/program/validate.js';
import { loadJobsConfig } from '../../src/jobs/service/config.js';
import { JobStore } from '../../src/jobs/store.js';
import { datasetRecordKey, datasetRecordValidator } from '../../src/node/catalog/keys.js';
import { buildDescription, verifySignedDescription } from '../../src/node/dataset/description.js';
import { decodeFrameBody, encodeJobId, FrameError } from '../../src/node/mpc/frame.js';
import { beginGuard, endGuard, installGuard } from './lib/guard.js';
import { identities } from './targets/world.js';

installGuard(); // counts zlib's output buffers (Buffer.allocUnsafe) for the audit test

const dirs: string[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'peermpc-fuzz-reg-'));
  dirs.push(d);
  return d;
}
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Calls `fn`; returns the error's class name ('' when it returned). */
async function thrown(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return '';
  } catch (err) {
    return (err as Error).name;
  }
}

const program = (version: string, params: string): unknown =>
  JSON.parse(
    `{"version":${version},"inputs":[{"name":"h","columns":["a"]}],` +
      `"nodes":[{"id":"q","op":"histogram","args":["h"],"params":${params}}],"outputs":[{"name":"o","node":"q"}]}`,
  );

// Fixed (failed when written). fuzz target `program`; reachable through the control API (POST /jobs ->
// JobsService.submit -> createJob -> parseProgram) and `peermpc job run --program`: a 500 / crash
// instead of a 400. parseProgram quotes the version with JSON.stringify, which overflows the stack.
test('program: a deeply nested "version" is a ProgramValidationError, not a RangeError', async () => {
  const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
  assert.is(await thrown(() => parseProgram(program(deep, '{"edges":[0,1]}'))), 'ProgramValidationError');
});

// Fixed (failed when written). fuzz target `program`: JSON `1e999` parses to Infinity; parseProgram keeps it
// and createJob's programHash throws CanonicalJsonError (the API answers 500, not 400).
// Minimized input: {"version":1,...,"params":{"edges":[1e999]}}
test('program: a non-finite number in params is a ProgramValidationError when a job is built', async () => {
  const [req, owner] = await identities();
  const build = (): unknown =>
    createJob({
      requester: req!.peerId,
      program: program('1', '{"edges":[0,1e999]}') as never,
      inputs: [{ name: 'h', owner: owner!.peerId, dataset: 'd', columns: ['a'], rows: 10 }],
      computeParties: [owner!.peerId],
      protocol: 'plaintext',
    });
  const name = await thrown(build);
  assert.is(name, new ProgramValidationError('', 'x').name, `got ${name}`);
});

// Fixed in 86b8672 (failed when written). fuzz target `jobs-config`: parseQuotas checked
// `k in DEFAULT_QUOTAS`, true for inherited names: {"quotas":{"toString":1}} was accepted.
test('jobs config: inherited names are unknown quotas', () => {
  for (const k of ['toString', 'hasOwnProperty', 'constructor', '__proto__']) {
    const d = dir();
    writeFileSync(join(d, 'config.json'), `{"quotas":{${JSON.stringify(k)}:1}}`);
    assert.throws(() => loadJobsConfig(d), /unknown quota/, k);
  }
});

// Fixed in 86b8672 (failed when written). fuzz target `job-records`: a record that parses as JSON
// but is not a record (minimized: `{}`, or a nested "state") was kept by JobStore, then list() /
// prune() threw a TypeError (or RangeError). JobsService.sweep calls both from a setInterval: the
// daemon's uncaughtException handler shut it down, at every start while the file was there.
test('job records: a malformed record file is skipped, never thrown', () => {
  for (const text of [
    '{}',
    '{"id":"x","state":"nope"}',
    // found later (seed s4): a complete record whose state is not a state
    JSON.stringify({
      ...{ id: '0'.repeat(32), state: 'nope', history: [], roles: [], updated: '2030-01-01T00:00:00Z' },
      signed: { job: { created: '2030-01-01T00:00:00Z' } },
    }),
    `{"state":${'['.repeat(5000)}${']'.repeat(5000)}}`,
  ]) {
    const d = dir();
    mkdirSync(join(d, 'records'));
    writeFileSync(join(d, 'records', `${'0'.repeat(32)}.json`), text);
    writeFileSync(join(d, 'records', `${'1'.repeat(32)}.json`), text);
    const store = new JobStore(d);
    store.list();
    store.prune(new Date());
  }
});

// Found by seed s4 after the key decoder became strict: a DHT record value that is not UTF-8
// threw the decoder's TypeError out of the kad-dht validator; it is a SyntaxError, as bad JSON is.
test('dataset records: a value that is not UTF-8 is a SyntaxError', async () => {
  const [, owner] = await identities();
  const key = datasetRecordKey(owner!.peerId, 'patients');
  assert.is(await thrown(() => datasetRecordValidator(key, new Uint8Array([0x80]))), 'SyntaxError');
});

// Fixed (failed when written). fuzz target `releases`: entryProblem tests String(digest), and String() of a
// deeply nested array overflows the stack: a RangeError instead of a ReleaseLedgerError.
test('release ledger: a line with a deeply nested digest is a ReleaseLedgerError', async () => {
  const d = dir();
  const line = (digest: string): string =>
    `{"job":"j","requester":"r","dataset":"p","rows":1,"time":"t","sets":[{"columns":["a"],"digest":${digest}}]}\n`;
  const ok = line(JSON.stringify('a'.repeat(64)));
  writeFileSync(join(d, 'releases.jsonl'), ok + line('['.repeat(10_000) + ']'.repeat(10_000)) + ok);
  const name = await thrown(() => new ReleaseLedger(d).entries());
  assert.is(name, new ReleaseLedgerError('', 0, '').name, `got ${name}`);
});

// Fixed (failed when written, low). fuzz target `frame`: the strict UTF-8 decoder drops a leading
// byte order mark, so a job id "\uFEFFx" arrives as "x" and an id of only a BOM arrives as "", which
// the encoder refuses. Minimized input (ready frame): 16000000 02 14 efbbbf + 17 zero bytes.
test('frames: a job id decodes to the exact bytes sent (or is refused)', () => {
  for (const id of [
    [0xef, 0xbb, 0xbf],
    [0xef, 0xbb, 0xbf, 0x61],
  ]) {
    const body = new Uint8Array([2, id.length, ...id]);
    let jobId: string;
    try {
      jobId = decodeFrameBody(body).jobId;
    } catch (err) {
      assert.instance(err, FrameError);
      continue;
    }
    assert.equal([...encodeJobId(jobId)], id);
  }
});

// Fixed in 30efce1 (failed when written). SEVERE: a remote, unauthenticated CPU denial of service.
// Fuzz target `access` (a deny entry of 104,000 characters: 14 s), then `job`. Decoding a base58
// peer id is quadratic (40 KB: 1.5 s; 1 MB: ~15 min) and nothing bounded a peer id's length before
// peerIdFromString: verifySignedJob (requester, owners, compute parties, dealer of a proposed job;
// a jobs message may be 4 MiB), verifySignedDescription (a catalog response, a DHT record),
// access.json, config files. The ids here are 1 MB: were they decoded, this file would hang past
// the test runner's timeout instead of passing; no clock is read.
test('peer ids from the wire: an over-long one is refused without being decoded', async () => {
  const [, owner] = await identities();
  const long = '12D3KooW' + 'a'.repeat(1_000_000);
  const job = { job: { version: 1, id: '0'.repeat(32), requester: long }, signature: 'AAAA' };
  const description = buildDescription({
    ...{ name: 'patients', owner: long, description: '', columns: ['a'], magnitudes: [1], rows: 1 },
    ...{ tags: [], mock: [], mockSource: 'synthetic', policy: {} },
  });
  assert.is(await thrown(() => verifySignedJob(job)), 'JobVerificationError');
  assert.is(
    await thrown(() => verifySignedDescription({ description, signature: 'AAAA' }, owner!.peerId)),
    'DescriptionVerificationError',
  );
});

// Fixed (failed when written). fuzz target `audit-log` (input built with its `members` field: one gzip member
// repeated): readSegment gunzips an archived segment with maxOutputLength 512 MiB, so a 600 KB
// segment file makes `audit verify` (offline too) allocate ~512 MiB and take seconds. The entries
// the index gives the segment bound what it may decompress to.
test('audit: a gzip bomb in an archived segment is refused without allocating 64 MiB', async () => {
  const [, owner] = await identities();
  const d = dir();
  const path = join(d, 'audit.log');
  const log = new AuditLog(path, { signer: auditSignerFromKey(owner!.key, owner!.peerId) });
  for (const state of ['running', 'done'] as const)
    log.append({ type: 'job.state', job: '0'.repeat(32), state });
  log.archive({ keep: 1 });
  const [file] = readdirSync(segmentsDir(path)).filter((f) => f.endsWith('.gz'));
  const member = gzipSync(Buffer.alloc(1 << 20, 0x61));
  writeFileSync(join(segmentsDir(path), file!), Buffer.concat(Array.from({ length: 600 }, () => member)));
  beginGuard(64 * 2 ** 20);
  try {
    verifyAuditOffline(d, { peerId: owner!.peerId });
  } catch {
    // refusing it is fine
  }
  const { violation } = endGuard();
  assert.is(violation, undefined);
});

// Fixed (failed when written, low). fuzz target `audit-log`, seed campaign-5, input 423 (killed
// after 6 s): readHead sorted Object.keys of whatever the head file parsed to, and a JSON string
// has one key per character: a 2 MB head file holding a string took seconds (and ~100 MB) to open
// or verify. A head file is now bounded before it is parsed and must hold an object: a string is
// malformed, and so is a real head padded past the bound (which JSON.parse alone would accept).
test('audit: a head file that is a long string, or over-long, is malformed', async () => {
  const [, owner] = await identities();
  const signer = auditSignerFromKey(owner!.key, owner!.peerId);
  const heads = [
    JSON.stringify('\\'.repeat(2_000_000)),
    JSON.stringify(['x']),
    (real: string) => real.trimEnd() + ' '.repeat(5_000) + '\n',
  ];
  for (const head of heads) {
    const d = dir();
    const path = join(d, 'audit.log');
    new AuditLog(path, { signer }).append({ type: 'job.state', job: '0'.repeat(32), state: 'done' });
    const real = readFileSync(`${path}.head`, 'utf8');
    writeFileSync(`${path}.head`, typeof head === 'string' ? head : head(real));
    const result = verifyAuditOffline(d, { peerId: owner!.peerId });
    assert.is(result.ok, false, String(typeof head));
    assert.match(JSON.stringify(result.problems), /head/);
  }
});

test.run();
