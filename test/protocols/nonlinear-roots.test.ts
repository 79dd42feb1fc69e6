/** rsqrt and sqrt on every protocol, against tfjs, over their documented range and at its edges. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rsqrt, sqrt } from '../../src/protocols/ops/nonlinear/index.js';
import { loadTf } from '../../src/tensor/index.js';
import { logGrid, runOp, type ProtoName } from './nonlinear-helpers.js';

const tf = await loadTf();
const ULP = 2 ** -16;
/** The documented bound: |error| <= 4 ulp + (2 ulp + 4e-6) * |f(x)| on 2^-16 <= x < 2^maxLog2. */
const bound = (want: number) => 4 * ULP + (2 * ULP + 4e-6) * Math.abs(want);

function check(got: ArrayLike<number>, want: ArrayLike<number>, xs: readonly number[], what: string) {
  for (let i = 0; i < xs.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    assert.ok(e <= bound(want[i]!), `${what}: x=${xs[i]} got ${got[i]} want ${want[i]} (error ${e})`);
  }
}

for (const proto of ['plaintext', 'rep3', 'additive'] as ProtoName[]) {
  test(`${proto}: rsqrt and sqrt on [2^-16, 2^20) including both ends`, async () => {
    const xs = logGrid(2 ** -16, 2 ** 20 - ULP, proto === 'plaintext' ? 400 : 120);
    const want = tf.rsqrt(tf.tensor1d(xs, 'float32')).dataSync();
    const r = await runOp(proto, [{ values: xs, shape: [2, xs.length / 2] }], (p, [x]) => rsqrt(p, x!));
    assert.equal(r.shape, [2, xs.length / 2]);
    check(r.values, want, xs, `${proto} rsqrt`);
    const s = await runOp(proto, [{ values: xs, shape: [xs.length] }], (p, [x]) => sqrt(p, x!));
    check(s.values, tf.sqrt(tf.tensor1d(xs, 'float32')).dataSync(), xs, `${proto} sqrt`);
  });
}

test('rsqrt with a wider range (maxLog2 = 28) and f = 12', async () => {
  const f = 12;
  const xs = logGrid(2 ** -12, 2 ** 28 - 1, 60, f);
  const r = await runOp(
    'rep3',
    [{ values: xs, shape: [xs.length] }],
    (p, [x]) => rsqrt(p, x!, { maxLog2: 28, fractionalBits: f }),
    f,
  );
  xs.forEach((x, i) => {
    const want = 1 / Math.sqrt(x);
    assert.ok(Math.abs(r.values[i]! - want) <= 4 * 2 ** -f + (2 ** (1 - f) + 4e-6) * want, `x=${x}`);
  });
});

test('rsqrt rounds on rep3 are 26, independent of the size', async () => {
  const a = await runOp('rep3', [{ values: [2], shape: [1] }], (p, [x]) => rsqrt(p, x!));
  const b = await runOp('rep3', [{ values: [2, 3, 4, 5], shape: [2, 2] }], (p, [x]) => rsqrt(p, x!));
  assert.is(a.rounds, 26);
  assert.is(b.rounds, 26);
  assert.ok(Math.abs(a.values[0]! - Math.SQRT1_2) < 1e-4);
});

test('bad ranges are RangeErrors', async () => {
  try {
    await runOp('plaintext', [{ values: [1], shape: [1] }], (p, [x]) => rsqrt(p, x!, { maxLog2: 40 }));
    assert.unreachable();
  } catch (err) {
    assert.match(String((err as Error).message), /maxLog2 40/);
  }
});

test.run();
