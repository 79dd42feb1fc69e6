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

test('it takes effect after start: V8 sets the old generation limit at 3x the live size', () => {
  // V8's own trace says which growth factor each full collection applied ("Limit: ... (3.0)")
  const code = `import { tuneGcForTransfers } from ${JSON.stringify(MODULE)};
if (process.env.TUNE === '1') tuneGcForTransfers();
const keep = [];
for (let i = 0; i < 200; i++) { keep.push(new Array(10000).fill(i)); if (keep.length > 50) keep.shift(); }
globalThis.gc();`;
  const factors = (tune: string): string[] => {
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', '--trace-gc-verbose', '--import', 'tsx', '--input-type=module', '-e', code],
      {
        encoding: 'utf8',
        env: { ...process.env, PEERMPC_GC_TUNING: '', NODE_OPTIONS: '', TUNE: tune },
        timeout: 60_000,
      },
    );
    assert.is(r.status, 0, r.stderr);
    return [...r.stdout.matchAll(/\[HeapController\] Limit: .*\((\d+\.\d)\)/g)].map((m) => m[1]!);
  };
  const tuned = factors('1');
  assert.ok(tuned.length > 0, 'V8 traced its limits');
  assert.ok(
    tuned.every((f) => f === '3.0'),
    `tuned: ${tuned.join(', ')}`,
  );
  assert.ok(
    factors('0').some((f) => f !== '3.0'),
    'untuned, V8 picks its own factor',
  );
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
