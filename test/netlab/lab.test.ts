/**
 * The network lab of issue 19 (scripts/netlab, docs/NETLAB.md). Without root, `ip`, `nft` or
 * `tc`, or where namespaces cannot be made, the lab tests skip with the reason (one passing test
 * says so); the layout and ruleset tests run everywhere.
 *
 * With privileges: the default topology is built and its NATs behave as the topology says (cone:
 * one preserved public port for every destination; symmetric: a port per destination; unsolicited
 * connections to a router time out instead of being refused; a simultaneous open connects two cone
 * sites and fails whenever a symmetric one is involved), and destroy() leaves no namespace or link
 * with the run's prefix. Link limits become tbf qdiscs; leftovers of a dead run are removed by the
 * next lab; SIGINT to the runner mid-run, and an uncaught error in a process with a lab, remove it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listHostLinks, listLabNamespaces } from '../../scripts/netlab/cleanup.js';
import { createLab } from '../../scripts/netlab/lab.js';
import { runNatChecks } from '../../scripts/netlab/nat-checks.js';
import { routerRuleset } from '../../scripts/netlab/nft.js';
import { planLab } from '../../scripts/netlab/plan.js';
import { checkLabPrivileges } from '../../scripts/netlab/privileges.js';
import { run } from '../../scripts/netlab/sys.js';
import { defaultTopology, TopologyError, type Topology } from '../../scripts/netlab/topology.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('the default topology is laid out with private addresses under one prefix', () => {
  const plan = planLab(defaultTopology(), 'pl1-0-');
  assert.equal(
    plan.hosts.map((h) => [h.name, h.address, h.site ?? '-', h.netns]),
    [
      ['relay', '10.210.0.10', '-', 'pl1-0-h-relay'],
      ['a1', '10.210.1.10', 'a', 'pl1-0-h-a1'],
      ['b1', '10.210.2.10', 'b', 'pl1-0-h-b1'],
      ['c1', '10.210.3.10', 'c', 'pl1-0-h-c1'],
    ],
  );
  assert.equal(
    plan.routers.map((r) => [r.site, r.nat, r.wanAddress, r.lanAddress]),
    [
      ['a', 'cone', '10.210.0.101', '10.210.1.1'],
      ['b', 'cone', '10.210.0.102', '10.210.2.1'],
      ['c', 'symmetric', '10.210.0.103', '10.210.3.1'],
    ],
  );
  for (const h of plan.hosts) assert.ok(h.upstreamIf.length <= 15, h.upstreamIf);
});

test('an invalid topology is refused naming the field', () => {
  const bad = (t: Topology, field: string): void => {
    try {
      planLab(t, 'pl1-0-');
      assert.unreachable(`accepted ${field}`);
    } catch (err) {
      assert.instance(err, TopologyError);
      assert.match((err as Error).message, field);
    }
  };
  const t = defaultTopology();
  bad({ ...t, public: [] }, 'public');
  bad({ ...t, public: [{ name: 'a1' }] }, 'sites[0].hosts[0].name');
  bad({ ...t, public: [{ name: 'Relay-1' }] }, 'public[0].name');
  bad({ ...t, sites: [{ name: 'a', nat: 'full' as 'cone', hosts: [{ name: 'x' }] }] }, 'sites[0].nat');
  bad(
    { ...t, sites: [{ name: 'a', nat: 'cone', hosts: [{ name: 'x', limit: { rateKbit: 0 } }] }] },
    'limit.rateKbit',
  );
});

test("a router's ruleset: masquerade by NAT kind, and only known flows in from the WAN", () => {
  assert.match(routerRuleset('cone'), /oifname "wan" masquerade\n/);
  assert.match(routerRuleset('symmetric'), /oifname "wan" masquerade random,fully-random\n/);
  for (const chain of ['input', 'forward']) {
    const body = new RegExp(
      `chain ${chain} \\{[^}]*ct state established,related accept\\s+iifname "wan" drop`,
    );
    assert.match(routerRuleset('cone'), body);
  }
});

/** Asserts nothing with `prefix` is left: no namespace, no link in the host's namespace. */
function assertGone(prefix: string): void {
  assert.equal(listLabNamespaces(prefix), [], `namespaces left under ${prefix}`);
  assert.equal(listHostLinks(prefix), [], `links left under ${prefix}`);
}

/** Resolves with the prefix of the first `lab up <prefix>` line on a child's stderr. */
function labUp(child: ChildProcess, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /lab up (pl\d+-\d+-)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before the lab was up: ${err}`)));
    signal.addEventListener('abort', () => reject(new Error(`no lab after the timeout: ${err}`)));
  });
}

const exited = (child: ChildProcess): Promise<[number | null, string | null]> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve([child.exitCode, child.signalCode])
    : new Promise((resolve) => child.once('exit', (code, sig) => resolve([code, sig])));

const reason = checkLabPrivileges();
if (reason !== undefined) {
  process.stderr.write(`netlab tests skipped: ${reason}\n`);
  test(`the lab cannot run here, its tests are skipped: ${reason}`, () => {});
} else {
  test('the default topology: cone and symmetric mappings, silent drops, hole punching; then all gone', async () => {
    const signal = AbortSignal.timeout(45_000);
    const lab = await createLab(defaultTopology(), { signal });
    try {
      assert.is(lab.address('relay'), '10.210.0.10');
      assert.is(lab.publicAddress('c'), '10.210.0.103');
      assert.match(await lab.exec('a1', 'ip', ['route']), /default via 10\.210\.1\.1/);
      assert.not.match(
        await lab.exec('relay', 'ip', ['route']),
        /default/,
        'public hosts route nowhere else',
      );
      const checks = await runNatChecks(lab, { signal });
      const show = JSON.stringify(checks, null, 1);
      const of = (check: string, subject: string) =>
        checks.find((c) => c.check === check && c.subject.startsWith(subject));
      for (const [site, port] of [
        ['a', 41001],
        ['b', 41002],
        ['c', 41003],
      ] as const) {
        assert.ok(of('mapping', site)?.pass, `mapping of site ${site}: ${show}`);
        const drops = checks.filter((c) => c.check === 'unsolicited' && c.subject.includes(`-> ${site} `));
        assert.is(drops.length, 2, show);
        for (const d of drops)
          assert.ok(d.pass && d.observed.startsWith('timeout'), `${d.subject}: ${d.observed}`);
        if (site !== 'c') assert.match(of('mapping', site)!.observed, `10.210.0.10${port - 41000}:${port}, `);
      }
      assert.is(of('holepunch', 'a-b (mapped')?.observed.match(/connected/g)?.length, 2, show);
      for (const pair of ['a-c (mapped', 'b-c (mapped', 'a-b (new', 'a-c (new', 'b-c (new']) {
        assert.ok(of('holepunch', pair)?.pass, `${pair} must not connect: ${show}`);
        assert.not.match(of('holepunch', pair)!.observed, 'connected');
      }
      assert.is(checks.length, 3 + 6 + 6);
    } finally {
      await lab.destroy();
      await lab.destroy(); // idempotent
    }
    assertGone(lab.prefix);
  });

  test('link limits are tbf qdiscs on both ends; a dead run is cleaned up by the next lab', async () => {
    // a namespace named as a lab of a process that has exited
    const dead = spawn(process.execPath, ['-e', '0']);
    await exited(dead);
    const leftover = `pl${dead.pid}-0-h-old`;
    await run('ip', ['netns', 'add', leftover]);
    const topology: Topology = {
      name: 'limits',
      public: [{ name: 'srv', limit: { rateKbit: 2000 } }],
      sites: [{ name: 'x', nat: 'cone', uplink: { rateKbit: 1000, latencyMs: 50 }, hosts: [{ name: 'x1' }] }],
    };
    const lab = await createLab(topology);
    try {
      assert.equal(listLabNamespaces(leftover), [], 'the dead run left nothing');
      assert.match(await lab.exec('router:x', 'tc', ['qdisc', 'show', 'dev', 'wan']), /tbf .*rate 1Mbit/);
      assert.match(await lab.exec('public', 'tc', ['qdisc', 'show', 'dev', 'r-x']), /tbf .*rate 1Mbit/);
      assert.match(await lab.exec('srv', 'tc', ['qdisc', 'show', 'dev', 'eth0']), /tbf .*rate 2Mbit/);
      assert.not.match(await lab.exec('x1', 'tc', ['qdisc', 'show', 'dev', 'eth0']), /tbf/);
    } finally {
      await lab.destroy();
    }
    assertGone(lab.prefix);
  });

  test('SIGINT to the runner mid-run removes its lab; so does an uncaught error', async () => {
    const signal = AbortSignal.timeout(20_000);
    const runner = spawn(process.execPath, ['--import', 'tsx', 'scripts/netlab/main.ts', '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const crash = spawn(process.execPath, ['--import', 'tsx', 'test/netlab/crash-child.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const [prefix, crashed] = await Promise.all([labUp(runner, signal), labUp(crash, signal)]);
      assert.ok(listLabNamespaces(prefix).length >= 8, 'the runner built its lab');
      runner.kill('SIGINT');
      assert.equal(await exited(runner), [null, 'SIGINT'], 'the runner ends by the signal it got');
      assertGone(prefix);
      assert.is((await exited(crash))[0], 1);
      assertGone(crashed);
    } finally {
      for (const c of [runner, crash]) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  });
}

test.run();
