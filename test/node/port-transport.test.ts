/**
 * The port transport (src/node/port-transport.ts) and its broker (src/sim/broker.ts): real peers
 * over MessagePorts, in one thread through one registry and through two registries joined by a
 * router (the path a dial between worker threads takes). A dial to an address no one listens on
 * fails by name; a stopped peer's connections end at the other side.
 */
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPeer, type Peer } from '../../src/node/peer.js';
import type { PortBroker } from '../../src/node/port-transport.js';
import { NoListenerError, PortRegistry, PortRouter } from '../../src/sim/broker.js';

const root = mkdtempSync(join(tmpdir(), 'peermpc-port-'));
const peers: Peer[] = [];

async function peer(name: string, broker: PortBroker, bootstrap: string[] = []): Promise<Peer> {
  const p = await createPeer({
    dataDir: join(root, name),
    listen: [`/memory/port-test-${name}`],
    bootstrap,
    transport: 'memory',
    memoryBroker: broker,
    datastore: 'memory',
    allowPrivateAddresses: true,
    nat: { reachability: 'public', holePunch: false },
    connectionMonitor: false,
  });
  peers.push(p);
  return p;
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Two registries joined by a router, as two worker threads are. */
function joinedRegistries(): [PortRegistry, PortRegistry] {
  const router = new PortRouter();
  return [0, 1].map(() => {
    const { port1, port2 } = new MessageChannel();
    router.attach(port1);
    port1.unref();
    return new PortRegistry(port2);
  }) as [PortRegistry, PortRegistry];
}

test.after(async () => {
  await Promise.all(peers.map((p) => p.stop().catch(() => undefined)));
  rmSync(root, { recursive: true, force: true });
});

test('one registry: two peers connect over ports; stopping one ends the connection at the other', async () => {
  const reg = new PortRegistry();
  const a = await peer('a', reg);
  const b = await peer('b', reg, [a.multiaddrs()[0]!]);
  await until(() => a.status().connectedPeers === 1 && b.status().connectedPeers === 1, 'a and b connected');
  await until(() => a.status().routingTableSize === 1, 'b in the routing table of a');
  await b.stop();
  await until(() => a.status().connectedPeers === 0, 'a sees b gone');
});

test('two registries joined by a router: peers in different "threads" connect and find a dataset', async () => {
  const [r1, r2] = joinedRegistries();
  const c = await peer('c', r1);
  const d = await peer('d', r2, [c.multiaddrs()[0]!]);
  await until(() => c.status().connectedPeers === 1 && d.status().connectedPeers === 1, 'c and d connected');
  const csv = join(root, 'rows.csv');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(csv, 'x,y\n1,2\n3,4\n');
  await c.datasets.add({ csvPath: csv, name: 'port-rows', tags: [] });
  await until(() => c.status().routingTableSize >= 1, 'routing table');
  const found = await d.datasets.search('port-rows', { by: 'name', exact: true });
  assert.equal(
    found.found.map((f) => f.description.owner),
    [c.peerId],
  );
  r1.close();
  r2.close();
});

test('a dial to an address no one listens on fails by name, in a thread and through the router', async () => {
  const alone = new PortRegistry();
  const who = { peerId: 'x', address: '/memory/x' };
  try {
    await alone.dial('/memory/nobody', who);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, NoListenerError);
    assert.match((err as Error).message, /\/memory\/nobody/);
  }
  const [r1, r2] = joinedRegistries();
  r1.listen('/memory/here', (port) => port.close());
  await new Promise((r) => setTimeout(r, 20)); // the router learns the address
  const port = await r2.dial('/memory/here', who);
  port.close();
  r1.unlisten('/memory/here');
  await new Promise((r) => setTimeout(r, 20));
  try {
    await r2.dial('/memory/here', who);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, NoListenerError);
  }
  r1.close();
  r2.close();
});

test('a thread that ends listens nowhere: the router forgets its addresses; one address, one listener', async () => {
  const [r1, r2] = joinedRegistries();
  const who = { peerId: 'x', address: '/memory/x' };
  r1.listen('/memory/gone', (port) => port.close());
  assert.throws(() => r1.listen('/memory/gone', (port) => port.close()), /already in use/);
  r1.close(); // as when its worker thread ends
  await new Promise((r) => setTimeout(r, 20));
  try {
    await r2.dial('/memory/gone', who);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, NoListenerError);
  }
  const aborted = new AbortController();
  aborted.abort();
  try {
    await r2.dial('/memory/gone', who, aborted.signal);
    assert.unreachable();
  } catch (err) {
    assert.is((err as Error).name, 'AbortError');
  }
  r2.close();
});

test.run();
