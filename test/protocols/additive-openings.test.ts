/**
 * The additive protocol's two ways of opening values (src/protocols/additive/wire.ts): all-to-all
 * and through kings. With the session keys fixed (tests only), every primitive gives the very same
 * ring words both ways, for 2, 3, 4, 5 and 8 compute parties plus a dealer (with and without a
 * party that only owns inputs), and the ring ops match BigInt references; every call's measured
 * rounds and bytes equal its declared cost on every party, both ways. At 8 and 16 compute parties
 * a mul sends O(m) bytes per party through kings (O(m·N) all-to-all). A malformed message to or from
 * a king names its sender and step, and a king that fails between its two rounds fails the session
 * on every party, naming it.
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdditiveProtocol, AdditiveShare, type OpeningMode } from '../../src/protocols/additive/index.js';
import { kingChunk } from '../../src/protocols/additive/wire.js';
import { lt } from '../../src/protocols/ops/compare.js';
import { opCost } from '../../src/protocols/ops/cost.js';
import type { Protocol, Share } from '../../src/protocols/protocol.js';
import type { Session } from '../../src/protocols/session.js';
import { TEST_ONLY_KEYS_ENV, type TestOnlySessionKeys } from '../../src/protocols/session-impl.js';
import { simulate, SimulationError } from '../../src/protocols/simulate.js';
import { RingTensor } from '../../src/tensor/index.js';
import { M, matmulRef } from '../helpers/bigint-ref.js';
import { tampering } from './additive-helpers.js';
import { costErrors, runAll, smallInts, type Ctx } from './conformance-helpers.js';

// This process is a test: allow fixed session keys (the guard production never sets).
process.env[TEST_ONLY_KEYS_ENV] = '1';

const range = (n: number): number[] => [...Array(n).keys()];
const digest = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());
const keys = (parties: number): TestOnlySessionKeys[] =>
  range(parties).map((i) => ({
    ephemeralSecretKey: digest(`additive-openings/party-${i}/ephemeral`),
    ownPrgSeed: digest(`additive-openings/party-${i}/own-prg`).subarray(0, 16),
  }));

const additive = (n: number, openings: OpeningMode, s: Session): AdditiveProtocol =>
  new AdditiveProtocol(s, { computeParties: range(n), dealer: n, openings });

const M_ELEMS = 13; // not a multiple of any N here: kings' chunks differ by one word
const BITS = 8;

/** Every primitive once (costs checked), then every result revealed to all: name -> words. */
async function everyPrimitive(c: Ctx, owner: number): Promise<Record<string, bigint[]>> {
  const p = c.p as unknown as AdditiveProtocol;
  const m = M_ELEMS;
  const input = async (from: number, seed: number, shape: number[]): Promise<AdditiveShare> =>
    (await c.input(from, smallInts(shape, 20, seed))) as AdditiveShare;
  const x = await input(owner, 1, [m]);
  const y = await input(0, 2, [m]);
  const a = await input(owner, 3, [3, 5]);
  const b = await input(0, 4, [5, 2]);
  const one = await input(owner, 5, [1]);
  const ops: [number, number] = [15, 10];
  const out: Record<string, AdditiveShare> = {};
  out.mul = await c.prim('mul', m, () => p.mul(x, y));
  out.mul1 = await c.prim('mul', 1, () => p.mul(one, one)); // 2 words: fewer words than kings
  out.matmul = await c.prim('matmul', 6, () => p.matmul(a, b), { operands: ops });
  out.truncate = await c.prim('truncate', m, () => p.truncate(out.mul!, BITS), { bits: BITS });
  out.mulTrunc = await c.prim('mulTrunc', m, () => p.mulTrunc(x, y, BITS), { bits: BITS });
  out.matmulTrunc = await c.prim('matmulTrunc', 6, () => p.matmulTrunc(a, b, BITS), {
    operands: ops,
    bits: BITS,
  });
  const bx = await c.prim('a2b', m, () => p.a2b(x));
  const by = await c.prim('a2b', m, () => p.a2b(y));
  out.a2b = bx;
  out.andB = await c.prim('andB', m, () => p.andB(bx, by));
  const [s0, s1] = await c.costed('a2bSummands', p.a2bSummandsCost(m), () => p.a2bSummands(x));
  out.s0 = s0;
  out.s1 = s1;
  const sign = await c.costed('signBit', p.signBitCost(m), () => p.signBit(x));
  out.bitToA = await c.prim('bitToA', m, () => p.bitToA(sign));
  out.lt = await c.costed('lt', opCost(p, 'lt', m), () => lt(p, x, y));
  const opened: Record<string, bigint[]> = {};
  for (const [k, v] of Object.entries(out)) opened[k] = (await c.open(v)).toBigInts();
  return opened;
}

async function run(n: number, withOwner: boolean, openings: OpeningMode): Promise<Record<string, bigint[]>> {
  const parties = n + (withOwner ? 2 : 1);
  const owner = withOwner ? n + 1 : n - 1;
  const runs = await runAll(
    parties,
    (s) => additive(n, openings, s) as unknown as Protocol<Share>,
    (c) => everyPrimitive(c, owner),
    { id: `additive-openings-${n}-${parties}`, testOnlyKeys: keys(parties) },
  );
  assert.equal(costErrors(runs), [], `declared == measured, ${n} compute parties, ${openings}`);
  const first = runs[0]!.value;
  for (const r of runs) assert.equal(r.value, first, 'every party opened the same words');
  return first;
}

const ref = (seed: number, size: number): bigint[] => smallInts([size], 20, seed).toSignedBigInts();
const sx = (v: bigint): bigint => BigInt.asIntN(64, v);

for (const n of [2, 3, 4, 5, 8]) {
  for (const withOwner of n === 4 ? [true, false] : [true]) {
    const who = withOwner ? ' + an owner' : '';
    test(`${n} compute parties + dealer${who}: kings open exactly what all-to-all opens`, async () => {
      const all = await run(n, withOwner, 'all');
      const kings = await run(n, withOwner, 'king');
      assert.equal(kings, all);
      // The ring ops against BigInt (truncations: the same words both ways is the check).
      const x = ref(1, M_ELEMS);
      const y = ref(2, M_ELEMS);
      assert.equal(
        all.mul,
        x.map((v, i) => M(v * y[i]!)),
      );
      assert.equal(all.matmul, matmulRef(ref(3, 15), ref(4, 10), 3, 5, 2).map(M));
      assert.equal(all.a2b, x.map(M));
      assert.equal(
        all.andB,
        x.map((v, i) => M(v) & M(y[i]!)),
      );
      assert.equal(
        all.s0!.map((v, i) => M(v + all.s1![i]!)),
        x.map(M),
      );
      assert.equal(
        all.bitToA,
        x.map((v) => (v < 0n ? 1n : 0n)),
      );
      assert.equal(
        all.lt,
        x.map((v, i) => (v < y[i]! ? 1n : 0n)),
      );
      all.truncate!.forEach((t, i) => {
        const floor = (x[i]! * y[i]!) >> BigInt(BITS);
        assert.ok(sx(t) === floor || sx(t) === floor + 1n, `truncate element ${i}`);
      });
    });
  }
}

test("'auto' opens all-to-all up to 3 compute parties and through kings beyond", async () => {
  await simulate(10, (s) => {
    for (const n of [2, 3, 4, 5, 8, 9]) {
      const p = new AdditiveProtocol(s, { computeParties: range(n), dealer: 9 });
      assert.is(p.kings, n > 3, `${n} compute parties`);
      assert.is(
        new AdditiveProtocol(s, { computeParties: range(n), dealer: 9, openings: 'all' }).kings,
        false,
      );
      assert.is(
        new AdditiveProtocol(s, { computeParties: range(n), dealer: 9, openings: 'king' }).kings,
        true,
      );
    }
    return Promise.resolve();
  });
});

for (const n of [8, 16]) {
  test(`${n} compute parties: a mul sends O(m) bytes per party through kings, O(m·N) all-to-all`, async () => {
    const m = 1000;
    const sent = async (openings: OpeningMode): Promise<number[]> =>
      simulate(n + 1, async (s) => {
        const p = additive(n, openings, s);
        const x = await p.input(0, s.self === 0 ? RingTensor.fill([m], 3) : undefined, [m]);
        const b0 = s.stats.bytesSent;
        await p.mul(x, x);
        return s.stats.bytesSent - b0;
      });
    const kings = await sent('king');
    const all = await sent('all');
    for (let i = 0; i < n; i++) {
      const [lo, hi] = kingChunk(2 * m, n, i);
      assert.is(kings[i], 8 * (2 * m + (hi - lo) * (n - 2)), `party ${i} through kings`);
      assert.ok(kings[i]! < 2 * 16 * m, `party ${i}: under twice the masked operands`);
      assert.is(all[i], 16 * m * (n - 1), `party ${i} all-to-all`);
    }
    assert.is(kings[n], 8 * m, 'the dealer sends the same either way');
    assert.is(all[n], 8 * m);
  });
}

test('a malformed message to a king, or from one, is rejected naming the sender and step', async () => {
  for (const round of [1, 2]) {
    let firstStep: number | undefined;
    const err = await simulate(5, async (s) => {
      // Party 1's payloads of the mul's first step (to the kings) or second (its opened chunk).
      const t =
        s.self === 1
          ? tampering(s, (_to, step, pl) => {
              firstStep ??= step;
              return step === firstStep + round - 1 ? pl.subarray(0, pl.byteLength - 8) : pl;
            })
          : s;
      const p = additive(4, 'king', t);
      const x = await p.input(0, s.self === 0 ? RingTensor.fill([16], 3) : undefined, [16]);
      return p.mul(x, x);
    }).catch((e: unknown) => e);
    assert.instance(err, SimulationError);
    const e0 = (err as SimulationError).errors[0];
    assert.is(e0?.name, 'RangeError', `round ${round}: ${e0?.message}`);
    assert.match(e0!.message, new RegExp(`party 1 sent \\d+ bytes for step ${firstStep! + round - 1}\\b`));
  }
});

test('a king that fails between its two rounds fails the session on every party, naming it', async () => {
  const king = 2;
  let firstStep: number | undefined;
  const err = await simulate(
    5,
    async (s) => {
      const t =
        s.self === king
          ? tampering(s, (_to, step, pl) => {
              firstStep ??= step;
              if (step > firstStep) throw new Error('the king fails');
              return pl;
            })
          : s;
      const p = additive(4, 'king', t);
      const x = await p.input(0, s.self === 0 ? RingTensor.fill([16], 3) : undefined, [16]);
      return p.mul(x, x);
    },
    { timeouts: { stepMs: 5000 } },
  ).catch((e: unknown) => e);
  assert.instance(err, SimulationError);
  const errors = (err as SimulationError).errors;
  for (let q = 0; q < 4; q++) {
    if (q === king) continue;
    assert.ok(errors[q] !== undefined, `party ${q} rejected`);
    assert.match(errors[q]!.message, new RegExp(`party ${king}\\b`), `party ${q}: ${errors[q]!.message}`);
  }
});

test.run();
