/**
 * The MPC engine over libp2p: three peers run a rep3 session (x25519 setup, input, matmul,
 * comparison, reveal) over the libp2p Channel; the results equal those of the same program run
 * over in-memory channels, and the traffic matches byte for byte.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops } from '../../src/protocols/index.js';
import { rep3Protocol } from '../../src/protocols/rep3/index.js';
import { createSession } from '../../src/protocols/session-impl.js';
import type { Session } from '../../src/protocols/session.js';
import { simulate } from '../../src/protocols/simulate.js';
import { RingTensor } from '../../src/tensor/index.js';
import type { Peer } from '../../src/node/peer.js';
import { removeDir, startPeers, stopAll, tempDir } from './net-helpers.js';

const M = 6;
const K = 5;
const N = 4;
const aVals = Array.from({ length: M * K }, (_, i) => BigInt.asUintN(64, BigInt((i * 7919) % 201) - 100n));
const bVals = Array.from({ length: K * N }, (_, i) => BigInt.asUintN(64, BigInt((i * 104729) % 37) - 18n));
const cVals = Array.from({ length: M * K }, (_, i) => BigInt.asUintN(64, BigInt((i * 31) % 50) - 25n));

interface Out {
  product: bigint[];
  less: bigint[];
  bytesSent: number;
  rounds: number;
}

/** The program every party runs: owner 0 inputs A and C, owner 1 inputs B; all learn A·B and A < C. */
async function program(s: Session): Promise<Out> {
  const p = rep3Protocol(s);
  const a = await p.input(0, s.self === 0 ? RingTensor.fromBigInts(aVals, [M, K]) : undefined, [M, K]);
  const b = await p.input(1, s.self === 1 ? RingTensor.fromBigInts(bVals, [K, N]) : undefined, [K, N]);
  const c = await p.input(0, s.self === 0 ? RingTensor.fromBigInts(cVals, [M, K]) : undefined, [M, K]);
  const prod = await p.matmul(a, b);
  const lt = await ops.lt(p, a, c);
  const all = [0, 1, 2];
  const [product, less] = await Promise.all([p.reveal(prod, all), p.reveal(lt, all)]);
  return {
    product: product!.toBigInts(),
    less: less!.toBigInts(),
    bytesSent: s.stats.bytesSent,
    rounds: s.stats.rounds,
  };
}

test('rep3 matmul and comparison over libp2p equal the in-memory run', async () => {
  const signal = AbortSignal.timeout(90_000);
  const root = tempDir();
  let peers: Peer[] = [];
  try {
    peers = await startPeers(root, 3, signal);
    const parties = peers.map((p) => p.peerId);
    const jobId = 'job-rep3';
    const overNet = await Promise.all(
      peers.map(async (peer) => {
        const channel = await peer.openSession({ jobId, parties, timeouts: { stepMs: 20_000 } }, { signal });
        const session = await createSession({ id: jobId, channel, signal });
        try {
          return await program(session);
        } finally {
          await channel.close();
        }
      }),
    );
    const inMemory = await simulate(3, (s) => program(s), { id: jobId });
    const want = RingTensor.fromBigInts(aVals, [M, K])
      .matmul(RingTensor.fromBigInts(bVals, [K, N]))
      .toBigInts();
    for (let i = 0; i < 3; i++) {
      assert.equal(overNet[i]!.product, want, `product on party ${i}`);
      assert.equal(overNet[i]!.product, inMemory[i]!.product);
      assert.equal(overNet[i]!.less, inMemory[i]!.less, `comparison on party ${i}`);
      assert.is(overNet[i]!.bytesSent, inMemory[i]!.bytesSent, 'same traffic');
      assert.is(overNet[i]!.rounds, inMemory[i]!.rounds, 'same rounds');
    }
    const signedA = aVals.map((v) => BigInt.asIntN(64, v));
    const signedC = cVals.map((v) => BigInt.asIntN(64, v));
    assert.equal(
      overNet[0]!.less,
      signedA.map((v, i) => (v < signedC[i]! ? 1n : 0n)),
    );
  } finally {
    await stopAll(peers);
    removeDir(root);
  }
});

test.run();
