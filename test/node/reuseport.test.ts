/**
 * The SO_REUSEPORT sockets of src/node/reuseport.ts (native/sock.cc), on 127.0.0.1 only: a
 * listener and connects from its own port at once, data both ways through sockets Node wrapped
 * from the addon's fds, typed errors (4-tuple in use, refused, timed out, aborted) with no fd left
 * open, a TCP simultaneous open, and the punch. Skipped when the addon is not built.
 *
 * A listener whose accept queue is full drops SYNs silently (Linux): that stands in for a NAT that
 * drops an unsolicited SYN, for the timeout and for a deterministic simultaneous open. Such
 * listeners are raw fds of the addon that Node never accepts on.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { join } from 'node:path';
import {
  connectReusePort,
  listenReusePort,
  pendingReusePortConnects,
  punchReusePort,
  ReusePortError,
  reusePortAvailable,
} from '../../src/node/reuseport.js';
import { packageRoot } from '../../src/util/paths.js';

const HOST = '127.0.0.1';
const skip = !reusePortAvailable();
if (skip) {
  console.log(
    'reuseport tests skipped: build/Release/peermpc_sock.node is not built or does not load ' +
      '(run node scripts/build-native.mjs), or PEERMPC_REUSEPORT=0',
  );
  assert.ok(process.env.PEERMPC_REQUIRE_NATIVE === undefined, 'reuseport addon required but not available');
}

/** Open fds of this process (Linux), or -1 where /proc/self/fd does not exist. */
function openFds(): number {
  return existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : -1;
}

/**
 * Asserts no fd leaked: the count comes back to at most `baseline` within 2 s (closes are
 * asynchronous, and the process's own fds, of the loader or the thread pool, come and go).
 */
async function assertNoLeak(baseline: number, what = 'every fd closed'): Promise<void> {
  if (baseline < 0) return;
  for (let i = 0; i < 40 && openFds() > baseline; i++) await settle(50);
  assert.ok(openFds() <= baseline, `${what}: ${openFds()} open, ${baseline} before`);
}

/** Waits for pending closes (uv_close is asynchronous) before counting fds. */
function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** A reuse-port listener on 127.0.0.1 collecting the sockets it accepts. */
async function listener(): Promise<{ server: net.Server; port: number; accepted: net.Socket[] }> {
  const server = await listenReusePort({ host: HOST });
  const accepted: net.Socket[] = [];
  server.on('connection', (s) => accepted.push(s));
  return { server, port: portOf(server), accepted };
}

/**
 * A listening reuse-port fd that nothing accepts on, its one-connection queue filled: further SYNs
 * to it are dropped. `close()` releases it and the filler.
 */
async function deafListener(): Promise<{ port: number; close: () => void }> {
  const raw = createRequire(import.meta.url)(
    join(packageRoot(), 'build', 'Release', 'peermpc_sock.node'),
  ) as {
    listen(host: string, port: number, backlog: number): number;
  };
  // a free port from a reuse-port listener, which the raw fd may then share; once the Node
  // listener is closed the raw fd is the port's only listener
  const holder = await listenReusePort({ host: HOST });
  const port = portOf(holder);
  const fd = raw.listen(HOST, port, 0);
  await closeServer(holder);
  // a filler connection completes its handshake and sits in the queue, which is then full
  const filler = net.connect({ host: HOST, port });
  await new Promise<void>((resolve, reject) => {
    filler.once('connect', resolve);
    filler.once('error', reject);
  });
  return {
    port,
    close: () => {
      filler.destroy();
      closeSync(fd);
    },
  };
}

/** Waits (up to 5 s) until `l` has accepted at least `n` connections. */
async function acceptedAtLeast(l: { accepted: net.Socket[] }, n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (l.accepted.length < n) {
    if (Date.now() > deadline) throw new Error(`${l.accepted.length} of ${n} connections accepted`);
    await settle(5);
  }
}

/** Reads until `n` bytes arrived on `socket`. */
function readBytes(socket: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve(Buffer.concat(parts));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

function closeSocket(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed && socket.closed) return resolve();
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Rejects unless `p` rejects with a ReusePortError of `code`; returns the error. */
async function rejectsWith(p: Promise<unknown>, code: string): Promise<ReusePortError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, ReusePortError, String(err));
    const e = err as ReusePortError;
    assert.is(e.name, 'ReusePortError');
    assert.is(e.code, code, e.message);
    return e;
  }
  throw new Error(`expected a ReusePortError ${code}, got success`);
}

async function exchange(a: net.Socket, b: net.Socket): Promise<void> {
  const big = Buffer.alloc(256 * 1024, 7);
  const toB = readBytes(b, big.length + 5);
  a.write('hello');
  a.write(big);
  assert.is((await toB).length, big.length + 5);
  const toA = readBytes(a, 3);
  b.write('bye');
  assert.is((await toA).toString(), 'bye');
}

test('a listener and a connect from its own port work at once; data flows both ways', async () => {
  if (skip) return;
  await settle(); // lets start-up fds close before counting
  const fds = openFds();
  const a = await listener();
  const b = await listener();
  const out = await connectReusePort({
    localHost: HOST,
    localPort: a.port,
    remoteHost: HOST,
    remotePort: b.port,
  });
  assert.is(out.localPort, a.port);
  assert.is(out.remoteAddress, HOST);
  assert.is(out.remotePort, b.port);
  await acceptedAtLeast(b, 1);
  assert.is(b.accepted.length, 1);
  const inb = b.accepted[0]!;
  assert.is(inb.remotePort, a.port, "the other side sees the listener's port");
  await exchange(out, inb);
  // the listener still accepts while the connect from its port is up
  const client = net.connect({ host: HOST, port: a.port });
  await new Promise((resolve) => client.once('connect', resolve));
  await acceptedAtLeast(a, 1);
  assert.is(a.accepted.length, 1);
  await exchange(client, a.accepted[0]!);
  // end() from the wrapped socket reaches the peer as end-of-stream; destroy closes the fd
  const ended = new Promise((resolve) => inb.once('end', resolve));
  out.end();
  await ended;
  await Promise.all([out, inb, client, ...a.accepted].map(closeSocket));
  await Promise.all([closeServer(a.server), closeServer(b.server)]);
  await settle();
  await assertNoLeak(fds);
});

test('two connects from the same port to two different remotes', async () => {
  if (skip) return;
  const a = await listener();
  const b = await listener();
  const c = await listener();
  const [toB, toC] = await Promise.all([
    connectReusePort({ localHost: HOST, localPort: a.port, remoteHost: HOST, remotePort: b.port }),
    connectReusePort({ localHost: HOST, localPort: a.port, remoteHost: HOST, remotePort: c.port }),
  ]);
  await Promise.all([acceptedAtLeast(b, 1), acceptedAtLeast(c, 1)]);
  assert.is(b.accepted[0]?.remotePort, a.port);
  assert.is(c.accepted[0]?.remotePort, a.port);
  await exchange(toB, b.accepted[0]!);
  await exchange(toC, c.accepted[0]!);
  await Promise.all([toB, toC, ...b.accepted, ...c.accepted].map(closeSocket));
  await Promise.all([a, b, c].map((l) => closeServer(l.server)));
});

test('the same 4-tuple twice fails with EADDRNOTAVAIL and leaks no fd', async () => {
  if (skip) return;
  const a = await listener();
  const b = await listener();
  const first = await connectReusePort({
    localHost: HOST,
    localPort: a.port,
    remoteHost: HOST,
    remotePort: b.port,
  });
  const fds = openFds();
  const e = await rejectsWith(
    connectReusePort({ localHost: HOST, localPort: a.port, remoteHost: HOST, remotePort: b.port }),
    'EADDRNOTAVAIL',
  );
  assert.is(e.operation, 'connect');
  assert.is(e.localAddress, HOST);
  assert.is(e.localPort, a.port);
  assert.is(e.remoteAddress, HOST);
  assert.is(e.remotePort, b.port);
  assert.match(e.message, `${HOST}:${a.port} -> ${HOST}:${b.port}`);
  await assertNoLeak(fds);
  await acceptedAtLeast(b, 1);
  await Promise.all([first, ...b.accepted].map(closeSocket));
  await Promise.all([closeServer(a.server), closeServer(b.server)]);
});

test('a refused connect rejects with ECONNREFUSED and leaks no fd', async () => {
  if (skip) return;
  const a = await listener();
  const gone = await listener();
  await closeServer(gone.server); // a port nothing listens on now
  const fds = openFds();
  await rejectsWith(
    connectReusePort({ localHost: HOST, localPort: a.port, remoteHost: HOST, remotePort: gone.port }),
    'ECONNREFUSED',
  );
  assert.is(pendingReusePortConnects(), 0);
  await assertNoLeak(fds);
  await closeServer(a.server);
});

test('a connect to a listener that drops SYNs times out with ETIMEDOUT and leaks no fd', async () => {
  if (skip) return;
  const a = await listener();
  const deaf = await deafListener();
  const fds = openFds();
  const started = Date.now();
  await rejectsWith(
    connectReusePort({
      localHost: HOST,
      localPort: a.port,
      remoteHost: HOST,
      remotePort: deaf.port,
      timeoutMs: 300,
    }),
    'ETIMEDOUT',
  );
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 3000, `timed out after ${took} ms`);
  assert.is(pendingReusePortConnects(), 0);
  await assertNoLeak(fds);
  deaf.close();
  await closeServer(a.server);
});

test('an AbortSignal stops a pending connect (and one aborted before) with ABORT_ERR, no fd left', async () => {
  if (skip) return;
  const a = await listener();
  const deaf = await deafListener();
  const fds = openFds();
  const ac = new AbortController();
  const pending = connectReusePort({
    localHost: HOST,
    localPort: a.port,
    remoteHost: HOST,
    remotePort: deaf.port,
    timeoutMs: 0,
    signal: ac.signal,
  });
  await settle(30);
  assert.is(pendingReusePortConnects(), 1);
  const reason = new Error('no longer needed');
  ac.abort(reason);
  const e = await rejectsWith(pending, 'ABORT_ERR');
  assert.is(e.cause, reason);
  assert.is(pendingReusePortConnects(), 0);
  await assertNoLeak(fds);
  await rejectsWith(
    connectReusePort({
      localHost: HOST,
      localPort: a.port,
      remoteHost: HOST,
      remotePort: deaf.port,
      signal: AbortSignal.abort(),
    }),
    'ABORT_ERR',
  );
  await assertNoLeak(fds);
  deaf.close();
  await closeServer(a.server);
});

test('simultaneous open: both sides connect from their listen ports at once, each gets a socket', async () => {
  if (skip) return;
  // The listeners drop SYNs (full queues), as the peers' NATs would: the first SYN dies, the
  // second finds the first side's SYN_SENT socket and the kernels complete a simultaneous open.
  const a = await deafListener();
  const b = await deafListener();
  const fds = openFds();
  const [sa, sb] = await Promise.all([
    connectReusePort({
      localHost: HOST,
      localPort: a.port,
      remoteHost: HOST,
      remotePort: b.port,
      timeoutMs: 3000,
    }),
    connectReusePort({
      localHost: HOST,
      localPort: b.port,
      remoteHost: HOST,
      remotePort: a.port,
      timeoutMs: 3000,
    }),
  ]);
  assert.is(sa.localPort, a.port);
  assert.is(sa.remotePort, b.port);
  assert.is(sb.localPort, b.port);
  assert.is(sb.remotePort, a.port);
  await exchange(sa, sb);
  await exchange(sb, sa);
  await Promise.all([sa, sb].map(closeSocket));
  await settle();
  await assertNoLeak(fds);
  a.close();
  b.close();
});

test('simultaneous connects between accepting listeners end with one connection per side', async () => {
  if (skip) return;
  // On loopback the first SYN usually reaches the other listener before the other connect starts:
  // that side's connect then fails with EADDRNOTAVAIL (the 4-tuple is taken) and its listener holds
  // the connection. Either way each side ends with exactly one socket of the pair.
  const a = await listener();
  const b = await listener();
  const results = await Promise.allSettled([
    connectReusePort({ localHost: HOST, localPort: a.port, remoteHost: HOST, remotePort: b.port }),
    connectReusePort({ localHost: HOST, localPort: b.port, remoteHost: HOST, remotePort: a.port }),
  ]);
  if (results[0].status === 'rejected') await acceptedAtLeast(a, 1);
  if (results[1].status === 'rejected') await acceptedAtLeast(b, 1);
  await settle();
  const side = (i: 0 | 1, l: typeof a): net.Socket[] => {
    const r = results[i];
    if (r.status === 'rejected') {
      assert.instance(r.reason, ReusePortError);
      assert.is((r.reason as ReusePortError).code, 'EADDRNOTAVAIL');
    }
    return [...(r.status === 'fulfilled' ? [r.value] : []), ...l.accepted];
  };
  const sideA = side(0, a);
  const sideB = side(1, b);
  assert.is(sideA.length, 1, 'side A has one socket');
  assert.is(sideB.length, 1, 'side B has one socket');
  assert.is(sideA[0]!.remotePort, b.port);
  assert.is(sideB[0]!.remotePort, a.port);
  await exchange(sideA[0]!, sideB[0]!);
  await Promise.all([...sideA, ...sideB].map(closeSocket));
  await Promise.all([closeServer(a.server), closeServer(b.server)]);
});

test('punch sends from the listen port without throwing, leaves no fd, frees the 4-tuple', async () => {
  if (skip) return;
  const a = await listener();
  const b = await listener();
  const fds = openFds();
  punchReusePort({ localHost: HOST, localPort: a.port, remoteHost: HOST, remotePort: b.port, ttl: 2 });
  await assertNoLeak(fds);
  await settle();
  // on loopback the SYN (TTL is not spent on loopback) reaches b, whose SYN-ACK meets a closed
  // socket: whatever b accepted is reset; then the same 4-tuple connects normally
  await Promise.all(b.accepted.splice(0).map(closeSocket));
  const s = await connectReusePort({
    localHost: HOST,
    localPort: a.port,
    remoteHost: HOST,
    remotePort: b.port,
  });
  await acceptedAtLeast(b, 1);
  const inb = b.accepted.at(-1)!;
  await exchange(s, inb);
  await Promise.all([s, ...b.accepted].map(closeSocket));
  assert.throws(
    () =>
      punchReusePort({ localHost: HOST, localPort: a.port, remoteHost: HOST, remotePort: b.port, ttl: 0 }),
    (e: unknown) => e instanceof RangeError,
  );
  await Promise.all([closeServer(a.server), closeServer(b.server)]);
});

test('IPv6: a listener on ::1 and a connect from its port', async () => {
  if (skip) return;
  let a: net.Server;
  try {
    a = await listenReusePort({ host: '::1' });
  } catch (err) {
    console.log(`IPv6 loopback unavailable, skipped: ${String(err)}`);
    return;
  }
  const b = await listenReusePort({ host: '::1' });
  const accepted = new Promise<net.Socket>((resolve) => b.once('connection', resolve));
  const s = await connectReusePort({
    localHost: '::1',
    localPort: portOf(a),
    remoteHost: '::1',
    remotePort: portOf(b),
  });
  const inb = await accepted;
  assert.is(inb.remotePort, portOf(a));
  assert.is(s.remoteAddress, '::1');
  await exchange(s, inb);
  await Promise.all([s, inb].map(closeSocket));
  await Promise.all([closeServer(a), closeServer(b)]);
});

test('malformed arguments throw TypeError or RangeError; PEERMPC_REUSEPORT=0 disables', async () => {
  if (skip) return;
  let err: unknown;
  try {
    await connectReusePort({ localHost: 'localhost', localPort: 0, remoteHost: HOST, remotePort: 1 });
  } catch (e) {
    err = e;
  }
  assert.instance(err, TypeError, 'names are not resolved');
  err = undefined;
  try {
    await listenReusePort({ host: HOST, port: 70000 });
  } catch (e) {
    err = e;
  }
  assert.instance(err, RangeError);
  const saved = process.env.PEERMPC_REUSEPORT;
  process.env.PEERMPC_REUSEPORT = '0';
  try {
    assert.not.ok(reusePortAvailable());
    await rejectsWith(listenReusePort({ host: HOST }), 'ERR_REUSEPORT_UNAVAILABLE');
    assert.throws(
      () => punchReusePort({ localHost: HOST, localPort: 1, remoteHost: HOST, remotePort: 2 }),
      (e: unknown) => e instanceof ReusePortError && e.code === 'ERR_REUSEPORT_UNAVAILABLE',
    );
  } finally {
    if (saved === undefined) delete process.env.PEERMPC_REUSEPORT;
    else process.env.PEERMPC_REUSEPORT = saved;
  }
  assert.ok(reusePortAvailable());
});

test.run();
