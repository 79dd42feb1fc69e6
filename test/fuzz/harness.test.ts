/**
 * The fuzz harness itself: determinism, mutators, the allocation guard, how outcomes are
 * classified, and the supervisor's watchdog (a hanging input is killed, saved and skipped).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES, hangs } from './fixtures.js';
import { AllocationBudgetError, beginGuard, endGuard, installGuard } from './lib/guard.js';
import { deepRaw, mutateJson, PROTO_KEYS, serialize, setKey } from './lib/mutate-json.js';
import { mutateBytes } from './lib/mutate-bytes.js';
import { Rng } from './lib/rng.js';
import { execute, inputAt } from './lib/runner.js';
import { supervise } from './lib/supervisor.js';
import { packFiles, unpackFiles, type FuzzTarget } from './lib/target.js';

installGuard();
const { getTarget } = await import('./targets/index.js');

test('the rng is a function of its seed', () => {
  const a = new Rng('s/t/1');
  const b = new Rng('s/t/1');
  const c = new Rng('s/t/2');
  const xs = Array.from({ length: 8 }, () => a.u32());
  assert.equal(
    Array.from({ length: 8 }, () => b.u32()),
    xs,
  );
  assert.not.equal(
    Array.from({ length: 8 }, () => c.u32()),
    xs,
  );
});

test('inputs are a function of seed, target and iteration (signed jobs included)', async () => {
  for (const name of ['job', 'frame', 'audit-log']) {
    const p = await getTarget(name).prepare();
    for (const i of [0, 7, 99]) {
      const x = await inputAt(p, name, 'seed-a', i);
      const y = await inputAt(p, name, 'seed-a', i);
      assert.equal(Buffer.from(x.bytes).equals(Buffer.from(y.bytes)), true, `${name} #${i}`);
    }
  }
});

test('JSON mutations always write JSON; deep nests, raw numbers and prototype keys survive', () => {
  const seed = { a: [1, 'x', { b: null }], c: { d: true } };
  const rng = new Rng('json');
  for (let i = 0; i < 500; i++)
    JSON.parse(serialize(mutateJson(rng, seed, { dictionary: ['k'], donors: [seed] })));
  const deep = JSON.parse(serialize({ x: deepRaw(10_000, 'array') })) as { x: unknown };
  let depth = 0;
  for (let v: unknown = deep.x; Array.isArray(v); v = v[0]) depth++;
  assert.is(depth, 10_000);
  const o: Record<string, unknown> = {};
  for (const k of PROTO_KEYS) setKey(o, k, 1);
  assert.equal(Object.keys(JSON.parse(serialize(o)) as object).sort(), [...PROTO_KEYS].sort());
  assert.is(serialize({ n: deepRaw(0, 'array', '-0') }), '{"n":-0}');
});

test('byte mutations stay within the length limit', () => {
  const rng = new Rng('bytes');
  for (let i = 0; i < 300; i++) {
    const out = mutateBytes(rng, new Uint8Array([1, 2, 3]), { maxLength: 4096 });
    assert.ok(out.length <= 4096 + 4096, `${out.length}`);
  }
});

test('packed files unpack to the same files; missing ones are undefined', () => {
  const [a, b, c] = unpackFiles(packFiles('log', '', 'peers'), 3);
  assert.equal(
    [a, b, c].map((x) => Buffer.from(x!).toString()),
    ['log', '', 'peers'],
  );
  assert.is(unpackFiles(packFiles('only'), 2)[1], undefined);
});

test('the guard refuses an allocation over the budget before making it, views cost nothing', () => {
  beginGuard(1 << 20);
  const buf = new ArrayBuffer(1024);
  new Uint8Array(buf, 0, 512); // a view
  Buffer.alloc(1000);
  assert.throws(
    () => new Float64Array(1 << 20),
    (e: unknown) => e instanceof AllocationBudgetError,
  );
  const r = endGuard();
  assert.ok(r.violation !== undefined && r.total >= 1024 + 1000);
  assert.instance(new Uint8Array(4), Uint8Array); // instanceof still works through the proxies
  assert.ok(Buffer.alloc(2) instanceof Uint8Array);
});

async function outcome(target: FuzzTarget, bytes: number[]): Promise<string> {
  const o = await execute(await target.prepare(), new Uint8Array(bytes), { timeoutMs: 2000 });
  return o.status === 'finding' ? `finding:${o.kind}` : o.status;
}

test('outcomes: a typed refusal passes; an engine TypeError, an over-allocation, an escape are findings', async () => {
  assert.is(await outcome(FIXTURES.crash!, [1]), 'refused');
  assert.is(await outcome(FIXTURES.crash!, [0xff]), 'finding:crash');
  assert.is(await outcome(FIXTURES.alloc!, [1]), 'finding:memory');
  assert.is(await outcome(FIXTURES.escape!, [1]), 'finding:unhandled');
  assert.is(await outcome(FIXTURES.hang!, [1]), 'ok');
});

test('the watchdog kills a hanging input, saves it and resumes after it', async () => {
  const p = await FIXTURES.hang!.prepare();
  let first = -1;
  for (let i = 0; first < 0 && i < 200; i++) if (hangs((await inputAt(p, 'hang', 'w', i)).bytes)) first = i;
  assert.ok(first >= 0);
  const out = mkdtempSync(join(tmpdir(), 'peermpc-fuzz-test-'));
  try {
    const stats = await supervise('hang', {
      seed: 'w',
      iterations: first + 2,
      timeoutMs: 300,
      out,
      minimize: false,
      registry: new URL('./fixtures.ts', import.meta.url).href,
      log: () => {},
    });
    assert.is(stats.findings[0]?.kind, 'timeout');
    assert.is(stats.findings[0]?.iteration, first);
    assert.ok(stats.iterations >= first + 1, `${stats.iterations} inputs`);
    assert.equal(readdirSync(join(out, 'hang')).length, 3); // .bin, .orig.bin, .txt
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
