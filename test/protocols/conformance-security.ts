/**
 * Conformance, privacy and failure: what a party receives for an input (and in a multiplication) is
 * uniformly distributed whatever the secret (chi-square over the bytes received, one run per secret
 * pattern); a party not named in a reveal receives nothing in it; a party that throws or goes
 * silent makes every other party reject, naming it, within the step timeout.
 */
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Share } from '../../src/protocols/protocol.js';
import type { SessionImpl } from '../../src/protocols/session-impl.js';
import { SimulationError } from '../../src/protocols/simulate.js';
import { RingTensor } from '../../src/tensor/index.js';
import {
  byteChiSquare,
  chiSquareCritical,
  ringData,
  runAll,
  type MakeProtocol,
} from './conformance-helpers.js';
import type { SuiteConfig } from './conformance-ring.js';

/** Options of the security part. */
export interface SecurityConfig extends SuiteConfig {
  /** Run the privacy (uniformity) checks; false for protocols with no privacy (plaintext). */
  privacy: boolean;
  /** Step timeout of the failure tests. */
  stepMs: number;
}

/** Secret patterns: the messages must look uniform for each. */
const PATTERNS: [string, (i: number) => bigint][] = [
  ['zeros', () => 0n],
  ['all ones', () => (1n << 64n) - 1n],
  ['small counters', (i) => BigInt(i % 16)],
  ['constant', () => 0x0102030405060708n],
];

/** One message a party received: (from, to, step, bytes). */
interface Msg {
  from: number;
  to: number;
  step: number;
  payload: Uint8Array;
}

/**
 * Runs `setup` then `body` once per secret pattern, recording every message; returns per pattern
 * and party the payloads received during `body`.
 */
export async function receivedUnder<T>(
  parties: number,
  make: MakeProtocol,
  setup: (p: ReturnType<MakeProtocol>, secret: (shape: number[]) => RingTensor) => Promise<T>,
  body: (p: ReturnType<MakeProtocol>, state: T) => Promise<void>,
  dropLastOfStep = false,
): Promise<{ pattern: string; perParty: Uint8Array[][] }[]> {
  const out: { pattern: string; perParty: Uint8Array[][] }[] = [];
  for (const [pattern, gen] of PATTERNS) {
    const msgs: Msg[] = [];
    const windows = await runAll(
      parties,
      make,
      async (c) => {
        const state = await setup(c.p, (shape) => {
          const n = shape.reduce((a, b) => a * b, 1);
          return RingTensor.fromBigInts(
            Array.from({ length: n }, (_, i) => gen(i)),
            shape,
          );
        });
        const before = (c.s as SessionImpl).currentStep;
        await body(c.p, state);
        return [before, (c.s as SessionImpl).currentStep] as const;
      },
      {
        network: {
          tap: (from, to, step, payload) => msgs.push({ from, to, step, payload: payload.slice() }),
        },
      },
    );
    // With dropLastOfStep, a party's message from the highest sender of each step is left out: in a
    // reveal the messages sum to the value, so one is determined by the others and the value.
    const last = (m: Msg): boolean =>
      dropLastOfStep && !msgs.some((o) => o.to === m.to && o.step === m.step && o.from > m.from);
    const perParty = windows.map((w, party) =>
      msgs
        .filter((m) => m.to === party && m.step > w.value[0] && m.step <= w.value[1] && !last(m))
        .map((m) => m.payload),
    );
    out.push({ pattern, perParty });
  }
  return out;
}

/**
 * Uniformity checks of received payloads: a chi-square over byte values (255 df, tail ~1e-6) and,
 * over the payloads whose length is a multiple of 8 read as 64-bit words, a binomial z-score per
 * bit position (|z| < 6, tail ~1e-9 each): a biased bit (e.g. the low bit of an unmasked product)
 * shows there even when byte counts look fine. Returns the number of (pattern, party) checked.
 */
export function assertUniform(
  results: { pattern: string; perParty: Uint8Array[][] }[],
  what: string,
  minBytes: number,
): number {
  const crit = chiSquareCritical(255);
  let checked = 0;
  for (const { pattern, perParty } of results) {
    perParty.forEach((chunks, party) => {
      const { chi2, total } = byteChiSquare(chunks);
      if (total < minBytes) return; // too little to test (or nothing at all: trivially independent)
      checked++;
      const where = `${what}, secret "${pattern}": party ${party}`;
      assert.ok(
        chi2 < crit,
        `${where} received non-uniform bytes (chi2 ${chi2.toFixed(0)} >= ${crit.toFixed(0)} over ${total} B)`,
      );
      const wordChunks = chunks.filter((c) => c.length % 8 === 0);
      // All words together, then each large message on its own (a biased op is not diluted by others).
      for (const group of [wordChunks, ...wordChunks.filter((c) => c.length >= 8 * 256).map((c) => [c])]) {
        const z = bitZScores(group);
        if (z !== undefined)
          assert.ok(
            z.max < 6,
            `${where}: bit ${z.bit} of received words is biased (z = ${z.max.toFixed(1)} over ${z.words} words)`,
          );
      }
    });
  }
  return checked;
}

function bitZScores(chunks: Uint8Array[]): { max: number; bit: number; words: number } | undefined {
  const ones = new Array<number>(64).fill(0);
  let words = 0;
  for (const c of chunks) {
    const dv = new DataView(c.buffer, c.byteOffset, c.byteLength);
    for (let o = 0; o < c.length; o += 8) {
      const lo = dv.getUint32(o, true);
      const hi = dv.getUint32(o + 4, true);
      for (let b = 0; b < 32; b++) {
        ones[b]! += (lo >>> b) & 1;
        ones[32 + b]! += (hi >>> b) & 1;
      }
      words++;
    }
  }
  if (words < 256) return undefined;
  let max = 0;
  let bit = 0;
  ones.forEach((k, b) => {
    const z = Math.abs(k - words / 2) / Math.sqrt(words / 4);
    if (z > max) {
      max = z;
      bit = b;
    }
  });
  return { max, bit, words };
}

/** Registers the privacy and failure tests on `t`. */
export function securityTests(t: Test, cfg: SecurityConfig): void {
  const { make, parties, stepMs } = cfg;
  const all = [...Array(parties).keys()];

  t('a party not named in a reveal receives nothing in it (and gets undefined)', async () => {
    const msgs: Msg[] = [];
    const runs = await runAll(
      parties,
      make,
      async (c) => {
        const x = await c.input(0, ringData([16], 5));
        const b = await c.p.a2b(x);
        const seen: { to: number[]; window: [number, number]; got: boolean }[] = [];
        for (const to of [[0], [parties - 1], all.filter((q) => q % 2 === 1), []]) {
          for (const v of [x, b]) {
            const before = (c.s as SessionImpl).currentStep;
            const r = await c.p.reveal(v, to);
            seen.push({ to, window: [before, (c.s as SessionImpl).currentStep], got: r !== undefined });
          }
        }
        return seen;
      },
      { network: { tap: (from, to, step, payload) => msgs.push({ from, to, step, payload }) } },
    );
    runs.forEach((run, party) => {
      for (const s of run.value) {
        const named = s.to.includes(party);
        assert.is(s.got, named, `party ${party}, reveal to [${s.to}]`);
        if (!named) {
          const got = msgs.filter((m) => m.to === party && m.step > s.window[0] && m.step <= s.window[1]);
          assert.is(got.length, 0, `party ${party} received ${got.length} messages in a reveal to [${s.to}]`);
        }
      }
    });
  });

  if (cfg.privacy) {
    t(
      'privacy: what a party receives for an input is uniform whatever the secret, from every owner',
      async () => {
        let checked = 0;
        for (let owner = 0; owner < parties; owner++) {
          const res = await receivedUnder(
            parties,
            make,
            async (_p, secret) => secret([64]),
            async (p, value) => {
              for (let i = 0; i < 40; i++)
                await p.input(owner, p.session.self === owner ? value : undefined, [64]);
            },
          );
          // Only messages to parties other than the owner matter.
          for (const r of res) r.perParty[owner] = [];
          checked += assertUniform(res, `input from party ${owner}`, 2048);
        }
        assert.ok(checked > 0, 'no party received enough bytes to check');
      },
    );

    t('privacy: messages received in mul, a2b and bitToA are uniform whatever the secret', async () => {
      const res = await receivedUnder(
        parties,
        make,
        async (p, secret) => {
          const x = await p.input(0, p.session.self === 0 ? secret([2048]) : undefined, [2048]);
          const y = await p.input(
            parties - 1,
            p.session.self === parties - 1 ? secret([2048]) : undefined,
            [2048],
          );
          return { x, y };
        },
        async (p, { x, y }) => {
          await p.mul(x, y);
          const b = await p.a2b(x);
          await p.bitToA(p.andPublicB(b, 1n));
        },
      );
      assert.ok(assertUniform(res, 'mul/a2b/bitToA', 2048) > 0, 'no party received enough bytes to check');
    });
  }

  if (cfg.privacy) {
    t('privacy: a recipient outside the compute parties receives in a reveal only the value', async () => {
      // Shares with structured components (from a public value; a2b's boolean output), opened to
      // each party that holds no share: its messages but one (fixed by the sum) must be uniform.
      const res = await receivedUnder(
        parties,
        make,
        async (p, secret) => {
          const v = secret([1024]);
          const x = await p.input(0, p.session.self === 0 ? v : undefined, [1024]);
          return { a: p.fromPublic(v, 'A'), b: p.fromPublic(v, 'B'), c: await p.a2b(x) };
        },
        async (p, { a, b, c }) => {
          for (const r of all) {
            if (p.computeParties.includes(r)) continue;
            for (const share of [a, b, c])
              assert.ok((await p.reveal(share, [r])) !== undefined || p.session.self !== r);
          }
        },
        true,
      );
      // Compute parties receive nothing in these reveals; a session without another party checks none.
      const outsiders = res[0]!.perParty.filter((chunks) => chunks.length > 0).length;
      if (outsiders > 0) assert.ok(assertUniform(res, 'reveal to a non-compute party', 2048) > 0);
    });
  }

  const program = (culprit: number, mode: 'throw' | 'silent') => async (p: ReturnType<MakeProtocol>) => {
    const x = await p.input(0, p.session.self === 0 ? ringData([8], 3) : undefined, [8]);
    if (p.session.self === culprit) {
      if (mode === 'throw') throw new Error('injected failure');
      await new Promise((r) => setTimeout(r, 4 * stepMs));
      return 'woke up';
    }
    const y = await p.input(culprit, undefined, [8]);
    const z: Share = await p.mul(x, y);
    await p.reveal(z, all);
    return 'done';
  };

  for (const mode of ['throw', 'silent'] as const) {
    t(
      `failure: a party that ${mode === 'throw' ? 'throws' : 'goes silent'} makes every other party reject naming it`,
      async () => {
        for (let culprit = 0; culprit < parties; culprit++) {
          const started = performance.now();
          const ends: number[] = [];
          let err: unknown;
          try {
            await runAll(
              parties,
              make,
              async (c) => {
                try {
                  return await program(culprit, mode)(c.p);
                } finally {
                  ends[c.s.self] = performance.now() - started;
                }
              },
              { timeouts: { stepMs }, graceMs: 6 * stepMs },
            );
          } catch (e) {
            err = e;
          }
          assert.ok(err instanceof SimulationError, `culprit ${culprit}: the simulation must fail`);
          const errors = (err as SimulationError).errors;
          for (let q = 0; q < parties; q++) {
            if (q === culprit) continue;
            const e = errors[q];
            assert.ok(e !== undefined, `${mode}: party ${q} did not reject when party ${culprit} failed`);
            assert.match(
              e.message,
              new RegExp(`party ${culprit}\\b`),
              `${mode}: party ${q}'s error must name party ${culprit}: ${e.message}`,
            );
            assert.match(e.message, /step \d+/, `party ${q}'s error must name a step: ${e.message}`);
            const limit = mode === 'throw' ? stepMs : stepMs + 1500;
            assert.ok(
              ends[q]! < limit,
              `${mode}: party ${q} took ${ends[q]!.toFixed(0)} ms to reject (limit ${limit})`,
            );
          }
        }
      },
    );
  }
}
