/**
 * The tfjs that `loadTf()` returns trains models (issue 13): without tfjs-node it is the cpu
 * backend, which has every training kernel (the wasm backend lacks Conv2DBackpropFilter and, once
 * loaded, prints its minified source with any uncaught error). Each case runs in a fresh process,
 * as a user's script does, and reads what it printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const TF = fileURLToPath(new URL('../../src/tensor/tf.ts', import.meta.url));

/** Runs `body` (an ES module using `tf`) in a fresh node; returns its exit code and output. */
function run(body: string, env: Record<string, string> = {}): { code: number; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'peermpc-tf-'));
  try {
    const file = join(dir, 'script.mts');
    writeFileSync(
      file,
      `import { loadTf } from ${JSON.stringify(TF)};\nconst tf = await loadTf();\n${body}\n`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
      encoding: 'utf8',
      env: { ...process.env, PEERMPC_TF_BACKEND: '', ...env },
      timeout: 120_000,
    });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a conv model trains with the default backend, and no banner is printed', () => {
  const { code, out } = run(`
const m = tf.sequential({ layers: [
  tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }),
  tf.layers.flatten(), tf.layers.dense({ units: 1 })] });
m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
const h = await m.fit(tf.ones([4, 6, 6, 1]), tf.ones([4, 1]), { epochs: 1, verbose: 0 });
console.log('loss', Number.isFinite(h.history.loss[0]), tf.getBackend());`);
  assert.is(code, 0, out.slice(0, 2000));
  assert.match(out, /loss true/);
  assert.not.match(out, /looks like you are running/);
});

test('an uncaught error in a user script prints the error, not kilobytes of library code', () => {
  const { code, out } = run(`throw new Error('my own mistake');`);
  assert.is.not(code, 0);
  assert.match(out, /my own mistake/);
  assert.ok(out.length < 4000, `printed ${out.length} characters`);
});

test.run();
