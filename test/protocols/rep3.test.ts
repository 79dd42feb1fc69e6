/**
 * rep3 passes the conformance suite with its three compute parties alone, and with a fourth
 * party (an owner and result recipient that holds no shares) and a non-default role order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Protocol, Share } from '../../src/protocols/protocol.js';
import { rep3Protocol } from '../../src/protocols/rep3/index.js';
import { simulate } from '../../src/protocols/simulate.js';
import { RingTensor } from '../../src/tensor/index.js';
import { runConformance } from './conformance.js';

runConformance('rep3, 3 parties', (s) => rep3Protocol(s) as Protocol<Share>, 3);
runConformance(
  'rep3, 4 parties, compute parties [3, 1, 0]',
  (s) => rep3Protocol(s, { computeParties: [3, 1, 0] }) as Protocol<Share>,
  4,
);

test('rep3: single-round primitives launched together (steps taken at call time) stay correct', async () => {
  const xs = RingTensor.fromBigInts([3n, -5n, 1n << 40n, 0n, 7n]);
  const ys = RingTensor.fromBigInts([2n, 9n, -3n, 11n, -1n]);
  const runs = await simulate(3, async (s) => {
    const p = rep3Protocol(s);
    const x = await p.input(0, s.self === 0 ? xs : undefined, [5]);
    const y = await p.input(2, s.self === 2 ? ys : undefined, [5]);
    const bx = p.fromPublic(RingTensor.fromBigInts([1n, 0n, 1n, 1n, 0n]), 'B');
    const by = await p.a2b(y);
    const [m1, m2, b1, a1, t1] = await Promise.all([
      p.mul(x, y),
      p.mul(y, y),
      p.bitToA(bx),
      p.andB(bx, by),
      p.truncate(x, 1),
    ]);
    const out = [];
    for (const v of [m1!, m2!, b1!, a1!, t1!]) out.push((await p.reveal(v, [0]))?.toSignedBigInts());
    return out;
  });
  const x = xs.toSignedBigInts();
  const y = ys.toSignedBigInts();
  const [m1, m2, b1, a1, t1] = runs[0]!;
  assert.equal(
    m1,
    x.map((v, i) => v * y[i]!),
  );
  assert.equal(
    m2,
    y.map((v) => v * v),
  );
  assert.equal(b1, [1n, 0n, 1n, 1n, 0n]);
  assert.equal(
    a1,
    y.map((v, i) => BigInt.asIntN(64, BigInt.asUintN(64, v) & [1n, 0n, 1n, 1n, 0n][i]!)),
  );
  t1!.forEach((v, i) => assert.ok(v - (x[i]! >> 1n) >= -1n && v - (x[i]! >> 1n) <= 1n));
});

test('rep3 rejects a wrong set of compute parties', async () => {
  await simulate(2, async (s) => {
    assert.throws(() => rep3Protocol(s), /three distinct compute parties/);
  });
});

test.run();
