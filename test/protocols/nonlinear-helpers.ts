/** Helpers for the nonlinear op tests: run an op on each protocol and decode the result. */
import { AdditiveProtocol } from '../../src/protocols/additive/index.js';
import { PlaintextProtocol } from '../../src/protocols/plaintext/index.js';
import type { Protocol, Share } from '../../src/protocols/protocol.js';
import { Rep3Protocol } from '../../src/protocols/rep3/index.js';
import type { Session } from '../../src/protocols/session.js';
import { simulate } from '../../src/protocols/simulate.js';
import { decodeFixed, encodeFixed } from '../../src/tensor/index.js';

/** The protocols the ops run on. */
export type ProtoName = 'plaintext' | 'rep3' | 'additive';

/** Party count of a test session per protocol (additive: two compute parties and a dealer). */
export const PARTIES: Record<ProtoName, number> = { plaintext: 1, rep3: 3, additive: 3 };

/** The protocol instance for `name` on `s`. */
export function makeProtocol(name: ProtoName, s: Session): Protocol<Share> {
  if (name === 'plaintext') return new PlaintextProtocol(s) as Protocol<Share>;
  if (name === 'rep3') return new Rep3Protocol(s) as Protocol<Share>;
  return new AdditiveProtocol(s, { computeParties: [0, 1], dealer: 2 }) as Protocol<Share>;
}

/**
 * Party 0 inputs `inputs` (fixed point with f bits), every party runs `op`, the result is revealed
 * to party 0 and decoded. Also returns party 0's rounds.
 */
export async function runOp(
  name: ProtoName,
  inputs: readonly { values: readonly number[]; shape: number[] }[],
  op: (p: Protocol<Share>, xs: Share[]) => Promise<Share>,
  f = 16,
): Promise<{ values: Float64Array; shape: readonly number[]; rounds: number }> {
  const out = await simulate(PARTIES[name], async (s) => {
    const p = makeProtocol(name, s);
    const xs: Share[] = [];
    for (const x of inputs)
      xs.push(await p.input(0, s.self === 0 ? encodeFixed(x.values, x.shape, f) : undefined, x.shape));
    const r0 = s.stats.rounds;
    const y = await op(p, xs);
    const rounds = s.stats.rounds - r0;
    const v = await p.reveal(y, [0]);
    return { v, shape: y.shape, rounds };
  });
  const r = out[0]!;
  return { values: decodeFixed(r.v!, f), shape: r.shape, rounds: r.rounds };
}

/** Largest |got - want| and the index where it occurs. */
export function maxAbsError(got: ArrayLike<number>, want: ArrayLike<number>): { err: number; at: number } {
  let err = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    if (e > err || Number.isNaN(e)) {
      err = Number.isNaN(e) ? Infinity : e;
      at = i;
    }
  }
  return { err, at };
}

/** Values on the fixed-point grid (multiples of 2^-f) spread log-uniformly over [lo, hi], plus both ends. */
export function logGrid(lo: number, hi: number, n: number, f = 16): number[] {
  const xs: number[] = [lo, hi];
  for (let i = 0; i < n; i++) xs.push(lo * (hi / lo) ** (i / (n - 1)));
  const q = 2 ** f;
  return xs.map((x) => Math.min(Math.max(Math.round(x * q), Math.ceil(lo * q)), Math.floor(hi * q)) / q);
}

/** Values on the fixed-point grid spread uniformly over [lo, hi], plus both ends. */
export function linGrid(lo: number, hi: number, n: number, f = 16): number[] {
  const xs: number[] = [lo, hi];
  for (let i = 0; i < n; i++) xs.push(lo + ((hi - lo) * i) / (n - 1));
  return xs.map((x) => Math.round(x * 2 ** f) / 2 ** f);
}
