/** conv2d, maxPool2d and avgPool2d on every protocol against tfjs, 'valid' and 'same' padding, strides. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as nl from '../../src/protocols/ops/nonlinear/index.js';
import { loadTf } from '../../src/tensor/index.js';
import { runOp, type ProtoName } from './nonlinear-helpers.js';

const tf = await loadTf();
const ULP = 2 ** -16;
const grid = (n: number, scale: number, seed: number) =>
  Array.from({ length: n }, (_, i) => Math.round(Math.sin((i + 1) * seed) * scale * 2 ** 16) / 2 ** 16);

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) {
  assert.is(got.length, want.length, what);
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

for (const proto of ['plaintext', 'rep3', 'additive'] as ProtoName[]) {
  test(`${proto}: conv2d (valid/same, strides, bias) = tf.conv2d`, async () => {
    const xs = grid(2 * 7 * 6 * 3, 2, 1.3);
    const ks = grid(3 * 2 * 3 * 4, 0.5, 2.1);
    const bs = grid(4, 1, 0.7);
    for (const padding of ['valid', 'same'] as const) {
      for (const strides of [
        [1, 1],
        [2, 1],
      ] as [number, number][]) {
        const want = tf
          .conv2d(tf.tensor4d(xs, [2, 7, 6, 3]), tf.tensor4d(ks, [3, 2, 3, 4]), strides, padding)
          .add(tf.tensor1d(bs));
        const r = await runOp(
          proto,
          [
            { values: xs, shape: [2, 7, 6, 3] },
            { values: ks, shape: [3, 2, 3, 4] },
            { values: bs, shape: [4] },
          ],
          (p, [x, k, b]) => nl.conv2d(p, x!, k!, b, { strides, padding }),
        );
        assert.equal(r.shape, want.shape);
        close(r.values, want.dataSync(), 2 * ULP + 1e-5, `${proto} conv2d ${padding} ${strides}`);
      }
    }
  });

  test(`${proto}: maxPool2d and avgPool2d = tf.maxPool / tf.avgPool`, async () => {
    const xs = grid(2 * 5 * 7 * 2, 3, 0.9).map((v) => v - 4); // all negative around the padding
    for (const padding of ['valid', 'same'] as const) {
      for (const [pool, strides] of [
        [
          [2, 2],
          [2, 2],
        ],
        [
          [3, 2],
          [1, 2],
        ],
      ] as [number, number][][]) {
        const x = tf.tensor4d(xs, [2, 5, 7, 2]);
        const inputs = [{ values: xs, shape: [2, 5, 7, 2] }];
        const mx = await runOp(proto, inputs, (p, [s]) =>
          nl.maxPool2d(p, s!, pool!, { strides: strides!, padding }),
        );
        const wantMax = tf.maxPool(x, pool!, strides!, padding);
        assert.equal(mx.shape, wantMax.shape);
        close(mx.values, wantMax.dataSync(), 1e-6, `${proto} maxPool ${padding} ${pool}`);
        const av = await runOp(proto, inputs, (p, [s]) =>
          nl.avgPool2d(p, s!, pool!, { strides: strides!, padding }),
        );
        close(
          av.values,
          tf.avgPool(x, pool!, strides!, padding).dataSync(),
          2 * ULP + 1e-5,
          `${proto} avgPool ${padding} ${pool}`,
        );
      }
    }
  });
}

test('conv2d checks its shapes', async () => {
  try {
    await runOp(
      'plaintext',
      [
        { values: [1, 2, 3, 4], shape: [1, 2, 2, 1] },
        { values: [1, 2], shape: [1, 1, 2, 1] },
      ],
      (p, [x, k]) => nl.conv2d(p, x!, k!, undefined),
    );
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /does not fit 1 input channels/);
  }
});

test.run();
