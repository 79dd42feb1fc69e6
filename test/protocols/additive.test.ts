/**
 * The additive protocol: the shared conformance suite with 2, 3 and 5 compute parties plus a dealer,
 * then its own properties: triples and the other correlations are correct, the dealer never
 * receives anything, the messages a compute party receives in a mul are uniform whatever the
 * secret, truncation stays within its stated error, and malformed messages are rejected.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdditiveProtocol } from '../../src/protocols/additive/index.js';
import { pairPrgCache } from '../../src/protocols/additive/context.js';
import {
  andTriple,
  daBits,
  matmulTriple,
  mulTriple,
  truncPair,
  unpackBits,
} from '../../src/protocols/additive/correlations.js';
import { SeededDealer, type Summands } from '../../src/protocols/additive/dealer.js';
import { ScratchPool } from '../../src/protocols/additive/pool.js';
import { ProtocolUsageError, type Protocol, type Share } from '../../src/protocols/protocol.js';
import type { Session } from '../../src/protocols/session.js';
import { simulate, SimulationError } from '../../src/protocols/simulate.js';
import { RingTensor } from '../../src/tensor/index.js';
import { M } from '../helpers/bigint-ref.js';
import { chiSquare, nibbleCounts, recording, tampering, type Received } from './additive-helpers.js';
import { runConformance } from './conformance.js';

const additive =
  (n: number, truncation?: 'local' | 'pair') =>
  (s: Session): Protocol<Share> =>
    new AdditiveProtocol(s, { computeParties: range(n), dealer: n, truncation }) as Protocol<Share>;

// The shared suite: n compute parties [0..n-1], the dealer n, and (where given) a data owner and
// result recipient n+1 that neither computes nor deals.
runConformance(
  'additive, 2 compute parties + dealer, local (probabilistic) truncation',
  additive(2, 'local'),
  3,
);
runConformance('additive, 2 compute parties + dealer + owner, truncation pairs', additive(2, 'pair'), 4);
// More parties make session setup and every round slower on a busy machine: a longer step timeout
// keeps the failure tests' "rejects within the step timeout" check about the protocol, not the load.
runConformance('additive, 3 compute parties + dealer', additive(3), 4, { stepMs: 1000 });
runConformance('additive, 5 compute parties + dealer', additive(5), 6, { stepMs: 1000 });

const isUsage = (e: unknown): boolean => e instanceof ProtocolUsageError;
const range = (n: number): number[] => [...Array(n).keys()];
const ints = (t: RingTensor): bigint[] => t.toBigInts();

/** Every compute party's summands of one dealt batch, combined per part (sum or XOR). */
function combine(
  perParty: Summands[][],
  which: number,
  part: 'free' | 'fixed',
  j: number,
  xor: boolean,
): bigint[] {
  let acc: bigint[] | undefined;
  for (const batch of perParty) {
    const t = batch[which]![part][j]!;
    const v = ints(t);
    acc = acc === undefined ? v : acc.map((a, i) => (xor ? a ^ v[i]! : M(a + v[i]!)));
  }
  return acc!;
}

for (const n of [2, 3, 5]) {
  test(`dealer: correlations reconstruct correctly (${n} compute parties)`, async () => {
    const specs = () => [
      mulTriple([3, 4], [4]),
      matmulTriple([3, 5], [5, 2]),
      andTriple(7),
      truncPair([40], 16),
      daBits(130),
    ];
    const out = await simulate(n + 1, async (s) => {
      const d = new SeededDealer(s, range(n), n, pairPrgCache(s), new ScratchPool());
      return d.deal(s.nextStep(), specs()).ready;
    });
    const compute = out.slice(0, n);
    assert.equal(out[n], [], 'the dealer keeps nothing');
    // Elementwise (broadcast) triple.
    const a = combine(compute, 0, 'free', 0, false);
    const b = combine(compute, 0, 'free', 1, false);
    const c = combine(compute, 0, 'fixed', 0, false);
    assert.equal(
      c,
      a.map((v, i) => M(v * b[i % 4]!)),
    );
    // Matrix triple.
    const A = combine(compute, 1, 'free', 0, false);
    const B = combine(compute, 1, 'free', 1, false);
    const C = combine(compute, 1, 'fixed', 0, false);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 2; j++) {
        let acc = 0n;
        for (let k = 0; k < 5; k++) acc += A[i * 5 + k]! * B[k * 2 + j]!;
        assert.is(C[i * 2 + j], M(acc));
      }
    // Boolean triple.
    const ba = combine(compute, 2, 'free', 0, true);
    const bb = combine(compute, 2, 'free', 1, true);
    assert.equal(
      combine(compute, 2, 'fixed', 0, true),
      ba.map((v, i) => v & bb[i]!),
    );
    // Truncation pair: r' = r >>> 16 (logical) and the wrap correction msb(r)·2^48.
    const r = combine(compute, 3, 'free', 0, false);
    assert.equal(
      combine(compute, 3, 'fixed', 0, false),
      r.map((v) => v >> 16n),
    );
    assert.equal(
      combine(compute, 3, 'fixed', 1, false),
      r.map((v) => (v >> 63n) << 48n),
    );
    // daBits: arithmetic 0/1 equal to the packed XOR bits.
    const rA = combine(compute, 4, 'fixed', 0, false);
    const rB = combine(compute, 4, 'fixed', 1, true);
    const bits = ints(unpackBits(BigUint64Array.from(rB), 130));
    assert.equal(rA, bits);
    assert.ok(rA.every((v) => v === 0n || v === 1n));
    const ones = rA.filter((v) => v === 1n).length;
    assert.ok(ones > 30 && ones < 100, 'bits are random');
  });
}

test('the dealer only sends, to the correction party, and never receives', async () => {
  const n = 3;
  const owner = n + 1;
  const out = await simulate(n + 2, async (s) => {
    const before = s.channel.stats.received.map((l) => l.bytes);
    const sentBefore = s.channel.stats.sent.map((l) => l.bytes);
    const p = new AdditiveProtocol(s, { computeParties: range(n), dealer: n });
    const v = s.self === owner ? RingTensor.fromBigInts([5n, 7n, 9n, 11n], [2, 2]) : undefined;
    const x = await p.input(owner, v, [2, 2]);
    const y = await p.mulTrunc(x, x, 2);
    const z = await p.matmulTrunc(y, x, 1);
    const t = await p.truncate(z, 1);
    const b = await p.a2b(t);
    const bit = await p.bitToA(p.andPublicB(await p.andB(b, b), 1n));
    await p.reveal(p.add(bit, t), [0, owner]);
    return {
      received: s.channel.stats.received.map((l, i) => l.bytes - before[i]!),
      sent: s.channel.stats.sent.map((l, i) => l.bytes - sentBefore[i]!),
    };
  });
  const dealer = out[n]!;
  assert.ok(
    dealer.received.every((b) => b === 0),
    'the dealer received nothing',
  );
  assert.ok(dealer.sent[n - 1]! > 0, 'the dealer sends to the last compute party');
  assert.equal(
    dealer.sent.filter((_, i) => i !== n - 1),
    [0, 0, 0, 0],
  );
});

test('messages a compute party receives during a mul are uniform whatever the secret', async () => {
  const m = 8192;
  const secrets = [0n, 1n << 40n, M(-3n)];
  const histograms: { top: number[]; bottom: number[] }[] = [];
  for (const secret of secrets) {
    const out = await simulate(3, async (s) => {
      const log: Received[] = [];
      const rs = recording(s, log);
      const p = new AdditiveProtocol(rs, { computeParties: [0, 1], dealer: 2 });
      const v = s.self === 1 ? RingTensor.fill([m], secret) : undefined;
      const x = await p.input(1, v, [m]);
      log.length = 0;
      await p.mul(x, x);
      return log;
    });
    // Party 0 receives party 1's masked operands: 2m words of x_1 - a_1.
    const got = out[0]!;
    assert.is(got.length, 1, 'one message for a mul');
    const words = new BigUint64Array(got[0]!.payload.buffer, got[0]!.payload.byteOffset, 2 * m);
    const h = nibbleCounts(words);
    histograms.push(h);
    assert.ok(chiSquare(h.top) < 45, `top nibbles uniform (chi2 ${chiSquare(h.top).toFixed(1)})`);
    assert.ok(chiSquare(h.bottom) < 45, `bottom nibbles uniform (chi2 ${chiSquare(h.bottom).toFixed(1)})`);
    // The correction party also receives the dealer's message: c summands, uniform too.
    const k = out[1]!.find((r) => r.from === 2)!;
    const ck = nibbleCounts(new BigUint64Array(k.payload.buffer, k.payload.byteOffset, m));
    assert.ok(chiSquare(ck.top) < 45);
  }
});

for (const mode of ['local', 'pair'] as const) {
  test(`truncation (${mode}) is floor(x / 2^d) or one more, unbiased`, async () => {
    const m = 4000;
    const d = 16;
    const values = range(m).map(
      (i) => BigInt((i * 7919) % 100_003) * (i % 2 ? -1n : 1n) * 65_537n + BigInt(i),
    );
    const out = await simulate(3, async (s) => {
      const p = new AdditiveProtocol(s, { computeParties: [0, 1], dealer: 2, truncation: mode });
      const x = await p.input(0, s.self === 0 ? RingTensor.fromBigInts(values) : undefined, [m]);
      return p.reveal(await p.truncate(x, d), [1]);
    });
    const got = out[1]!.toSignedBigInts();
    let ups = 0;
    got.forEach((g, i) => {
      const floor = values[i]! >> BigInt(d);
      assert.ok(g === floor || g === floor + 1n, `element ${i}`);
      if (g !== floor) ups++;
    });
    assert.ok(ups > m * 0.35 && ups < m * 0.65, 'rounds up about half the time for uniform low bits');
  });
}

test('a malformed message is rejected with the sender and step named', async () => {
  const err = await simulate(3, async (s) => {
    const t = s.self === 1 ? tampering(s, (_to, _step, p) => p.subarray(0, p.byteLength - 8)) : s;
    const p = new AdditiveProtocol(t, { computeParties: [0, 1], dealer: 2 });
    const x = await p.input(0, s.self === 0 ? RingTensor.fill([4], 3) : undefined, [4]);
    return p.mul(x, x);
  }).catch((e: unknown) => e);
  assert.instance(err, SimulationError);
  const e0 = (err as SimulationError).errors[0];
  assert.is(e0?.name, 'RangeError');
  assert.match(e0!.message, /party 1/);
});

test('usage errors: roles, local truncation with three parties, kinds', async () => {
  await simulate(4, async (s) => {
    assert.throws(() => new AdditiveProtocol(s, { computeParties: [0], dealer: 1 }), isUsage);
    assert.throws(() => new AdditiveProtocol(s, { computeParties: [0, 1], dealer: 1 }), isUsage);
    assert.throws(() => new AdditiveProtocol(s, { computeParties: [0, 0], dealer: 2 }), isUsage);
    assert.throws(
      () => new AdditiveProtocol(s, { computeParties: [0, 1, 2], dealer: 3, truncation: 'local' }),
      isUsage,
    );
    const p = new AdditiveProtocol(s, { computeParties: [0, 1, 2], dealer: 3 });
    const x = p.fromPublic(RingTensor.fill([2], 1), 'A');
    await p.reveal(x, [1, 1]).then(
      () => assert.unreachable('a recipient named twice must throw'),
      (e: unknown) => assert.instance(e, ProtocolUsageError),
    );
    assert.throws(() => p.xorB(x, x), isUsage);
  });
});

test.run();
