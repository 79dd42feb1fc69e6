/**
 * `GET /metrics`: the bearer token, Prometheus's text format (a strict parser), the separate
 * token-less listener (`metricsPort`) and its config checks, and two real daemons (real libp2p
 * peers) in one process, each with its own registry and libp2p's metrics.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../../src/polyfills.js';
import { ConfigError, parseConfig } from '../../src/daemon/config.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { packageVersion } from '../../src/util/paths.js';
import { fakePeer } from './daemon-fake-peer.js';
import { eventually } from './daemon-helpers.js';
import { labelValues, parseExposition, scrape, valueOf } from './metrics-exposition.js';

const dirs: string[] = [];
function tmp(config?: object): string {
  const d = mkdtempSync(join(tmpdir(), 'peermpc-metrics-'));
  dirs.push(d);
  if (config !== undefined) writeFileSync(join(d, 'config.json'), JSON.stringify(config));
  return d;
}

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PEERMPC = [
  'peermpc_peers_connected',
  'peermpc_dht_routing_table_peers',
  'peermpc_datasets',
  'peermpc_mpc_sessions_active',
  'peermpc_info',
  'peermpc_daemon_start_time_seconds',
];

test('the parser is strict', () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1\\"\\n"} 3\n';
  assert.is(parseExposition(ok).get('a_total')!.samples[0]!.labels.x, '1"\n');
  const bad = [
    'a 1', // no final newline
    'a{x=1} 1\n', // unquoted
    'a{x="1"} one\n', // bad value
    'a 1\nb 1\na 2\n', // not contiguous
    'a 1\na 1\n', // duplicate series
    '# TYPE a counter\na -1\n', // negative counter
    'a 1\n# TYPE a gauge\n', // TYPE after samples
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n', // not cumulative
    '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 1\n', // +Inf != count
    '# TYPE a sometype\n', // unknown type
  ];
  for (const text of bad) assert.throws(() => parseExposition(text), undefined, JSON.stringify(text));
});

test('GET /metrics needs the token and serves the text format', async () => {
  const dir = tmp();
  const d = await startDaemon({ dataDir: dir, createPeer: async (init) => fakePeer(init) });
  try {
    assert.is((await scrape(dir, { token: null })).status, 401);
    assert.is((await scrape(dir, { token: 'not-the-token' })).status, 401);
    const res = await scrape(dir);
    assert.is(res.status, 200);
    assert.is(res.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    const families = parseExposition(res.body);
    for (const name of PEERMPC) assert.ok(families.has(name), `missing ${name}`);
    assert.is(families.get('peermpc_peers_connected')!.type, 'gauge');
    assert.ok(families.has('process_cpu_user_seconds_total'), 'the process metrics');
    assert.is(valueOf(families, 'peermpc_info', { version: packageVersion() }), 1);
    assert.is(d.metricsUrl, undefined, 'no separate listener by default');
    for (const f of families.values()) {
      if (!f.name.startsWith('peermpc_')) continue;
      assert.ok(f.help !== undefined && f.help.length > 10, `${f.name} has a help text`);
      if (f.type === 'counter') assert.ok(f.name.endsWith('_total'), `${f.name}: a counter ends in _total`);
    }
  } finally {
    await d.stop();
  }
});

test('metricsPort: a token-less listener on 127.0.0.1 serving /metrics only', async () => {
  const dir = tmp({ metricsPort: 0 });
  const d = await startDaemon({ dataDir: dir, createPeer: async (init) => fakePeer(init) });
  try {
    const url = d.metricsUrl!;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await scrape(dir, { url, token: null });
    assert.is(res.status, 200);
    assert.ok(parseExposition(res.body).has('peermpc_datasets'));
    assert.is((await fetch(url.replace('/metrics', '/status'))).status, 404);
    assert.is((await fetch(url.replace('/metrics', '/jobs'))).status, 404);
    assert.is((await fetch(url, { method: 'POST' })).status, 405);
    assert.is((await scrape(dir, { token: null })).status, 401, 'the control API still wants the token');
  } finally {
    await d.stop();
  }
  const answered = await fetch(d.metricsUrl!).then(
    () => true,
    () => false,
  );
  assert.not.ok(answered, 'the listener closed with the daemon');
});

test('metricsPort is validated', () => {
  assert.is(parseConfig({}).metricsPort, null);
  assert.is(parseConfig({ metricsPort: 9464 }).metricsPort, 9464);
  for (const bad of [-1, 70000, 1.5, '9464', true])
    assert.throws(
      () => parseConfig({ metricsPort: bad }),
      (e: Error) => e instanceof ConfigError && e.message.includes('"metricsPort"'),
    );
  assert.throws(
    () => parseConfig({ metricsPort: 7400, apiPort: 7400 }),
    (e: Error) => e instanceof ConfigError && /metricsPort.*apiPort/.test(e.message),
  );
});

test('two real daemons in one process: each its own registry, both with libp2p metrics', async () => {
  const config = { listen: ['/ip4/127.0.0.1/tcp/0'], allowPrivateAddresses: true };
  const started: RunningDaemon[] = [];
  try {
    const a = await startDaemon({ dataDir: tmp(config) });
    started.push(a);
    const b = await startDaemon({ dataDir: tmp(config), overrides: { bootstrap: [a.multiaddrs[0]!] } });
    started.push(b);
    const both = await eventually('both see one connected peer', async () => {
      const scraped = await Promise.all(started.map((d) => scrape(d.dataDir)));
      const parsed = scraped.map((s) => parseExposition(s.body));
      return parsed.every((f) => valueOf(f, 'peermpc_peers_connected') === 1) ? parsed : undefined;
    });
    for (const [i, families] of both.entries()) {
      for (const name of PEERMPC) assert.ok(families.has(name), `daemon ${i}: missing ${name}`);
      assert.ok(families.has('libp2p_kad_dht_routing_table_size'), `daemon ${i}: libp2p's DHT metrics`);
      assert.ok(
        valueOf(families, 'libp2p_data_transfer_bytes_total', { protocol: 'global sent' }) > 0,
        `daemon ${i}: libp2p's transfer counter`,
      );
      const values = labelValues(families);
      for (const d of started) assert.not.ok(values.has(d.peerId), `daemon ${i}: a peer id as a label`);
    }
    // the docs list every peermpc metric; the dashboard uses only metrics that exist
    const doc = readFileSync(new URL('../../docs/METRICS.md', import.meta.url), 'utf8');
    for (const name of both[0]!.keys())
      if (name.startsWith('peermpc_'))
        assert.ok(doc.includes(`\`${name}\``), `docs/METRICS.md lacks ${name}`);
    const dashboard = readFileSync(new URL('../../docs/grafana/peermpc.json', import.meta.url), 'utf8');
    JSON.parse(dashboard);
    for (const [used] of dashboard.matchAll(/\b(peermpc|libp2p|process|nodejs)_[a-z0-9_]+/g)) {
      const family = used.replace(/_(bucket|sum|count)$/, '');
      assert.ok(
        both[0]!.has(family) || both[0]!.has(used),
        `the dashboard uses ${used}, which no daemon serves`,
      );
    }
    // each registry counts its own peer: A was dialled (inbound), B dialled (outbound)
    const conn = 'libp2p_connection_manager_connections';
    assert.is(valueOf(both[0]!, conn, { [conn]: 'inbound' }), 1);
    assert.is(valueOf(both[1]!, conn, { [conn]: 'outbound' }), 1);
  } finally {
    for (const d of started.reverse()) await d.stop();
  }
});

test.run();
