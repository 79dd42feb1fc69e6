/**
 * Bounded comparisons (ops/bounds.ts; rep3/bounded.ts, carry.ts, planes.ts, inject.ts): msb, lt,
 * gt, le, ge and relu with `bits` against a BigInt reference, exactly, at the edges of the bound
 * (-2^(k-1), 2^(k-1) - 1 and their neighbours inside), 0, ±1 and random values at several scales;
 * the declared cost (opCost with bits) equals the measured rounds and bytes on every party. Run on
 * rep3 (3 parties, and 4 with another role order) and additive (2 + dealer, 3 + dealer), where the
 * bound is accepted and the 64-bit circuit answers. Also: the plane transpose, the circuit's AND
 * count, uniform messages on rep3 whatever the secret, and bad bounds refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdditiveProtocol } from '../../src/protocols/additive/index.js';
import { compareBits, productBits } from '../../src/protocols/ops/bounds.js';
import { ge, gt, le, lt, msb, relu } from '../../src/protocols/ops/compare.js';
import { opCost } from '../../src/protocols/ops/cost.js';
import type { Protocol, Share } from '../../src/protocols/protocol.js';
import { carryPlan } from '../../src/protocols/rep3/carry.js';
import { rep3Protocol } from '../../src/protocols/rep3/index.js';
import { fromPlane, planeWords, toPlanes } from '../../src/protocols/rep3/planes.js';
import { RingTensor } from '../../src/tensor/index.js';
import { randomWords } from '../helpers/bigint-ref.js';
import { costErrors, runAll, type MakeProtocol } from './conformance-helpers.js';
import { assertUniform, receivedUnder } from './conformance-security.js';

const CONFIGS: [string, MakeProtocol, number][] = [
  ['rep3', (s) => rep3Protocol(s) as Protocol<Share>, 3],
  ['rep3 roles [3, 1, 0]', (s) => rep3Protocol(s, { computeParties: [3, 1, 0] }) as Protocol<Share>, 4],
  [
    'additive 2 + dealer',
    (s) => new AdditiveProtocol(s, { computeParties: [0, 1], dealer: 2 }) as Protocol<Share>,
    3,
  ],
  [
    'additive 3 + dealer',
    (s) => new AdditiveProtocol(s, { computeParties: [0, 1, 2], dealer: 3 }) as Protocol<Share>,
    4,
  ],
];

/** Values d with -2^(k-1) <= d < 2^(k-1): the edges, 0, ±1, and random ones at several scales. */
function inBound(k: number, count: number, seed: number): bigint[] {
  const h = 1n << BigInt(k - 1);
  const edges = [-h, h - 1n, -h + 1n, h - 2n, 0n, -1n, 1n, h / 2n, -(h / 2n), h / 3n];
  const out = edges.filter((v) => v >= -h && v < h);
  const words = randomWords(count, seed);
  words.forEach((w, i) => {
    const scale = BigInt(1 + (i % k)); // magnitudes from 1 bit up to k bits
    const m = 1n << (scale - 1n);
    const v = BigInt.asUintN(64, w) % (2n * m);
    out.push(v - m); // in [-m, m) with m <= h
  });
  return out;
}

const b = (v: boolean): bigint => (v ? 1n : 0n);

for (const [name, make, parties] of CONFIGS) {
  test(`${name}: bounded msb/lt/gt/le/ge/relu are exact at and inside the bound; costs as declared`, async () => {
    for (const k of [1, 2, 5, 17, 32, 48, 49, 63, 64]) {
      const d = inBound(k, 90, 1000 + k);
      const n = d.length;
      // y small enough that x = y + d stays a signed 64-bit value: lt(x, y) = (x < y) = (d < 0)
      const y = randomWords(n, 2000 + k).map((w, i) => {
        const v = BigInt.asIntN(64, w) >> 3n;
        const x = v + d[i]!;
        return x >= -(1n << 63n) && x < 1n << 63n ? v : 0n;
      });
      const x = d.map((v, i) => v + y[i]!);
      const runs = await runAll(parties, make, async (c) => {
        const p = c.p;
        const X = await c.input(0, RingTensor.fromBigInts(x));
        const Y = await c.input(parties - 1, RingTensor.fromBigInts(y));
        const D = await c.input(0, RingTensor.fromBigInts(d));
        const opts = { bits: k };
        const cost = (op: 'msb' | 'relu') => opCost(p, op, n, 1, 16, k);
        const out: bigint[][] = [];
        const run = async (what: string, op: 'msb' | 'relu', f: () => Promise<Share>) =>
          out.push((await c.open(await c.costed(`${what} (bits ${k})`, cost(op), f))).toSignedBigInts());
        await run('msb', 'msb', () => msb(p, D, opts));
        await run('lt', 'msb', () => lt(p, X, Y, opts));
        await run('lt public', 'msb', () => lt(p, D, RingTensor.fromBigInts([0n]), opts));
        await run('gt', 'msb', () => gt(p, Y, X, opts));
        await run('le', 'msb', () => le(p, Y, X, opts));
        await run('ge', 'msb', () => ge(p, X, Y, opts));
        await run('relu', 'relu', () => relu(p, D, opts));
        return out;
      });
      assert.equal(costErrors(runs), [], `costs, bits ${k}`);
      const neg = d.map((v) => b(v < 0n));
      const nonneg = d.map((v) => b(v >= 0n));
      for (const run of runs) {
        const [m, l, lp, g, le_, ge_, r] = run.value;
        assert.equal(m, neg, `msb, bits ${k}`);
        assert.equal(l, neg, `lt, bits ${k}`);
        assert.equal(lp, neg, `lt public, bits ${k}`);
        assert.equal(g, neg, `gt, bits ${k}`);
        assert.equal(le_, nonneg, `le, bits ${k}`);
        assert.equal(ge_, nonneg, `ge, bits ${k}`);
        assert.equal(
          r,
          d.map((v) => (v > 0n ? v : 0n)),
          `relu, bits ${k}`,
        );
      }
    }
  });
}

test('rep3: bounded lt and relu on many values (n not a multiple of 64), 64-bit lt and relu too', async () => {
  const n = 1000;
  const k = 40;
  const d = inBound(k, n, 7);
  const runs = await runAll(3, CONFIGS[0]![1], async (c) => {
    const p = c.p;
    const D = await c.input(1, RingTensor.fromBigInts(d));
    const out: bigint[][] = [];
    for (const bits of [k, 64]) {
      const l = await c.costed('msb', opCost(p, 'msb', d.length, 1, 16, bits), () => msb(p, D, { bits }));
      const r = await c.costed('relu', opCost(p, 'relu', d.length, 1, 16, bits), () => relu(p, D, { bits }));
      out.push((await c.open(l)).toSignedBigInts(), (await c.open(r)).toSignedBigInts());
    }
    return out;
  });
  assert.equal(costErrors(runs), []);
  for (const v of runs[0]!.value.filter((_, i) => i % 2 === 0))
    assert.equal(
      v,
      d.map((x) => b(x < 0n)),
    );
  for (const v of runs[0]!.value.filter((_, i) => i % 2 === 1))
    assert.equal(
      v,
      d.map((x) => (x > 0n ? x : 0n)),
    );
});

test('rep3: what each party receives in a bounded msb and relu is uniform whatever the secret', async () => {
  const n = 512;
  const results = await receivedUnder(
    3,
    CONFIGS[0]![1],
    (p, secret) => p.input(0, secret([n]), [n]),
    async (p, x) => {
      await msb(p, x, { bits: 49 });
      await relu(p, x, { bits: 49 });
      await relu(p, x);
    },
  );
  assert.ok(assertUniform(results, 'bounded msb and relu', 4096) > 0);
});

test('bit planes: toPlanes / fromPlane transpose exactly (n not a multiple of 64)', () => {
  for (const n of [1, 63, 64, 65, 200]) {
    const x = RingTensor.fromBigInts(randomWords(n, n)).data;
    const W = planeWords(n);
    const planes = toPlanes(x, W, new BigUint64Array(W));
    for (let i = 0; i < 64; i++) {
      const bits = fromPlane(planes.subarray(i * W, (i + 1) * W), n);
      assert.equal(
        [...bits],
        [...x].map((v) => (v >> BigInt(i)) & 1n),
        `plane ${i}, n ${n}`,
      );
    }
  }
});

test('carry plan: about 2K AND planes, at most one round more than a log-depth tree', () => {
  for (const K of [1, 2, 3, 16, 31, 47, 48, 62, 63]) {
    const { groups, rounds } = carryPlan(K);
    assert.is(
      groups.reduce((a, g) => a + g, 0),
      K,
    );
    const ands = rounds.reduce((a, r) => a + r, 0);
    assert.ok(ands <= Math.max(1, 2.2 * K), `K ${K}: ${ands} AND planes`);
    assert.ok(rounds.length <= Math.ceil(Math.log2(K)) + 2, `K ${K}: ${rounds.length} rounds`);
  }
  assert.equal(
    carryPlan(48).rounds.reduce((a, r) => a + r, 0),
    99,
  );
});

test('bounds: bits outside [1, 64] are refused before any step; productBits', async () => {
  for (const bits of [0, 65, 1.5, NaN]) assert.throws(() => compareBits({ bits }), RangeError);
  assert.is(compareBits(undefined), 64);
  assert.is(productBits(16), 48);
  await runAll(3, CONFIGS[0]![1], async (c) => {
    const x = await c.input(0, RingTensor.fromBigInts([1n]));
    for (const f of [() => msb(c.p, x, { bits: 65 }), () => relu(c.p, x, { bits: 0 })]) {
      const err = await f().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.instance(err, RangeError);
    }
  });
});

test.run();
