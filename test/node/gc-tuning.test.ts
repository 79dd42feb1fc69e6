/**
 * tuneGcForTransfers: V8's heap growing factor set once per process, skipped with
 * PEERMPC_GC_TUNING=0 or a setting of the process's own (each case in a fresh process, since the
 * setting is process-wide).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const MODULE = fileURLToPath(new URL('../../src/node/gc-tuning.ts', import.meta.url));

/** The results of two calls in a fresh process with `env` and node `flags`. */
function twoCalls(env: Record<string, string>, flags: string[] = []): unknown {
  const code = `import { tuneGcForTransfers } from ${JSON.stringify(MODULE)};
console.log(JSON.stringify([tuneGcForTransfers(), tuneGcForTransfers()]));`;
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, PEERMPC_GC_TUNING: '', NODE_OPTIONS: '', ...env },
    timeout: 60_000,
  });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim());
}

test('this node knows the flag the tuning sets (V8 ignores unknown flags silently)', () => {
  const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
  assert.match(options, /--heap-growing-percent/);
});

test('applied once by default', () => {
  assert.equal(twoCalls({}), [true, true]);
});

test('PEERMPC_GC_TUNING=0 skips it', () => {
  assert.equal(twoCalls({ PEERMPC_GC_TUNING: '0' }), [false, false]);
});

test("a process's own setting on its command line wins; other options do not", () => {
  assert.equal(twoCalls({}, ['--heap-growing-percent=50']), [false, false]);
  assert.equal(twoCalls({ NODE_OPTIONS: '--max-old-space-size=4096' }), [true, true]);
});

test.run();
