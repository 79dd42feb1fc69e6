/**
 * The README's main job runs in CI: `npm run demo` (scripts/demo.ts) finishes, prints the result
 * beside the plaintext answer, every audit log verifies, and nothing is left behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const DEMO = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));

test('npm run demo finishes, matches plaintext and cleans up', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', DEMO], {
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the demo did not finish in 150 s:\n${out}`)), 150_000);
      child.on('close', resolve);
    });
    assert.is(code, 0, out);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // the demo cleans up on SIGINT
      await new Promise((r) => setTimeout(r, 5_000));
      child.kill('SIGKILL');
    }
  }
  assert.match(out, /found 3 datasets/);
  assert.match(out, /peermpc job approve [0-9a-f]{32}/);
  assert.match(out, /job done/);
  const diff = /largest \|MPC - plaintext\| over the matrix: ([0-9.e+-]+)/.exec(out);
  assert.ok(diff !== null && Number(diff[1]) < 1e-3, 'correlation close to plaintext');
  assert.is((out.match(/audit log intact/g) ?? []).length, 4);
  const root = /data dirs under (\S+)\)/.exec(out)?.[1];
  assert.ok(root !== undefined && !existsSync(root), 'the demo removed its data directories');
  assert.match(out, /demo finished in [0-9.]+s/);
});

test.run();
