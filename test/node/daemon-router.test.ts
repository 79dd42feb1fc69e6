/** The control API's router and HTTP server on their own: matching, params, per-route timeouts. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiClient, ApiRequestError } from '../../src/daemon/api/client.js';
import { MethodNotAllowedError, NotFoundError } from '../../src/daemon/api/errors.js';
import { RouteResponse, Router } from '../../src/daemon/api/router.js';
import { ApiServer } from '../../src/daemon/api/server.js';

const ok = async (): Promise<unknown> => ({});

test('match: static segments, decoded params, registration order, 404 and 405', () => {
  const router = new Router()
    .get('/datasets/search', ok)
    .get('/datasets/:owner/:name', ok)
    .delete('/datasets/:name', ok)
    .post('/jobs', ok, { timeoutMs: 0 });
  assert.equal(router.match('GET', '/datasets/a%2Fb/c%20d').params, { owner: 'a/b', name: 'c d' });
  assert.equal(router.match('GET', '/datasets/search').params, {});
  assert.equal(router.match('DELETE', '/datasets/search').params, { name: 'search' });
  assert.equal(router.match('GET', '/datasets/search/').params, {}, 'a trailing slash is ignored');
  assert.equal(router.match('POST', '/jobs').options, { timeoutMs: 0 });
  assert.throws(
    () => router.match('GET', '/nope'),
    (e: Error) => e instanceof NotFoundError,
  );
  assert.throws(
    () => router.match('PUT', '/datasets/x'),
    (e: Error) => e instanceof MethodNotAllowedError && e.allowed.join() === 'DELETE',
  );
  assert.throws(
    () => router.match('GET', '/datasets/%E0%A4%A/x'),
    (e: Error) => e instanceof NotFoundError,
  );
  assert.throws(() => new Router().get('nope', ok), TypeError);
});

test('server: RouteResponse status, per-route timeout gives 504, the server default applies otherwise', async () => {
  const router = new Router()
    .post('/made', async () => new RouteResponse(201, { made: true }))
    .get(
      '/slow',
      (req) =>
        new Promise((_, reject) =>
          req.signal.addEventListener('abort', () => reject(req.signal.reason as Error)),
        ),
      { timeoutMs: 100 },
    )
    .get(
      '/default',
      (req) =>
        new Promise((_, reject) =>
          req.signal.addEventListener('abort', () => reject(req.signal.reason as Error)),
        ),
    );
  const server = new ApiServer({ router, token: 't', handlerTimeoutMs: 300 });
  const url = await server.listen(0);
  try {
    const client = new ApiClient({ url, token: 't', timeoutMs: 5000 });
    assert.equal(await client.request('POST', '/made'), { made: true });
    const res = await fetch(url + '/made', { method: 'POST', headers: { authorization: 'Bearer t' } });
    assert.is(res.status, 201);
    for (const path of ['/slow', '/default']) {
      try {
        await client.request('GET', path);
        assert.unreachable(`${path} should time out`);
      } catch (err) {
        assert.instance(err, ApiRequestError);
        assert.is((err as ApiRequestError).status, 504, path);
        assert.is((err as ApiRequestError).name, 'TimeoutError');
      }
    }
  } finally {
    await server.close();
  }
  await server.close(); // idempotent
});

test.run();
