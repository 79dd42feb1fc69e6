/**
 * Helpers of the protocol conformance suite: running every party of a protocol with simulate,
 * measuring rounds and bytes per call against `cost()`, deterministic test data, and the
 * chi-square uniformity check of the privacy tests.
 */
import type { CostedPrimitive, CostExtra, Protocol, Share } from '../../src/protocols/protocol.js';
import type { Session } from '../../src/protocols/session.js';
import { simulate, type SimulateOptions } from '../../src/protocols/simulate.js';
import type { Cost } from '../../src/protocols/protocol.js';
import { RingTensor } from '../../src/tensor/index.js';
import { randomWords } from '../helpers/bigint-ref.js';

/** Makes the protocol under test on one party's session. */
export type MakeProtocol = (s: Session) => Protocol<Share>;

/** What one party's run hands back: its outputs, and any cost mismatch it measured. */
export interface PartyRun<T> {
  value: T;
  costErrors: string[];
}

/** A per-party context for test programs. */
export class Ctx {
  readonly costErrors: string[] = [];
  constructor(
    readonly p: Protocol<Share>,
    readonly s: Session,
  ) {}

  /** Runs `f` and checks that this party's rounds and bytes equal `want`. */
  async costed<T>(what: string, want: Cost, f: () => Promise<T>): Promise<T> {
    const r0 = this.s.stats.rounds;
    const b0 = this.s.stats.bytesSent;
    const v = await f();
    const rounds = this.s.stats.rounds - r0;
    const bytes = this.s.stats.bytesSent - b0;
    if (rounds !== want.rounds || bytes !== want.bytesSent) {
      this.costErrors.push(
        `${what} on party ${this.s.self}: measured ${rounds} rounds/${bytes} B, declared ${want.rounds}/${want.bytesSent}`,
      );
    }
    return v;
  }

  /** Runs a primitive and checks its cost. */
  prim<T>(prim: CostedPrimitive, elements: number, f: () => Promise<T>, extra?: CostExtra): Promise<T> {
    return this.costed(prim, this.p.cost(prim, elements, extra), f);
  }

  /** Checks a local op: no round, no byte. */
  local<T>(what: string, f: () => T): Promise<T> {
    return this.costed(what, { rounds: 0, bytesSent: 0 }, () => Promise.resolve(f()));
  }

  /** Reveals to every party (cost checked) and returns the value. */
  async open(x: Share): Promise<RingTensor> {
    const all = [...Array(this.s.parties).keys()];
    const v = await this.prim(
      'reveal',
      x.shape.reduce((a, b) => a * b, 1),
      () => this.p.reveal(x, all),
      {
        recipients: all,
        to: all.length,
      },
    );
    if (v === undefined) throw new Error('reveal to all returned nothing');
    return v;
  }

  /** Shares a ring tensor from `owner` (cost checked). */
  input(owner: number, value: RingTensor): Promise<Share> {
    return this.prim(
      'input',
      value.size,
      () => this.p.input(owner, this.s.self === owner ? value : undefined, value.shape),
      { owner },
    );
  }
}

/** Runs `fn` on every party with the protocol; throws on any party error; returns party outputs. */
export async function runAll<T>(
  parties: number,
  make: MakeProtocol,
  fn: (c: Ctx) => Promise<T>,
  options: SimulateOptions = {},
): Promise<PartyRun<T>[]> {
  return simulate(
    parties,
    async (s) => {
      const c = new Ctx(make(s), s);
      const value = await fn(c);
      return { value, costErrors: c.costErrors };
    },
    { timeouts: { stepMs: 20_000 }, ...options },
  );
}

/** All cost mismatches of a run. */
export function costErrors(runs: readonly PartyRun<unknown>[]): string[] {
  return runs.flatMap((r) => r.costErrors);
}

/** A ring tensor of deterministic words (mixed with edge values) of `shape`. */
export function ringData(shape: readonly number[], seed: number): RingTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return RingTensor.fromBigInts(randomWords(n, seed), shape);
}

/** A ring tensor of signed integers in (-2^bits, 2^bits), deterministic. */
export function smallInts(shape: readonly number[], bits: number, seed: number): RingTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const words = randomWords(n, seed);
  const mod = 1n << BigInt(bits);
  return RingTensor.fromBigInts(
    words.map((w, i) => {
      const v = w % mod;
      return i % 2 === 0 ? v : -v;
    }),
    shape,
  );
}

/** Deterministic reals in [lo, hi). */
export function reals(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.push(lo + ((s >>> 0) / 2 ** 32) * (hi - lo));
  }
  return out;
}

/** Chi-square statistic of byte values against the uniform distribution on 0..255. */
export function byteChiSquare(chunks: readonly Uint8Array[]): { chi2: number; total: number } {
  const counts = new Array<number>(256).fill(0);
  let total = 0;
  for (const c of chunks) {
    for (const b of c) counts[b]!++;
    total += c.length;
  }
  const e = total / 256;
  return { chi2: counts.reduce((a, c) => a + (c - e) ** 2 / e, 0), total };
}

/**
 * Upper critical value of chi-square with `df` degrees of freedom at tail probability ~1e-6
 * (Wilson-Hilferty approximation, z = 4.753): 377 for 255 degrees of freedom.
 */
export function chiSquareCritical(df: number, z = 4.753): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** Signed BigInt of a word. */
export const sgn = (v: bigint): bigint => BigInt.asIntN(64, v);
