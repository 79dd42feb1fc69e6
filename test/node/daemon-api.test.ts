/**
 * The daemon's control API in-process, with a fake peer: token, routing, body limits, error
 * mapping, the files in the data directory, the one-daemon-per-directory lock, and shutdown.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiClient, ApiRequestError, DaemonNotRunningError } from '../../src/daemon/api/client.js';
import { ApiAddressFileError } from '../../src/daemon/api-file.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { DataDirLockedError } from '../../src/daemon/lock.js';
import { ConfigError } from '../../src/daemon/config.js';
import { statusOf } from '../../src/daemon/api/errors.js';
import { fakePeer, namedError, type FakePeer } from './daemon-fake-peer.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'peermpc-daemon-api-'));
  dirs.push(d);
  return d;
}

async function withDaemon(
  fn: (d: RunningDaemon, client: ApiClient, peer: FakePeer, dir: string) => Promise<void>,
  dataDir = tmp(),
  maxBody?: number,
): Promise<void> {
  if (maxBody !== undefined)
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ apiMaxBodyBytes: maxBody }));
  let peer: FakePeer | undefined;
  const d = await startDaemon({
    dataDir,
    createPeer: async (init) => (peer = fakePeer(init)),
  });
  try {
    await fn(d, ApiClient.fromDataDir(dataDir, { timeoutMs: 5000 }), peer!, dataDir);
  } finally {
    await d.stop();
  }
}

async function rejects(p: Promise<unknown>, status: number, name?: string): Promise<ApiRequestError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, ApiRequestError);
    const e = err as ApiRequestError;
    assert.is(e.status, status, `status of ${e.name}: ${e.message}`);
    if (name !== undefined) assert.is(e.name, name);
    return e;
  }
  assert.unreachable(`expected HTTP ${status}`);
  throw new Error('unreachable');
}

test('start writes api.json and a 0600 token; stop removes them and the lock', async () => {
  const dir = tmp();
  await withDaemon(async (d, _c, peer) => {
    const api = JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as {
      url: string;
      pid: number;
      peerId: string;
    };
    assert.is(api.url, d.apiUrl);
    assert.ok(api.url.startsWith('http://127.0.0.1:'));
    assert.is(api.pid, process.pid);
    assert.is(api.peerId, peer.peerId);
    assert.is(statSync(join(dir, 'api-token')).mode & 0o777, 0o600);
    assert.ok(existsSync(join(dir, 'daemon.lock')));
    assert.is(peer.init.dataDir, dir);
  }, dir);
  assert.not.ok(existsSync(join(dir, 'api.json')));
  assert.not.ok(existsSync(join(dir, 'api-token')));
  assert.not.ok(existsSync(join(dir, 'daemon.lock')));
  assert.throws(
    () => ApiClient.fromDataDir(dir),
    (e: Error) => e instanceof DaemonNotRunningError,
  );
});

test('a corrupt api.json is a named error for clients, and does not stop a shutdown from cleaning up', async () => {
  const dir = tmp();
  await withDaemon(async () => {
    writeFileSync(join(dir, 'api.json'), '{ not json');
    assert.throws(
      () => ApiClient.fromDataDir(dir),
      (e: Error) => e instanceof ApiAddressFileError && e.name === 'ApiAddressFileError',
    );
  }, dir);
  assert.ok(existsSync(join(dir, 'api.json')), 'not ours: left alone');
  assert.not.ok(existsSync(join(dir, 'api-token')));
  assert.not.ok(existsSync(join(dir, 'daemon.lock')));
});

test('requests without the token, or with a wrong one, get 401', async () => {
  await withDaemon(async (d, client) => {
    await rejects(new ApiClient({ url: d.apiUrl }).status(), 401, 'UnauthorizedError');
    await rejects(new ApiClient({ url: d.apiUrl, token: 'nope' }).status(), 401, 'UnauthorizedError');
    const res = await fetch(d.apiUrl + '/status', { headers: { authorization: 'Basic abc' } });
    assert.is(res.status, 401);
    assert.is(res.headers.get('www-authenticate'), 'Bearer');
    const body = (await res.json()) as { error: { name: string; message: string } };
    assert.is(body.error.name, 'UnauthorizedError');
    assert.ok((await client.status()).peerId);
  });
});

test('a new daemon start issues a new token: the old one stops working', async () => {
  const dir = tmp();
  let old = '';
  await withDaemon(async () => {
    old = readFileSync(join(dir, 'api-token'), 'utf8').trim();
  }, dir);
  await withDaemon(async (d) => {
    await rejects(new ApiClient({ url: d.apiUrl, token: old }).status(), 401);
  }, dir);
});

test('status, peers, connect and ping', async () => {
  await withDaemon(async (_d, client, peer) => {
    const s = await client.status();
    assert.is(s.peerId, peer.peerId);
    assert.is(s.pid, process.pid);
    assert.type(s.version, 'string');
    assert.ok(s.uptimeMs >= 0);
    const { peers } = await client.peers();
    assert.equal(
      peers.map((p) => p.peerId),
      ['alpha', 'zeta'],
    );
    assert.equal(await client.connect('/ip4/127.0.0.1/tcp/9/p2p/x'), { peerId: 'remote-peer' });
    assert.equal(await client.ping('x'), { peerId: 'x', rttMs: 1.5 });
    await rejects(client.connect('bad'), 400, 'InvalidPeerAddressError');
    assert.equal(peer.calls.slice(0, 3), ['dial /ip4/127.0.0.1/tcp/9/p2p/x', 'ping x', 'dial bad']);
  });
});

test('dataset routes: add, list, search, show, remove, and the peer errors mapped to statuses', async () => {
  await withDaemon(async (_d, client, peer) => {
    const added = await client.addDataset({
      csvPath: '/data/x.csv',
      name: 'heights',
      tags: ['health'],
      description: 'd',
    });
    assert.is(added.signed.description.name, 'heights');
    assert.equal(added.signed.description.tags, ['health']);
    const { datasets } = await client.listDatasets();
    assert.equal(
      datasets.map((x) => x.signed.description.name),
      ['heights'],
    );
    const result = await client.searchDatasets('health', { by: 'tag', searchTimeoutMs: 1000 });
    assert.is(result.found.length, 1);
    assert.is(result.rejected[0]!.reason, 'bad signature');
    assert.ok(peer.calls.includes('search health tag 1000'));
    assert.is((await client.showDataset(peer.peerId, 'heights')).description.owner, peer.peerId);
    await rejects(client.showDataset(peer.peerId, 'nothere'), 404, 'DatasetNotFoundError');
    await rejects(client.addDataset({ csvPath: '/data/x.csv', name: 'heights' }), 409, 'DatasetExistsError');
    const bad = await rejects(
      client.addDataset({ csvPath: '/data/bad.csv', name: 'b' }),
      400,
      'CsvImportError',
    );
    assert.match(bad.message, /row 3, column "b"/);
    assert.equal(await client.removeDataset('heights'), { name: 'heights', removed: true });
    await rejects(client.removeDataset('heights'), 404, 'NotFoundError');
  });
});

test('bad requests: unknown route 404, wrong method 405, invalid fields 400, bad JSON 400', async () => {
  await withDaemon(async (d, client) => {
    await rejects(client.request('GET', '/nope'), 404, 'NotFoundError');
    await rejects(client.request('PUT', '/status'), 405, 'MethodNotAllowedError');
    await rejects(
      client.request('POST', '/datasets', { csvPath: 'relative.csv', name: 'x' }),
      400,
      'BadRequestError',
    );
    await rejects(client.request('POST', '/datasets', { csvPath: '/a.csv' }), 400, 'BadRequestError');
    await rejects(client.request('POST', '/datasets', { csvPath: '/a.csv', name: 'x', tags: 'a,b' }), 400);
    await rejects(client.request('POST', '/datasets', [1, 2]), 400);
    await rejects(client.request('GET', '/datasets/search'), 400);
    await rejects(client.request('GET', '/datasets/search?term=x&by=nope'), 400);
    await rejects(client.request('GET', '/datasets/search?term=x&timeoutMs=-1'), 400);
    const token = readFileSync(join(d.dataDir, 'api-token'), 'utf8').trim();
    const res = await fetch(d.apiUrl + '/peers/connect', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"target": ',
    });
    assert.is(res.status, 400);
    const text = await fetch(d.apiUrl + '/peers/connect', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.is(text.status, 415);
    await client.status(); // still serving
  });
});

test('request bodies over the limit get 413', async () => {
  await withDaemon(
    async (_d, client) => {
      await rejects(client.connect('x'.repeat(2000)), 413, 'PayloadTooLargeError');
      assert.equal(await client.connect('small'), { peerId: 'remote-peer' });
    },
    tmp(),
    1000,
  );
});

test('a second daemon on the same data dir is refused; a stale lock is taken over', async () => {
  const dir = tmp();
  await withDaemon(async () => {
    try {
      await startDaemon({ dataDir: dir, createPeer: async (init) => fakePeer(init) });
      assert.unreachable('second daemon started');
    } catch (err) {
      assert.instance(err, DataDirLockedError);
      assert.match((err as Error).message, /already running on data dir/);
    }
    assert.ok(existsSync(join(dir, 'api.json')), 'the refused start left the running daemon files alone');
  }, dir);
  writeFileSync(join(dir, 'daemon.lock'), '999999999\n'); // no such pid
  await withDaemon(async (_d, client) => {
    assert.ok((await client.status()).peerId);
  }, dir);
});

test('an invalid config file is refused, naming the field, and leaves no files behind', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ listen: 'not-an-array' }));
  try {
    await startDaemon({ dataDir: dir, createPeer: async (init) => fakePeer(init) });
    assert.unreachable('started with a bad config');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, /"listen"/);
  }
  assert.not.ok(existsSync(join(dir, 'daemon.lock')));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ lisen: [] }));
  try {
    await startDaemon({ dataDir: dir, createPeer: async (init) => fakePeer(init) });
    assert.unreachable('started with an unknown field');
  } catch (err) {
    assert.match((err as Error).message, /unknown field "lisen"/);
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ bootstrap: ['/ip4/1.2.3.4/tcp/1'] }));
  try {
    await startDaemon({ dataDir: dir, createPeer: async (init) => fakePeer(init) });
    assert.unreachable('started with a bootstrap address without a peer id');
  } catch (err) {
    assert.match(
      (err as Error).message,
      /"bootstrap" entry "\/ip4\/1.2.3.4\/tcp\/1" must end in \/p2p\/<peer id>/,
    );
  }
});

test('config overrides reach the peer', async () => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      bootstrap: ['/ip4/1.2.3.4/tcp/1/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'],
      deny: ['bad'],
    }),
  );
  let init: FakePeer['init'] | undefined;
  const d = await startDaemon({
    dataDir: dir,
    overrides: { listen: ['/ip4/127.0.0.1/tcp/0'], allowPrivateAddresses: true },
    createPeer: async (i) => {
      init = i;
      return fakePeer(i);
    },
  });
  await d.stop();
  assert.equal(init?.listen, ['/ip4/127.0.0.1/tcp/0']);
  assert.equal(init?.bootstrap, [
    '/ip4/1.2.3.4/tcp/1/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp',
  ]);
  assert.equal(init?.access, { allow: [], deny: ['bad'] });
  assert.is(init?.allowPrivateAddresses, true);
});

test('stop aborts a running request and stops the peer', async () => {
  const dir = tmp();
  let peer: FakePeer | undefined;
  const d = await startDaemon({ dataDir: dir, createPeer: async (init) => (peer = fakePeer(init)) });
  const client = ApiClient.fromDataDir(dir, { timeoutMs: 5000 });
  const slow = client.showDataset('x', 'slow').then(
    () => 'resolved',
    (e: Error) => e.name,
  );
  await new Promise((r) => setTimeout(r, 100));
  await d.stop();
  const outcome = await slow;
  assert.ok(['ShuttingDownError', 'DaemonNotRunningError', 'TypeError'].includes(outcome), outcome);
  assert.ok(peer!.stopped);
  await d.stop(); // idempotent
});

test('stop order: API closed, then stop hooks (last registered first), then the peer', async () => {
  const order: string[] = [];
  let peer: FakePeer | undefined;
  const d = await startDaemon({
    dataDir: tmp(),
    createPeer: async (init) => {
      peer = fakePeer(init);
      const stop = peer.stop.bind(peer);
      peer.stop = async (o) => {
        order.push('peer');
        await stop(o);
      };
      return peer;
    },
    extraRoutes: (router, ctx) => {
      router.get('/extra', async () => ({ extra: true }));
      ctx.onStop(() => void order.push('first hook'));
      ctx.onStop(async () => {
        order.push('second hook');
        throw new Error('a failing hook does not stop the shutdown');
      });
    },
  });
  const client = ApiClient.fromDataDir(d.dataDir, { timeoutMs: 5000 });
  assert.equal(await client.request('GET', '/extra'), { extra: true });
  await d.stop();
  assert.equal(order, ['second hook', 'first hook', 'peer']);
});

test('error names map to statuses', () => {
  const cases: Array<[string, number]> = [
    ['CsvImportError', 400],
    ['InvalidNameError', 400],
    ['DatasetNotFoundError', 404],
    ['DatasetExistsError', 409],
    ['AccessDeniedError', 403],
    ['CatalogRequestError', 502],
    ['DialError', 502],
    ['ConnectionFailedError', 502],
    ['TimeoutError', 504],
    ['InvalidParametersError', 400],
    ['SomethingElse', 500],
  ];
  for (const [name, status] of cases) assert.is(statusOf(namedError(name, 'x')), status, name);
  assert.is(statusOf('not an error'), 500);
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
