/**
 * Conformance, ring part: input/reveal, local ops, mul/matmul, boolean ops and truncation of a
 * protocol against BigInt (exact) or floor division (truncation: within 1), with every call's
 * measured rounds and bytes equal to its declared cost on every party.
 */
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { RingTensor } from '../../src/tensor/index.js';
import { M, matmulRef } from '../helpers/bigint-ref.js';
import { costErrors, ringData, runAll, sgn, smallInts, type MakeProtocol } from './conformance-helpers.js';

/** What the parts of the suite need. */
export interface SuiteConfig {
  make: MakeProtocol;
  parties: number;
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const big = (t: RingTensor): bigint[] => t.toBigInts();
const zip = (a: bigint[], b: bigint[], f: (x: bigint, y: bigint) => bigint): bigint[] =>
  a.map((x, i) => M(f(x, b[i]!)));

/** Registers the ring tests on `t`. */
export function ringTests(t: Test, cfg: SuiteConfig): void {
  const { make, parties } = cfg;
  const all = [...Array(parties).keys()];

  t('input from every party; reveal to all and to each party alone; edge shapes', async () => {
    const shapes = [[2, 3], [], [1, 1, 1], [0], [5]];
    const runs = await runAll(parties, make, async (c) => {
      const out: { owner: number; shape: number[]; all: bigint[]; alone: (bigint[] | undefined)[] }[] = [];
      for (let owner = 0; owner < parties; owner++) {
        for (const [si, shape] of shapes.entries()) {
          const v = ringData(shape, 100 * owner + si + 1);
          const x = await c.input(owner, v);
          assert.equal([...x.shape], shape);
          const opened = big(await c.open(x));
          const alone: (bigint[] | undefined)[] = [];
          for (const to of all) {
            const r = await c.prim('reveal', v.size, () => c.p.reveal(x, [to]), { recipients: [to], to: 1 });
            alone.push(r === undefined ? undefined : big(r));
          }
          out.push({ owner, shape, all: opened, alone });
        }
      }
      return out;
    });
    assert.equal(costErrors(runs), []);
    for (const [party, run] of runs.entries()) {
      for (const o of run.value) {
        const want = big(
          ringData(o.shape, 100 * o.owner + shapes.findIndex((s) => s.join() === o.shape.join()) + 1),
        );
        assert.equal(
          o.all,
          want,
          `owner ${o.owner} shape [${o.shape}] revealed to all, seen by party ${party}`,
        );
        o.alone.forEach((r, to) => {
          if (to === party) assert.equal(r, want, `reveal to ${to} alone`);
          else assert.is(r, undefined, `party ${party} got a value revealed to party ${to} alone`);
        });
      }
    }
  });

  t(
    'a bad input owner or reveal recipient, or a truncation outside [0, 62], fails on every party',
    async () => {
      const runs = await runAll(parties, make, async (c) => {
        const x = await c.input(0, ringData([2], 1));
        const misuses = [
          () => c.p.input(parties, undefined, [2]),
          () => c.p.input(-1, undefined, [2]),
          () => c.p.reveal(x, [parties]),
          () => c.p.reveal(x, [0, 0]),
          () => c.p.truncate(x, 63),
          () => c.p.mulTrunc(x, x, -1),
          () => c.p.mulTrunc(x, x, 1.5),
        ];
        const names: string[] = [];
        for (const misuse of misuses) {
          await misuse().then(
            () => names.push('no error'),
            (e: unknown) => names.push((e as Error).name),
          );
        }
        // the session is still in step: a good reveal works after the refusals
        return { names, opened: big(await c.open(x)) };
      });
      for (const [party, run] of runs.entries()) {
        assert.equal(
          run.value.names,
          [...Array<string>(4).fill('ProtocolUsageError'), ...Array<string>(3).fill('RangeError')],
          `party ${party}`,
        );
        assert.equal(run.value.opened, big(ringData([2], 1)));
      }
    },
  );

  t('local ops are exact and free: add, sub, neg, public add/mul, shifts, sums, layout', async () => {
    const xv = ringData([2, 3, 4], 7);
    const yv = ringData([3, 4], 8);
    const pv = ringData([4], 9);
    const img = ringData([1, 4, 4, 2], 10);
    const runs = await runAll(parties, make, async (c) => {
      const x = await c.input(0, xv);
      const y = await c.input(parties - 1, yv);
      const im = await c.input(0, img);
      const p = c.p;
      const results = [
        await c.local('add', () => p.add(x, y)),
        await c.local('sub', () => p.sub(x, y)),
        await c.local('neg', () => p.neg(x)),
        await c.local('addPublic', () => p.addPublic(x, pv)),
        await c.local('addPublic scalar', () => p.addPublic(x, (1n << 64n) - 5n)),
        await c.local('mulPublic', () => p.mulPublic(x, pv)),
        await c.local('mulPublic scalar', () => p.mulPublic(x, 3n)),
        await c.local('shlA', () => p.shlA(x, 63)),
        await c.local('sum axis 1', () => p.sum(x, 1)),
        await c.local('sum all', () => p.sum(x)),
        await c.local('sum keepDims', () => p.sum(x, -1, true)),
        await c.local('reshape', () => p.reshape(x, [6, -1])),
        await c.local('transpose', () => p.transpose(x, [2, 0, 1])),
        await c.local('slice', () => p.slice(x, 1, 1, 3)),
        await c.local('concat', () => p.concat([x, x], 2)),
        await c.local('broadcastTo', () => p.broadcastTo(y, [2, 3, 4])),
        await c.local('fromPublic', () => p.fromPublic(pv, 'A')),
        await c.local(
          'im2col',
          () => p.im2col(im, { kernelSize: [3, 3], padding: 'same', strides: [2, 1] }).patches,
        ),
      ];
      const opened: { shape: number[]; v: bigint[] }[] = [];
      for (const r of results) opened.push({ shape: [...r.shape], v: big(await c.open(r)) });
      return opened;
    });
    assert.equal(costErrors(runs), []);
    const x = big(xv);
    const yb = big(yv.broadcastTo([2, 3, 4]));
    const pb = big(pv.broadcastTo([2, 3, 4]));
    const expected: RingTensor[] = [
      RingTensor.fromBigInts(
        zip(x, yb, (a, b) => a + b),
        [2, 3, 4],
      ),
      RingTensor.fromBigInts(
        zip(x, yb, (a, b) => a - b),
        [2, 3, 4],
      ),
      RingTensor.fromBigInts(
        x.map((a) => M(-a)),
        [2, 3, 4],
      ),
      RingTensor.fromBigInts(
        zip(x, pb, (a, b) => a + b),
        [2, 3, 4],
      ),
      RingTensor.fromBigInts(
        x.map((a) => M(a - 5n)),
        [2, 3, 4],
      ),
      RingTensor.fromBigInts(
        zip(x, pb, (a, b) => a * b),
        [2, 3, 4],
      ),
      RingTensor.fromBigInts(
        x.map((a) => M(a * 3n)),
        [2, 3, 4],
      ),
      RingTensor.fromBigInts(
        x.map((a) => M(a << 63n)),
        [2, 3, 4],
      ),
      xv.sum(1),
      RingTensor.fromBigInts([M(x.reduce((a, b) => a + b, 0n))], []),
      xv.sum(-1, true),
      xv.reshape([6, 4]),
      xv.transpose([2, 0, 1]),
      xv.slice(1, 1, 3),
      RingTensor.concat([xv, xv], 2),
      yv.broadcastTo([2, 3, 4]),
      pv,
      img.im2col({ kernelSize: [3, 3], padding: 'same', strides: [2, 1] }).patches,
    ];
    for (const run of runs) {
      run.value.forEach((o, i) => {
        assert.equal(o.shape, [...expected[i]!.shape], `op ${i} shape`);
        assert.equal(o.v, big(expected[i]!), `op ${i} values`);
      });
    }
  });

  t('mul and matmul (2-D, batched, broadcast) are exact; costs as declared', async () => {
    const cases: [number[], number[]][] = [
      [
        [3, 5],
        [3, 5],
      ],
      [[2, 3], [3]],
      [
        [3, 4],
        [4, 5],
      ],
      [
        [2, 3, 4],
        [4, 2],
      ],
      [
        [2, 3, 4],
        [2, 4, 2],
      ],
      [
        [3, 4],
        [2, 4, 3],
      ],
    ];
    const runs = await runAll(parties, make, async (c) => {
      const out: bigint[][] = [];
      for (const [i, [sa, sb]] of cases.entries()) {
        const a = await c.input(0, ringData(sa, 20 + i));
        const b = await c.input(1 % parties, ringData(sb, 40 + i));
        const elementwise = i < 2;
        const outShape = elementwise ? (i === 0 ? sa : sa) : matShape(sa, sb);
        const n = outShape.reduce((x, y) => x * y, 1);
        const z = elementwise
          ? await c.prim('mul', n, () => c.p.mul(a, b))
          : await c.prim('matmul', n, () => c.p.matmul(a, b), {
              k: sa[sa.length - 1]!,
              n: sb[sb.length - 1]!,
              operands: [size(sa), size(sb)],
            });
        out.push(big(await c.open(z)));
      }
      return out;
    });
    assert.equal(costErrors(runs), []);
    for (const run of runs) {
      cases.forEach(([sa, sb], i) => {
        const a = ringData(sa, 20 + i);
        const b = ringData(sb, 40 + i);
        let want: bigint[];
        if (i < 2) want = zip(big(a), big(b.broadcastTo(sa)), (x, y) => x * y);
        else want = batchedMatmulRef(a, b);
        assert.equal(run.value[i], want, `case ${i}: [${sa}] x [${sb}]`);
      });
    }
  });

  t('boolean ops: a2b, xor/and/not/shifts, andB, andBMany, bitToA are exact', async () => {
    const xv = ringData([4, 8], 61);
    const yv = ringData([4, 8], 62);
    const pv = ringData([8], 63);
    const n = xv.size;
    const runs = await runAll(parties, make, async (c) => {
      const p = c.p;
      const x = await c.input(0, xv);
      const y = await c.input(parties - 1, yv);
      const bx = await c.prim('a2b', n, () => p.a2b(x));
      const by = await c.prim('a2b', n, () => p.a2b(y));
      const and = await c.prim('andB', n, () => p.andB(bx, by));
      const many = await c.prim('andB', 3 * n, () =>
        p.andBMany([
          [bx, by],
          [bx, p.notB(by)],
          [p.shlB(bx, 5), p.shrB(by, 3)],
        ]),
      );
      const msb = await c.prim('bitToA', n, () => p.bitToA(p.shrB(bx, 63)));
      const low = await c.prim('bitToA', n, () => p.bitToA(p.andPublicB(by, 1n)));
      const outs = [
        bx,
        by,
        p.xorB(bx, by),
        and,
        ...many,
        p.notB(bx),
        p.shlB(bx, 1),
        p.shrB(bx, 62),
        p.xorPublicB(bx, pv),
        p.andPublicB(bx, pv),
        msb,
        low,
      ];
      const opened: bigint[][] = [];
      for (const o of outs) opened.push(big(await c.open(o)));
      return opened;
    });
    assert.equal(costErrors(runs), []);
    const x = big(xv);
    const y = big(yv);
    const pb = big(pv.broadcastTo([4, 8]));
    const mask = (1n << 64n) - 1n;
    const want = [
      x,
      y,
      zip(x, y, (a, b) => a ^ b),
      zip(x, y, (a, b) => a & b),
      zip(x, y, (a, b) => a & b),
      zip(x, y, (a, b) => a & (~b & mask)),
      zip(x, y, (a, b) => (a << 5n) & mask & (b >> 3n)),
      x.map((a) => ~a & mask),
      x.map((a) => (a << 1n) & mask),
      x.map((a) => a >> 62n),
      zip(x, pb, (a, b) => a ^ b),
      zip(x, pb, (a, b) => a & b),
      x.map((a) => a >> 63n),
      y.map((b) => b & 1n),
    ];
    for (const run of runs) want.forEach((w, i) => assert.equal(run.value[i], w, `boolean output ${i}`));
  });

  t('truncate, mulTrunc and matmulTrunc are within 1 of floor division', async () => {
    const xv = smallInts([64], 40, 71);
    const av = smallInts([64], 20, 72);
    const bv = smallInts([64], 20, 73);
    const ma = smallInts([4, 8], 18, 74);
    const mb = smallInts([8, 3], 18, 75);
    const bitsList = [0, 1, 8, 9, 16, 17, 30, 33]; // each side of every lane edge (lanes.ts)
    const runs = await runAll(parties, make, async (c) => {
      const p = c.p;
      const x = await c.input(0, xv);
      const a = await c.input(0, av);
      const b = await c.input(parties - 1, bv);
      const A = await c.input(1 % parties, ma);
      const B = await c.input(0, mb);
      const out: bigint[][] = [];
      for (const bits of bitsList) {
        out.push(big(await c.open(await c.prim('truncate', 64, () => p.truncate(x, bits), { bits }))));
        out.push(big(await c.open(await c.prim('mulTrunc', 64, () => p.mulTrunc(a, b, bits), { bits }))));
        out.push(
          big(
            await c.open(
              await c.prim('matmulTrunc', 12, () => p.matmulTrunc(A, B, bits), {
                k: 8,
                n: 3,
                operands: [32, 24],
                bits,
              }),
            ),
          ),
        );
      }
      return out;
    });
    assert.equal(costErrors(runs), []);
    const xs = xv.toSignedBigInts();
    const prods = av.toSignedBigInts().map((v, i) => v * bv.toSignedBigInts()[i]!);
    const mm = matmulRef(big(ma), big(mb), 4, 8, 3).map(sgn);
    for (const run of runs) {
      bitsList.forEach((bits, j) => {
        const d = BigInt(bits);
        const check = (got: bigint[], exact: bigint[], what: string): void =>
          exact.forEach((e, i) => {
            const err = sgn(got[i]!) - (e >> d);
            assert.ok(err >= -1n && err <= 1n, `${what} by ${bits}, element ${i}: off by ${err}`);
          });
        check(run.value[3 * j]!, xs, 'truncate');
        check(run.value[3 * j + 1]!, prods, 'mulTrunc');
        check(run.value[3 * j + 2]!, mm, 'matmulTrunc');
      });
    }
  });
}

function matShape(a: number[], b: number[]): number[] {
  const m = a[a.length - 2]!;
  const n = b[b.length - 1]!;
  const batch = a.length > 2 ? a.slice(0, -2) : b.slice(0, -2);
  return [...batch, m, n];
}

/** BigInt reference of RingTensor's batched matmul rules. */
function batchedMatmulRef(a: RingTensor, b: RingTensor): bigint[] {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.rank - 1]!;
  const ba = a.rank > 2 ? a.size / (m * k) : 1;
  const bb = b.rank > 2 ? b.size / (k * n) : 1;
  const batches = Math.max(ba, bb);
  const out: bigint[] = [];
  for (let i = 0; i < batches; i++) {
    const ai = big(a).slice((ba > 1 ? i : 0) * m * k, ((ba > 1 ? i : 0) + 1) * m * k);
    const bi = big(b).slice((bb > 1 ? i : 0) * k * n, ((bb > 1 ? i : 0) + 1) * k * n);
    out.push(...matmulRef(ai, bi, m, k, n));
  }
  return out;
}
