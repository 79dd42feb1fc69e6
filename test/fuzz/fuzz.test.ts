/**
 * A short seeded run of every fuzz target (docs/FUZZING.md): the seeds pass, then a fixed number of
 * mutated inputs (seed `npm-test`, so the same inputs every time) find nothing. Longer runs:
 * `npm run fuzz -- all --seconds 60`. `PEERMPC_FUZZ_ITERATIONS` scales the count.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeFinding } from './lib/findings.js';
import { installGuard } from './lib/guard.js';

installGuard(); // before the decoders are imported (lib/guard.ts)
const { TARGETS } = await import('./targets/index.js');
const { execute, fuzzLoop } = await import('./lib/runner.js');

/** Inputs per target: the fast codecs get more. */
const FAST = new Set(['tensor', 'frame', 'channel', 'audit-wire']);
const scale = Number(process.env.PEERMPC_FUZZ_ITERATIONS ?? 1);

for (const target of TARGETS) {
  const iterations = Math.max(1, Math.round((FAST.has(target.name) ? 200 : 40) * scale));
  test(`${target.name}: seeds pass, ${iterations} seeded inputs find nothing`, async () => {
    const prepared = await target.prepare();
    for (const [i, seed] of prepared.seeds.entries()) {
      const o = await execute(prepared, seed.bytes);
      assert.ok(o.status !== 'finding', `seed ${i}: ${o.kind} ${String(o.error)}`);
    }
    const stats = await fuzzLoop(target, prepared, {
      ...{ seed: 'npm-test', iterations, minimize: true },
      confirmTimeouts: false, // in-process, a slow input costs its time again
    });
    assert.is(stats.iterations, iterations);
    assert.equal(
      stats.findings.map((f) => describeFinding(f)),
      [],
    );
  });
}

test.run();
