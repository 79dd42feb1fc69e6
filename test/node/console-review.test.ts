/**
 * The owner's console against a malicious requester: a daemon on a fake peer that runs a real job
 * service receives, through the service's own proposal path, a signed job whose fields the
 * requester chose to be as large as the job checks let them be: a dataset name of 200,000
 * characters (an input the requester owns itself: nothing checks that name) and creation and
 * expiry times padded with a parenthesised comment (which `Date.parse` accepts). Every page that
 * shows the job must stay small: a remote peer must not be able to grow the owner's pages by
 * megabytes per job (the jobs list shows up to 500 jobs) nor write free text where a time is shown.
 */
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../src/polyfills.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { createJob, signJob } from '../../src/jobs/job/sign.js';
import type { SignedJob } from '../../src/jobs/job/types.js';
import { shorthandProgram } from '../../src/jobs/program/shorthand.js';
import type { RequestHandler } from '../../src/node/request-protocol.js';
import { loadOrCreateIdentity } from '../../src/node/identity.js';
import { fakePeer } from './daemon-fake-peer.js';
import { identity, type TestIdentity } from '../jobs/helpers/keys.js';
import { consoleCode, get, login, redeem, type ConsoleLogin } from './console-helpers.js';

const HUGE = 200_000;
const PADDING = 'p'.repeat(50_000);

let dir: string;
let daemon: RunningDaemon;
let token: string;
let owner: TestIdentity;
let mallory: TestIdentity;
let handler: RequestHandler | undefined;
let jobs: SignedJob[];

/**
 * A proposal as a remote requester sends it, through the service's own path: `mine` (the
 * requester's own input) and `yours` (this peer's) name the datasets given; times padded.
 */
async function propose(mineName: string, yoursName: string): Promise<SignedJob> {
  const now = new Date();
  const job = createJob({
    requester: mallory.peerId,
    program: shorthandProgram({
      inputs: [
        { name: 'mine', columns: ['a', 'b'] },
        { name: 'yours', columns: ['a', 'b'] },
      ],
      stats: ['count'],
    }),
    inputs: [
      { name: 'mine', owner: mallory.peerId, dataset: mineName, columns: ['a', 'b'], rows: 3 },
      { name: 'yours', owner: owner.peerId, dataset: yoursName, columns: ['a', 'b'], rows: 3 },
    ],
    computeParties: [owner.peerId],
    protocol: 'plaintext',
    now,
  });
  job.created = `${now.toUTCString()} (${PADDING})`;
  job.expires = `${new Date(now.getTime() + 10 * 60_000).toUTCString()} (${PADDING})`;
  assert.ok(!Number.isNaN(Date.parse(job.created)), 'V8 reads the padded time');
  const signed = await signJob(job, mallory.key);
  assert.ok(handler, 'the job service serves its protocol');
  await handler!({ type: 'propose', signed }, mallory.peerId, {
    remoteAddr: '/ip4/127.0.0.1/tcp/1',
    relayed: false,
  }).catch(() => undefined); // refused or not
  return signed;
}

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peermpc-console-review-'));
  const key = await loadOrCreateIdentity(dir); // the audit log signs with the peer key file
  owner = { key, peerId: peerIdFromPrivateKey(key).toString() };
  mallory = await identity();
  daemon = await startDaemon({
    dataDir: dir,
    createPeer: async (init) => {
      const peer = fakePeer(init, owner.peerId);
      await peer.datasets.add({ csvPath: '/tmp/heights.csv', name: 'heights' });
      return Object.assign(peer, {
        sign: async (data: Uint8Array) => owner.key.sign(data),
        openSession: async () => {
          throw new Error('no sessions in this test');
        },
        handleRequests: async (_protocol: string, h: RequestHandler) => {
          handler = h;
        },
        request: async () => ({ ok: true }),
      });
    },
  });
  token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
  jobs = [await propose('d'.repeat(HUGE), 'heights'), await propose('heights', 'd'.repeat(HUGE))];
});

test.after(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function page(s: ConsoleLogin, path: string): Promise<string> {
  const res = await get(s.base + path, s.cookie);
  const body = await res.text();
  assert.is(res.status, 200, `GET ${path}: ${body.slice(0, 300)}`);
  return body;
}

test('the jobs reached the store through the proposal path', async () => {
  for (const { job } of jobs) {
    const res = await fetch(`${daemon.apiUrl}/jobs/${job.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.is(res.status, 200, await res.clone().text());
  }
});

test('a remote dataset name and padded times do not grow the jobs list, the job page or the audit page', async () => {
  const s = await login(daemon.apiUrl, token);
  const paths = ['/ui/', '/ui/jobs', '/ui/audit', ...jobs.map(({ job }) => `/ui/jobs/${job.id}`)];
  for (const path of paths) {
    const body = await page(s, path);
    assert.ok(body.length < 150_000, `${path} is ${body.length} characters`);
    assert.not.ok(body.includes('d'.repeat(1000)), `${path} shows the whole dataset name`);
    assert.not.ok(body.includes('p'.repeat(1000)), `${path} shows the padding of a time`);
  }
});

test('times are shown as the instant they name, not as the text a requester wrote', async () => {
  const s = await login(daemon.apiUrl, token);
  const { job } = jobs[0]!;
  const body = await page(s, `/ui/jobs/${job.id}`);
  const created = new Date(Date.parse(job.created)).toISOString();
  assert.match(body, `<time datetime="${created}">`);
  assert.not.match(body, /\(ppp/);
});

test('a login link used a second time ends the session the first use opened (a racing local user)', async () => {
  // another local user reads the URL from the process list (peermpc ui --open hands it to the
  // browser as an argument) and redeems it before the owner's browser does
  const { url } = await consoleCode(daemon.apiUrl, token);
  const stolen = await redeem(url);
  assert.is((await get(`${daemon.apiUrl}/ui/`, stolen)).status, 200);
  // the owner's browser arrives with the same code: refused, and the thief's session ends
  const owners = await get(url);
  assert.is(owners.status, 401);
  assert.is(owners.headers.get('set-cookie'), null);
  assert.match(await owners.text(), /already used.*ended/s);
  assert.is((await get(`${daemon.apiUrl}/ui/`, stolen)).status, 401, 'the first session is gone');
  // a third try is an ordinary refusal
  assert.is((await get(url)).status, 401);
});

test('logging in again from a browser that holds a session ends the old session', async () => {
  const first = await login(daemon.apiUrl, token);
  const { url } = await consoleCode(daemon.apiUrl, token);
  const res = await get(url, first.cookie);
  assert.is(res.status, 303);
  const second = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  assert.is.not(second, first.cookie);
  assert.is((await get(`${daemon.apiUrl}/ui/`, second)).status, 200);
  assert.is((await get(`${daemon.apiUrl}/ui/`, first.cookie)).status, 401, 'the replaced session is gone');
});

test.run();
