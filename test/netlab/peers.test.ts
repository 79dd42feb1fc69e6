/**
 * peermpc across NATs in the network lab (scripts/netlab, docs/NETLAB.md); skipped with the reason
 * where the lab cannot run (not root, no `ip`/`nft`/`tc`).
 *
 * The runner's whole default run (`npm run -s netlab -- --json`): three daemons, each behind its
 * own NAT (two cone, one symmetric), and a relay on the public side. Each learns by dial-back that
 * it is private and reserves a relay slot; every site finds every site's dataset; the two cone
 * sites end up direct by hole punching while the symmetric site stays relayed; a rep3 job among the
 * three equals the plaintext.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkLabPrivileges } from '../../scripts/netlab/privileges.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Summary {
  ok: boolean;
  jobMatchesPlaintext: boolean;
  connections: { from: string; to: string; kind: string; holePunched: boolean }[];
  reachability: Record<string, { state: string }>;
  discoveryMs: Record<string, number>;
  job: { links?: Record<string, string> };
  jobAllDirect: { links?: Record<string, string> };
  relayedPayloadBytes: number;
}

/**
 * What broke, first: the stage that failed and the errors (a CI log may keep only a failure's first
 * lines), then the end of the run's stderr.
 */
function whatBroke(stderr: string): string {
  const lines = stderr.split('\n');
  const causes = lines.filter((l) => /FAIL|error|timed out|refused|aborted|no direct/i.test(l)).slice(-12);
  return `\n${causes.map((l) => l.slice(0, 400)).join('\n')}\n--- the end of stderr:\n${stderr.slice(-4000)}`;
}

const reason = checkLabPrivileges();
if (reason !== undefined) {
  test(`the lab cannot run here, its peer tests are skipped: ${reason}`, () => {});
} else {
  test('across NATs: private peers reserve relay slots, cone sites punch through, the job is right', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/netlab/main.ts', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 400_000,
    });
    const lines = run.stdout.trim().split('\n');
    assert.is(run.status, 0, `netlab exited ${run.status}: ${whatBroke(run.stderr)}`);
    const s = JSON.parse(lines[lines.length - 1]!) as Summary;
    assert.ok(s.ok);
    assert.ok(s.jobMatchesPlaintext, 'the job equals the plaintext');
    for (const host of ['a1', 'b1', 'c1']) {
      assert.is(s.reachability[host]?.state, 'private', `${host} learned it is behind a NAT`);
      assert.ok((s.discoveryMs[host] ?? -1) >= 0, `${host} found every dataset`);
    }
    const pair = (a: string, b: string) => s.connections.find((c) => c.from === a && c.to === b);
    assert.equal(pair('a1', 'b1'), { from: 'a1', to: 'b1', kind: 'direct', holePunched: true });
    assert.is(pair('a1', 'c1')?.kind, 'relayed', 'a symmetric NAT stays relayed');
    assert.is(pair('b1', 'c1')?.kind, 'relayed');
    // the job's record says how each party was reached, and the bytes through the relay are counted
    assert.equal(s.job.links, { b1: 'direct', c1: 'relayed' });
    assert.equal(s.jobAllDirect.links, { b1: 'direct', relay: 'direct' });
    assert.ok(s.relayedPayloadBytes > 0);
  });
}

test.run();
