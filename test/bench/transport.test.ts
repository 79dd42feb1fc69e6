/**
 * The benchmark's libp2p-tcp transport computes what the memory transport computes: a small case of
 * every op the mpc and ml suites time (mul, matmul, lt, relu; MLP inference with and without the
 * softmax, a training step) runs once in memory and once in three party processes over libp2p
 * (bench/multiprocess.ts: real peers on 127.0.0.1, one session through Peer.openSession), with the
 * same fixed session keys (tests only), for rep3 and additive. The opened results must be the same
 * ring words on the same parties. The ops are also checked against the plaintext reference: ring
 * ops exactly, fixed-point ops within their truncation bound (each result floor or floor + 1 of the
 * exact product, one unit in the last place). The net suite's `rounds` case runs on both transports
 * and must count its rounds and bytes alike. Behaviour only, never time.
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CaseSpec } from '../../bench/cases.js';
import { PartyProcesses } from '../../bench/multiprocess.js';
import { measure, runInMemory, type PartyResult, type RunRequest } from '../../bench/party-run.js';
import { TEST_ONLY_KEYS_ENV, type TestOnlySessionKeys } from '../../src/protocols/session-impl.js';

// This process is a test: allow fixed session keys (the guard production never sets); the party
// processes get the same variable.
process.env[TEST_ONLY_KEYS_ENV] = '1';

const digest = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());
const KEYS: TestOnlySessionKeys[] = [0, 1, 2].map((i) => ({
  ephemeralSecretKey: digest(`transport-test/party-${i}/ephemeral`),
  ownPrgSeed: digest(`transport-test/party-${i}/own-prg`).subarray(0, 16),
}));

/** Opened results by party ('' where the party receives nothing). */
const openedOf = (rs: PartyResult[]): string[] => rs.map((r) => r.opened ?? '');

/** Signed ring words of a hex string of little-endian 64-bit words. */
function words(hex: string): bigint[] {
  const b = Buffer.from(hex, 'hex');
  return Array.from({ length: b.length / 8 }, (_, i) => b.readBigInt64LE(i * 8));
}

let procs: PartyProcesses | undefined;
let sessions = 0;

async function bothTransports(
  protocol: string,
  spec: CaseSpec,
): Promise<{ memory: string[]; libp2p: string[] }> {
  const req: RunRequest = { protocol, spec, runs: 0, check: true };
  const id = `transport-test-${++sessions}`;
  const memory = openedOf(await runInMemory(req, { id, testOnlyKeys: KEYS }));
  const libp2p = openedOf(await procs!.run(req, { jobId: id, testOnlyKeys: KEYS }));
  return { memory, libp2p };
}

test.before(async () => {
  procs = await PartyProcesses.start(3, { env: { [TEST_ONLY_KEYS_ENV]: '1' } });
});

test.after(async () => {
  await procs?.stop();
});

/** Small instances of the mpc ops and how far each may be from the plaintext reference (ring units). */
const MPC: { spec: CaseSpec; ulps: bigint }[] = [
  { spec: { suite: 'mpc', name: 'mul', n: 64 }, ulps: 1n },
  { spec: { suite: 'mpc', name: 'matmul', n: 6 }, ulps: 1n },
  { spec: { suite: 'mpc', name: 'lt', n: 64 }, ulps: 0n },
  { spec: { suite: 'mpc', name: 'relu', n: 64 }, ulps: 0n },
];

for (const protocol of ['rep3', 'additive']) {
  for (const { spec, ulps } of MPC) {
    test(`${protocol} ${spec.name}: libp2p-tcp opens the same words as memory, within ${ulps} of plaintext`, async () => {
      const { memory, libp2p } = await bothTransports(protocol, spec);
      assert.equal(libp2p, memory);
      assert.ok(
        memory.every((h) => h !== ''),
        'every party opened the result',
      );
      const plain = openedOf(await runInMemory({ protocol: 'plaintext', spec, runs: 0, check: true }));
      const got = words(memory[0]!);
      const want = words(plain[0]!);
      assert.is(got.length, want.length);
      for (const [i, w] of want.entries()) {
        const d = got[i]! - w;
        assert.ok(d >= -ulps && d <= ulps, `element ${i}: ${got[i]} vs plaintext ${w}`);
      }
    });
  }

  for (const spec of [
    { suite: 'ml', name: 'mlp inference logits', n: 2 },
    { suite: 'ml', name: 'mlp inference', n: 2 },
    { suite: 'ml', name: 'mlp train step', n: 4 },
  ] satisfies CaseSpec[]) {
    test(`${protocol} ${spec.name}: libp2p-tcp opens the same words as memory`, async () => {
      const { memory, libp2p } = await bothTransports(protocol, spec);
      assert.equal(libp2p, memory);
      // inference opens to party 2 only; training weights to everyone
      const holders = memory.map((h) => h !== '');
      assert.equal(holders, spec.name === 'mlp train step' ? [true, true, true] : [false, false, true]);
    });
  }
}

test('rounds: both transports count one round and 8 bytes to each other party per round', async () => {
  const req: RunRequest = { protocol: '', spec: { suite: 'net', name: 'rounds', n: 20 }, runs: 2 };
  const mem = measure(await runInMemory(req), 'memory');
  const net = measure(await procs!.run(req), 'libp2p-tcp');
  for (const m of [mem, net]) {
    assert.is(m.times.length, 2 * 20);
    assert.ok(m.times.every((t) => t >= 0));
    assert.is(m.rounds, 1);
    assert.is(m.bytes, 16);
  }
  assert.is(mem.cpuPerParty, null);
  assert.is(net.cpuPerParty!.length, 3);
});

test.run();
