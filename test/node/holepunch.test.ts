/**
 * Hole punching's rules (holepunch.ts) as a table: which addresses a peer may make us punch
 * towards (never loopback, link-local, multicast or unspecified; private ranges only when private
 * addresses are allowed; at most 4; malformed ones dropped); how often a peer may make us punch
 * (three starts per five minutes, a second apart: a first punch and the leader's two retries after
 * connects that all failed); and the reuse-port TCP transport
 * (reuseport-tcp.ts): a second peer configured with a port another one listens on fails to start,
 * as before SO_REUSEPORT, instead of taking half of its connections.
 * The hole punch itself, through real NATs, runs in the network lab (test/netlab/peers.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  addrsOf,
  MAX_PUNCH_ADDRS,
  MIN_PUNCH_SPACING_MS,
  punchAllowed,
  punchableIp,
  PUNCH_INTERVAL_MS,
  PUNCHES_PER_INTERVAL,
  SYNCED_RETRY_DELAYS_MS,
} from '../../src/node/holepunch.js';
import { createPeer, type Peer } from '../../src/node/peer.js';
import { reusePortAvailable } from '../../src/node/reuseport.js';
import { removeDir, stopAll, tempDir, testInit } from './net-helpers.js';

test('punchable addresses: public unicast; private only when allowed; never loopback or multicast', () => {
  const table: [string, boolean, boolean][] = [
    // ip, allowed when private addresses are off, allowed when on
    ['203.0.113.7', false, true], // TEST-NET-3 counts as private for libp2p
    ['8.8.8.8', true, true],
    ['10.210.0.101', false, true],
    ['192.168.1.5', false, true],
    ['127.0.0.1', false, false],
    ['169.254.169.254', false, false],
    ['0.0.0.0', false, false],
    ['224.0.0.1', false, false],
    ['239.255.255.250', false, false],
    ['2001:4860:4860::8888', true, true],
    ['::1', false, false],
    ['::', false, false],
    ['fe80::1', false, false],
    ['ff02::1', false, false],
  ];
  for (const [ip, off, on] of table) {
    assert.is(punchableIp(ip, false), off, `${ip} without private addresses`);
    assert.is(punchableIp(ip, true), on, `${ip} with private addresses`);
  }
});

test('a peer offers at most four well-formed addresses; the rest are dropped', () => {
  const offer = {
    addrs: [
      '/ip4/8.8.8.8/tcp/4001',
      '/ip4/127.0.0.1/tcp/4001',
      'not a multiaddr',
      '/ip4/8.8.4.4/tcp/4001/p2p/12D3KooWGHUb9U15RmMYSY4RRmukGFhkSvDnH2HY3YKQKYkWxkPQ',
      '/ip4/1.1.1.1/tcp/4001',
      '/ip4/9.9.9.9/tcp/4001',
      '/ip4/4.4.4.4/tcp/4001',
    ],
  };
  const got = addrsOf(offer, false);
  assert.ok(got.length <= MAX_PUNCH_ADDRS);
  assert.equal(got, ['/ip4/8.8.8.8/tcp/4001']); // of the first four, only it is a public TCP address
  for (const bad of [null, 1, 'x', {}, { addrs: 'x' }, { addrs: [1, {}, null] }])
    assert.equal(addrsOf(bad, true), []);
  assert.equal(addrsOf({ addrs: ['/ip4/10.0.0.1/tcp/1'] }, true), ['/ip4/10.0.0.1/tcp/1']);
});

test('how often one peer may punch with us: three starts per interval, a second apart', () => {
  const t = 10 * PUNCH_INTERVAL_MS;
  const table: [number[], number, boolean][] = [
    // starts, now, allowed
    [[], t, true],
    [[t - 500], t, false], // under a second since the last start
    [[t - MIN_PUNCH_SPACING_MS], t, true],
    [[t - 40_000, t - 35_000], t, true], // a first punch and one retry: one more
    [[t - 40_000, t - 35_000, t - 5_000], t, false], // three within the interval
    [[t - PUNCH_INTERVAL_MS, t - 35_000, t - 5_000], t, true], // the first has left the window
  ];
  for (const [starts, now, allowed] of table)
    assert.is(punchAllowed(starts, now), allowed, `${starts.map((x) => x - t).join(',')}`);
  // the leader's retries fit the rule: the first punch and both retries are allowed
  const starts = [t];
  let at = t;
  for (const wait of SYNCED_RETRY_DELAYS_MS) {
    at += wait;
    assert.ok(punchAllowed(starts, at), `retry after ${wait} ms`);
    starts.push(at);
  }
  assert.is(starts.length, PUNCHES_PER_INTERVAL);
  assert.not.ok(punchAllowed(starts, at + MIN_PUNCH_SPACING_MS), 'no fourth within the interval');
});

test('a port another peer listens on is refused, SO_REUSEPORT or not', async () => {
  if (!reusePortAvailable()) return; // the plain TCP transport refuses it by itself
  const root = tempDir();
  const peers: Peer[] = [];
  try {
    const first = await createPeer(testInit(`${root}/a`));
    peers.push(first);
    await first.start();
    const port = /\/tcp\/(\d+)/.exec(first.multiaddrs()[0]!)![1];
    let failed = false;
    const second = await createPeer(testInit(`${root}/b`, { listen: [`/ip4/127.0.0.1/tcp/${port}`] })).catch(
      () => ((failed = true), undefined),
    );
    if (second !== undefined) peers.push(second);
    assert.ok(failed, 'the second peer does not start on a port the first holds');
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test.run();
