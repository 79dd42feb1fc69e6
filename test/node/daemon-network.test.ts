/**
 * Three (then four) real daemons on 127.0.0.1, bootstrapped to each other, driven through the CLI:
 * a dataset added on one is found by name and by tag from the others and shown with its schema and
 * mock rows; `peers` and `connect` work; a removed dataset stops being found.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DatasetSearchResult, SignedDatasetDescription } from '../../src/node/types.js';
import { runCli } from '../cli-helpers.js';
import { eventually, killAll, startDaemonProcess, tmpDataDir, type DaemonProcess } from './daemon-helpers.js';

const dirs: string[] = [];
function dir(): string {
  const d = tmpDataDir('peermpc-daemon-net-');
  dirs.push(d);
  return d;
}

async function cliJson<T>(args: string[]): Promise<T> {
  const r = await runCli([...args, '--json']);
  if (r.code !== 0) throw new Error(`peermpc ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

test('datasets are found across daemons by name and tag, shown, and removed', async () => {
  const daemons: DaemonProcess[] = [];
  try {
    const a = await startDaemonProcess(dir());
    daemons.push(a);
    const b = await startDaemonProcess(dir(), ['--bootstrap', a.multiaddrs[0]!]);
    daemons.push(b);
    // C takes its bootstrap list from the config file written by `init`.
    const cDir = dir();
    const init = await runCli(['init', '-d', cDir, '--bootstrap', a.multiaddrs[0]!]);
    assert.is(init.code, 0, init.stderr);
    const c = await startDaemonProcess(cDir);
    daemons.push(c);

    // Bootstrap dials run in the background: B is connected to A soon after it started.
    await eventually('B connects to its bootstrap peer', async () => {
      const peers = await cliJson<Array<{ peerId: string }>>(['peers', '-d', b.dataDir]);
      return peers.some((p) => p.peerId === a.peerId) ? true : undefined;
    });

    const csv = join(a.dataDir, 'heights.csv');
    writeFileSync(csv, 'age,height,weight\n31,170,70\n45,182,88\n22,165,60\n50,175,80\n');
    const added = await runCli([
      'dataset',
      'add',
      csv,
      '--name',
      'heights',
      '--tags',
      'health,bio',
      '--mock-rows',
      '3',
      '-d',
      a.dataDir,
    ]);
    assert.is(added.code, 0, added.stderr);

    const byName = await eventually('B finds "heights" by name', async () => {
      const r = await cliJson<DatasetSearchResult>([
        'dataset',
        'search',
        'heights',
        '--by',
        'name',
        '-d',
        b.dataDir,
      ]);
      return r.found.find((s) => s.description.owner === a.peerId);
    });
    assert.is(byName.description.name, 'heights');
    assert.is(byName.description.rows, 4);

    const byTag = await eventually('C finds the tag "bio"', async () => {
      const r = await cliJson<DatasetSearchResult>([
        'dataset',
        'search',
        'bio',
        '--by',
        'tag',
        '-d',
        c.dataDir,
      ]);
      return r.found.find((s) => s.description.owner === a.peerId && s.description.name === 'heights');
    });
    assert.equal(byTag.description.tags, ['bio', 'health']);

    const text = await runCli(['dataset', 'search', 'health', '-d', c.dataDir]);
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`${a.peerId}\\s+heights\\s+4\\s+3`));

    const shown = await cliJson<SignedDatasetDescription>([
      'dataset',
      'show',
      `${a.peerId}/heights`,
      '-d',
      c.dataDir,
    ]);
    assert.equal(
      shown.description.columns.map((col) => col.name),
      ['age', 'height', 'weight'],
    );
    assert.ok(shown.description.mock.length > 0, 'mock rows');
    assert.ok(
      shown.description.mock.every((row) => row.length === 3),
      'mock rows have 3 columns',
    );
    assert.is(shown.description.mockSource, 'synthetic');
    const showText = await runCli(['dataset', 'show', `${a.peerId}/heights`, '-d', b.dataDir]);
    assert.is(showText.code, 0, showText.stderr);
    assert.match(showText.stdout, /age\s+height\s+weight/);
    const missing = await runCli(['dataset', 'show', `${a.peerId}/nothere`, '-d', b.dataDir]);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, 'nothere');

    // connect: a fourth daemon without bootstrap joins through `peermpc connect`.
    const d = await startDaemonProcess(dir());
    daemons.push(d);
    const connected = await runCli(['connect', a.multiaddrs[0]!, '-d', d.dataDir]);
    assert.is(connected.code, 0, connected.stderr);
    assert.is(connected.stdout.trim(), `connected to ${a.peerId}`);
    const peersOfD = await cliJson<Array<{ peerId: string }>>(['peers', '-d', d.dataDir]);
    assert.ok(
      peersOfD.some((p) => p.peerId === a.peerId),
      'D lists A after connect',
    );
    const badAddr = await runCli(['connect', 'not-an-address', '-d', d.dataDir]);
    assert.is(badAddr.code, 1);
    assert.match(badAddr.stderr, 'not a peer id or a multiaddr');

    // remove: the owner stops serving it, so searches stop finding it.
    const removed = await runCli(['dataset', 'remove', 'heights', '-d', a.dataDir]);
    assert.is(removed.code, 0, removed.stderr);
    await eventually('B stops finding the removed dataset', async () => {
      const r = await cliJson<DatasetSearchResult>(['dataset', 'search', 'heights', '-d', b.dataDir]);
      return r.found.some((s) => s.description.owner === a.peerId) ? undefined : true;
    });

    // deny: A refuses D from now on, through the CLI on both sides.
    const denied = await runCli(['access', 'deny', d.peerId, '-d', a.dataDir]);
    assert.is(denied.code, 0, denied.stderr);
    const refused = await eventually('A refuses D', async () => {
      const r = await runCli(['connect', a.multiaddrs[0]!, '-d', d.dataDir]);
      return r.code === 0 ? undefined : r;
    });
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /^error: /);

    for (const daemon of daemons) assert.is(await daemon.stop(), 0, daemon.output());
  } finally {
    await Promise.all(daemons.map((daemon) => daemon.stop().catch(() => undefined)));
    killAll();
  }
});

test.after(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
