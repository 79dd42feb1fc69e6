/**
 * Known-answer tests: with the session keys fixed (SessionInit.testOnlyKeys, tests only), a
 * session is reproducible byte for byte.
 *
 * (a) Session key derivation: fixed ephemeral x25519 keys (parties 0 and 1 use the RFC 7748 §6.1
 *     keys of Alice and Bob, so the shared secret of that pair is the RFC's), a fixed session id and
 *     party order give the pairwise PRG seeds frozen below as hex. The test recomputes those seeds
 *     independently (x25519 from @noble/curves, HKDF-SHA256 from node:crypto, following the
 *     derivation documented in src/protocols/session-impl.ts), then checks that every party's
 *     pairwise and own PRG streams are AES-128-CTR under those seeds, and that the setup messages are
 *     the public keys.
 * (b) One rep3 transcript (three compute parties in memory): party 0 inputs x, party 1 inputs y,
 *     one mul, reveal to party 0 (a compute party). Every message is recorded at delivery as
 *     (step, from, to, length, SHA-256) and must equal {@link REP3_MUL_TRANSCRIPT}, on every ring
 *     kernel that loads here; the revealed value must equal x * y mod 2^64.
 *
 * Regenerating after an intended change of the session setup or of rep3 input/mul/reveal: run
 *   PEERMPC_KAT_PRINT=1 node --import tsx test/protocols/kat.test.ts
 * which prints the frozen constants instead of asserting them (the independent cross-checks and the
 * revealed value are still asserted), and paste the output over them.
 */
import { createCipheriv, createHash, hkdfSync } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMemoryChannels } from '../../src/protocols/memory-channel.js';
import { rep3Protocol } from '../../src/protocols/rep3/index.js';
import {
  createSession,
  TEST_ONLY_KEYS_ENV,
  TestOnlyKeysRefusedError,
  type TestOnlySessionKeys,
} from '../../src/protocols/session-impl.js';
import { simulate, SimulationError } from '../../src/protocols/simulate.js';
import { availableKernels, RingTensor, setKernel } from '../../src/tensor/index.js';

// This process is a test: allow fixed session keys (the guard production never sets).
process.env[TEST_ONLY_KEYS_ENV] = '1';
const PRINT = process.env.PEERMPC_KAT_PRINT === '1';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// ---- Fixed inputs (not frozen outputs: these are chosen, never regenerated) ----

/** RFC 7748 §6.1: Alice's and Bob's private and public keys and their shared secret. */
const RFC7748 = {
  aliceSk: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  alicePk: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  bobSk: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  bobPk: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
};

/** Party i's ephemeral secret key: Alice, Bob, then SHA-256("peermpc/kat/party-2/ephemeral"). */
const EPHEMERAL_SK = [
  RFC7748.aliceSk,
  RFC7748.bobSk,
  '0c1758298bcb999d587a59ce8b34594135f3b3bb5fed6d1f359fc7450250e055',
];
/** Party i's own-PRG seed: the first 16 bytes of SHA-256("peermpc/kat/party-i/own-prg"). */
const OWN_SEED = [
  '89d50ddd305fa9419961484c6df26ff9',
  '60cc39c2e0ceb5471cbbbc7ae59af3de',
  '768a379de826ca40b4d27a137fed9034',
];
const KEYS: TestOnlySessionKeys[] = [0, 1, 2].map((i) => ({
  ephemeralSecretKey: unhex(EPHEMERAL_SK[i]!),
  ownPrgSeed: unhex(OWN_SEED[i]!),
}));
const SESSION_ID = 'kat/session-v1';
const TRANSCRIPT_ID = 'kat/rep3-mul-v1';
const X = [3n, -5n, 1n << 40n, 12_345_678_901n, -(1n << 62n)];
const Y = [7n, 11n, -3n, -1n, 4n];

// ==== FROZEN KNOWN ANSWERS: regenerate with PEERMPC_KAT_PRINT=1 (see the top of this file) ====
/** HKDF seeds of the session SESSION_ID, by pair "i-j" (i < j). */
const PAIR_SEEDS: Record<string, string> = {
  '0-1': '439158ec0f925779aec0bb81e1b984eb',
  '0-2': '06f010c4614f51d086d7f740f8829aef',
  '1-2': '9e4f7140658ec88140919eed9f41ce40',
};
/** Every message of the rep3 input/input/mul/reveal transcript TRANSCRIPT_ID, in (step, from, to) order. */
const REP3_MUL_TRANSCRIPT: readonly string[] = [
  'step 1: 0 -> 1, 32 B, sha256 300c9c9603b92a4b39ed3958bf9240114804db4fd373012c0ca47432d63425ae',
  'step 1: 0 -> 2, 32 B, sha256 300c9c9603b92a4b39ed3958bf9240114804db4fd373012c0ca47432d63425ae',
  'step 1: 1 -> 0, 32 B, sha256 f35e5616160a30bf3c6e79fa73c576d40205e8fc3ba4e1c6dcf93e6b98e857b4',
  'step 1: 1 -> 2, 32 B, sha256 f35e5616160a30bf3c6e79fa73c576d40205e8fc3ba4e1c6dcf93e6b98e857b4',
  'step 1: 2 -> 0, 32 B, sha256 16d6496353961e1c65474c5584e0783c65711ff63a194cf26f4fa818c589b112',
  'step 1: 2 -> 1, 32 B, sha256 16d6496353961e1c65474c5584e0783c65711ff63a194cf26f4fa818c589b112',
  'step 2: 0 -> 1, 40 B, sha256 f23ac7614a9b6691e27c9aa9980adf9453c80a45be97a2ca2a4f6d787d8eddaf',
  'step 2: 0 -> 2, 40 B, sha256 f23ac7614a9b6691e27c9aa9980adf9453c80a45be97a2ca2a4f6d787d8eddaf',
  'step 3: 1 -> 0, 40 B, sha256 186b424b860ea3376cfbef408f8c78e6986d0b8552c76be0c235785727e09445',
  'step 3: 1 -> 2, 40 B, sha256 186b424b860ea3376cfbef408f8c78e6986d0b8552c76be0c235785727e09445',
  'step 4: 0 -> 1, 40 B, sha256 a033a878d73095f085d415aaf560771a9442c786dafee76fc4653f9dd287bea1',
  'step 4: 1 -> 2, 40 B, sha256 e2615fc998079b710584edff4d2570dc6e366061ee97e47a6ea0ec46e35287b3',
  'step 4: 2 -> 0, 40 B, sha256 bc22e73133a7e08856ce4a1b6ea75d8290dfe9987cd67afc65b1ece9a58897d9',
  'step 5: 1 -> 0, 40 B, sha256 e2615fc998079b710584edff4d2570dc6e366061ee97e47a6ea0ec46e35287b3',
];
// ==== END OF FROZEN KNOWN ANSWERS ====

/** The documented derivation, written out again from session-impl's doc comment. */
function independentSeed(id: string, i: number, j: number): string {
  const lo = Math.min(i, j);
  const hi = Math.max(i, j);
  const pk = (p: number): Uint8Array => x25519.getPublicKey(unhex(EPHEMERAL_SK[p]!));
  const ikm = x25519.getSharedSecret(unhex(EPHEMERAL_SK[i]!), pk(j));
  const salt = Buffer.from(`peermpc/session/v1${id}`, 'utf8');
  const idx = Buffer.alloc(8);
  idx.writeUInt32BE(lo, 0);
  idx.writeUInt32BE(hi, 4);
  const info = Buffer.concat([Buffer.from('pair-prg', 'utf8'), idx, pk(lo), pk(hi)]);
  return hex(new Uint8Array(hkdfSync('sha256', ikm, salt, info, 16)));
}

/** The first `n` bytes of stream 0 of a PRG seed: AES-128-CTR from a zero counter block. */
function aesCtr(seedHex: string, n: number): string {
  const c = createCipheriv('aes-128-ctr', unhex(seedHex), new Uint8Array(16));
  return hex(c.update(new Uint8Array(n)));
}

function printFrozen(name: string, value: unknown): void {
  console.log(`\n// ${name}\n${JSON.stringify(value, null, 2).replaceAll('"', "'")}`);
}

test('kat: parties 0 and 1 use the RFC 7748 keys (x25519 itself gives the RFC answers)', () => {
  assert.is(hex(x25519.getPublicKey(unhex(RFC7748.aliceSk))), RFC7748.alicePk);
  assert.is(hex(x25519.getPublicKey(unhex(RFC7748.bobSk))), RFC7748.bobPk);
  assert.is(hex(x25519.getSharedSecret(unhex(RFC7748.aliceSk), unhex(RFC7748.bobPk))), RFC7748.shared);
});

test('kat: the pairwise seeds, computed independently, are the frozen ones (and symmetric)', () => {
  const computed: Record<string, string> = {};
  for (const [i, j] of [
    [0, 1],
    [0, 2],
    [1, 2],
  ] as const) {
    const seed = independentSeed(SESSION_ID, i, j);
    assert.is(independentSeed(SESSION_ID, j, i), seed, `both ends of ${i}-${j} derive the same seed`);
    computed[`${i}-${j}`] = seed;
  }
  if (PRINT) printFrozen('PAIR_SEEDS', computed);
  else assert.equal(computed, PAIR_SEEDS);
});

test('kat: every session party draws its pairwise and own PRG streams from those seeds', async () => {
  const sent: string[] = [];
  const streams = await simulate(
    3,
    async (s) => ({
      pair: [0, 1, 2].map((p) => (p === s.self ? '' : hex(s.pairPrg(p).bytes(48)))),
      own: hex(s.ownPrg().bytes(48)),
    }),
    {
      id: SESSION_ID,
      testOnlyKeys: KEYS,
      network: { tap: (from, to, step, payload) => sent.push(`${step} ${from}->${to} ${hex(payload)}`) },
    },
  );
  const seeds = PRINT
    ? Object.fromEntries(['0-1', '0-2', '1-2'].map((k) => [k, independentSeed(SESSION_ID, +k[0]!, +k[2]!)]))
    : PAIR_SEEDS;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (i === j) continue;
      const key = `${Math.min(i, j)}-${Math.max(i, j)}`;
      assert.is(streams[i]!.pair[j], aesCtr(seeds[key]!, 48), `party ${i}'s stream shared with ${j}`);
    }
    assert.is(streams[i]!.own, aesCtr(OWN_SEED[i]!, 48), `party ${i}'s own stream`);
  }
  // The setup round (step 1) sends each party's public key to each other party, and nothing else.
  const pks = [RFC7748.alicePk, RFC7748.bobPk, hex(x25519.getPublicKey(unhex(EPHEMERAL_SK[2]!)))];
  const expected = [];
  for (let from = 0; from < 3; from++)
    for (let to = 0; to < 3; to++) if (from !== to) expected.push(`1 ${from}->${to} ${pks[from]}`);
  assert.equal(sent.sort(), expected.sort());
});

test('kat: another session id gives other seeds (the id is bound into every pair seed)', () => {
  for (const [i, j] of [
    [0, 1],
    [0, 2],
    [1, 2],
  ] as const)
    assert.is.not(independentSeed(`${SESSION_ID}x`, i, j), independentSeed(SESSION_ID, i, j));
});

/** Runs the rep3 transcript on the active kernel: the message lines and party 0's revealed value. */
async function rep3Transcript(): Promise<{ lines: string[]; revealed: bigint[] | undefined }> {
  const msgs: { step: number; from: number; to: number; line: string }[] = [];
  const out = await simulate(
    3,
    async (s) => {
      const p = rep3Protocol(s);
      const x = await p.input(0, s.self === 0 ? RingTensor.fromBigInts(X) : undefined, [X.length]);
      const y = await p.input(1, s.self === 1 ? RingTensor.fromBigInts(Y) : undefined, [Y.length]);
      const z = await p.mul(x, y);
      return (await p.reveal(z, [0]))?.toSignedBigInts();
    },
    {
      id: TRANSCRIPT_ID,
      testOnlyKeys: KEYS,
      network: {
        tap: (from, to, step, payload) =>
          msgs.push({
            step,
            from,
            to,
            line: `step ${step}: ${from} -> ${to}, ${payload.byteLength} B, sha256 ${sha256(payload)}`,
          }),
      },
    },
  );
  assert.is(out[1], undefined, 'party 1 is not a recipient');
  assert.is(out[2], undefined, 'party 2 is not a recipient');
  msgs.sort((a, b) => a.step - b.step || a.from - b.from || a.to - b.to);
  return { lines: msgs.map((m) => m.line), revealed: out[0] };
}

test('kat: a rep3 input, input, mul, reveal transcript is the frozen one on every kernel', async () => {
  const product = X.map((x, i) => BigInt.asIntN(64, x * Y[i]!));
  let first: string[] | undefined;
  for (const k of availableKernels()) {
    setKernel(k);
    const { lines, revealed } = await rep3Transcript();
    assert.equal(revealed, product, `the revealed product on the ${k} kernel`);
    const again = await rep3Transcript();
    assert.equal(again.lines, lines, `the transcript on the ${k} kernel is reproducible`);
    if (first === undefined) {
      first = lines;
      if (PRINT) printFrozen('REP3_MUL_TRANSCRIPT', lines);
    } else assert.equal(lines, first, `the ${k} kernel sends the same bytes as the others`);
    if (!PRINT) assert.equal(lines, REP3_MUL_TRANSCRIPT, `the frozen transcript, on the ${k} kernel`);
  }
});

test('kat: fixed keys are refused without the test-only guard, and checked for length', async () => {
  const saved = process.env[TEST_ONLY_KEYS_ENV];
  try {
    for (const v of [undefined, '', '0', 'true']) {
      if (v === undefined) delete process.env[TEST_ONLY_KEYS_ENV];
      else process.env[TEST_ONLY_KEYS_ENV] = v;
      const [c] = createMemoryChannels(1);
      const err = await createSession({ id: 'x', channel: c!, testOnlyKeys: KEYS[0] }).catch(
        (e: unknown) => e,
      );
      assert.instance(err, TestOnlyKeysRefusedError, `guard value ${String(v)}`);
      await c!.close();
    }
    const viaSimulate = await simulate(2, async () => 0, { testOnlyKeys: KEYS.slice(0, 2) }).catch(
      (e: unknown) => e,
    );
    assert.instance(viaSimulate, SimulationError);
    assert.ok((viaSimulate as SimulationError).errors.every((e) => e instanceof TestOnlyKeysRefusedError));
  } finally {
    if (saved === undefined) delete process.env[TEST_ONLY_KEYS_ENV];
    else process.env[TEST_ONLY_KEYS_ENV] = saved;
  }
  const [c] = createMemoryChannels(1);
  const short = { ephemeralSecretKey: new Uint8Array(31), ownPrgSeed: new Uint8Array(16) };
  await createSession({ id: 'x', channel: c!, testOnlyKeys: short }).then(
    () => assert.unreachable('a 31-byte key must be refused'),
    (e: unknown) => assert.instance(e, TypeError),
  );
  await c!.close();
  await simulate(2, async () => 0, { testOnlyKeys: KEYS }).then(
    () => assert.unreachable('three keys for two parties must be refused'),
    (e: unknown) => assert.instance(e, RangeError),
  );
});

test.run();
