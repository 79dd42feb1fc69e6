/**
 * The openings every interactive `additive` primitive uses (MP-SPDZ style: prepare locally, open,
 * finalize). A value is opened among the compute parties from their summands (raw words, see
 * ../wire.ts) in one of two ways:
 * - all-to-all, 1 round: each compute party sends its summand to every other compute party and
 *   combines what it receives; 8W(N-1) bytes per party for W words among N compute parties.
 * - through kings, 2 rounds (SPDZ's king opening, with the king's load split): the W words are cut
 *   into N contiguous chunks, chunk j of c_j = ⌊W/N⌋ (+1 for j < W mod N) words, and the j-th
 *   compute party is the king of chunk j. Round 1: every party sends its summand of each other
 *   king's chunk to that king (W - c_i words in all); the king combines the N summands of its
 *   chunk. Round 2: each king sends its opened chunk to every other compute party (c_i(N-1)
 *   words). 8(W + c_i(N-2)) bytes per party, at most 16W(N-1)/N + 8(N-2): O(W), not 8W(N-1).
 * `openingKings` picks the way: all-to-all up to 3 compute parties (one round is worth more than
 * the bytes there), kings beyond, unless an option forces one.
 *
 * Security of king openings: what a party receives is the other parties' summands of its own chunk
 * and the opened values of the other chunks: a function of what it receives all-to-all (every
 * summand), so any coalition learns nothing it would not learn all-to-all. The summands themselves
 * are masked by correlations whose summands of an honest party the coalition does not hold (see the
 * primitives: Beaver's e, f; truncation's u; bitToA's c; a2b through Beaver ANDs).
 *
 * A message of w words is exactly 8w bytes, so the declared costs are exact.
 */
import { RingTensor } from '../../tensor/index.js';
import type { Session } from '../session.js';
import { payloadWords, wordBytes } from '../wire.js';
import type { AdditiveContext } from './context.js';

/** How openings run: 'all' (all-to-all), 'king' (through kings), 'auto' (kings for N > 3). */
export type OpeningMode = 'all' | 'king' | 'auto';

/** The most compute parties for which 'auto' opens all-to-all. */
export const AUTO_ALL_MAX = 3;

/** Whether openings among `n` compute parties go through kings under `mode`. */
export function openingKings(mode: OpeningMode, n: number): boolean {
  return mode === 'king' || (mode === 'auto' && n > AUTO_ALL_MAX);
}

/** The steps of one opening: `first` (also the dealer's step), and `second` with kings only. */
export interface OpenSteps {
  readonly first: number;
  readonly second: number | undefined;
}

/**
 * Allocates the steps of one opening and counts its rounds (1 all-to-all, 2 through kings), on every
 * party of the session, compute or not (the session-wide convention: the same rounds on all).
 */
export function openSteps(ctx: AdditiveContext): OpenSteps {
  const first = ctx.session.nextStep();
  ctx.session.countRound();
  if (!ctx.kings) return { first, second: undefined };
  const second = ctx.session.nextStep();
  ctx.session.countRound();
  return { first, second };
}

/** Chunk `j` of `w` words cut among `n` kings: [start, end). */
export function kingChunk(w: number, n: number, j: number): [number, number] {
  const q = Math.floor(w / n);
  const r = w % n;
  const start = j * q + Math.min(j, r);
  return [start, start + q + (j < r ? 1 : 0)];
}

/**
 * Receives `n` words from `from` for `step`.
 * @throws RangeError naming the sender and step when the payload is not 8n bytes.
 */
export async function recvWords(
  session: Session,
  from: number,
  step: number,
  n: number,
): Promise<BigUint64Array> {
  return payloadWords(await session.recv(from, step), n, from, step);
}

/**
 * Opens a value among the compute parties (all-to-all, or through kings when `steps.second` is
 * set): `mine` is this party's summand, flat; returns the sum (or XOR) of all summands as a new
 * flat tensor (from the context's pool when `pooled`: the caller gives it back). `mine` is handed
 * to the channel and must not be modified afterwards.
 */
export async function openAmong(
  ctx: AdditiveContext,
  steps: OpenSteps,
  mine: BigUint64Array,
  xor: boolean,
  pooled = true,
): Promise<RingTensor> {
  const n = mine.length;
  const acc = new RingTensor([n], pooled ? ctx.pool.take(n) : undefined);
  if (steps.second !== undefined) await throughKings(ctx, steps.first, steps.second, mine, xor, acc);
  else await allToAll(ctx, steps.first, mine, xor, acc);
  return acc;
}

/** acc = own + Σ received (or XOR), all of one length. */
function combine(
  own: BigUint64Array,
  received: readonly BigUint64Array[],
  xor: boolean,
  acc: RingTensor,
): void {
  const n = own.length;
  const mine = new RingTensor([n], own);
  received.forEach((w, i) => {
    const other = new RingTensor([n], w);
    const left = i === 0 ? mine : acc;
    if (xor) left.xor(other, acc);
    else left.add(other, acc);
  });
  if (received.length === 0) acc.data.set(own);
}

async function allToAll(
  ctx: AdditiveContext,
  step: number,
  mine: BigUint64Array,
  xor: boolean,
  acc: RingTensor,
): Promise<void> {
  const { session } = ctx;
  const peers = ctx.parties.filter((p) => p !== session.self);
  const sent = settleLater(peers.map((p) => session.send(p, step, wordBytes(mine))));
  const received = await Promise.all(peers.map((p) => recvWords(session, p, step, mine.length)));
  await sent;
  combine(mine, received, xor, acc);
}

async function throughKings(
  ctx: AdditiveContext,
  first: number,
  second: number,
  mine: BigUint64Array,
  xor: boolean,
  acc: RingTensor,
): Promise<void> {
  const { session, parties } = ctx;
  const n = mine.length;
  const N = parties.length;
  const me = parties.indexOf(session.self);
  const others = [...parties.keys()].filter((j) => j !== me);
  const chunks = parties.map((_, j) => kingChunk(n, N, j));
  const [lo, hi] = chunks[me]!;
  // Round 1: my summand of each other king's chunk, to that king (nothing for an empty chunk).
  const toKings = settleLater(
    others
      .filter((j) => chunks[j]![1] > chunks[j]![0])
      .map((j) => session.send(parties[j]!, first, wordBytes(mine.subarray(...chunks[j]!)))),
  );
  let fromMe = Promise.resolve();
  if (hi > lo) {
    const got = await Promise.all(others.map((j) => recvWords(session, parties[j]!, first, hi - lo)));
    combine(mine.subarray(lo, hi), got, xor, new RingTensor([hi - lo], acc.data.subarray(lo, hi)));
    // Round 2: my opened chunk to every other compute party (a copy: acc goes back to a pool).
    const opened = acc.data.slice(lo, hi);
    fromMe = settleLater(others.map((j) => session.send(parties[j]!, second, wordBytes(opened))));
  }
  await Promise.all(
    others.map(async (j) => {
      const [a, b] = chunks[j]!;
      if (b > a) acc.data.set(await recvWords(session, parties[j]!, second, b - a), a);
    }),
  );
  await Promise.all([toKings, fromMe]);
}

/**
 * All of `sends`, as one promise that is already marked handled: when a receive of the same round
 * fails first, the sends' rejection must not surface as an unhandled rejection.
 */
export function settleLater(sends: readonly Promise<void>[]): Promise<void> {
  const all = Promise.all(sends).then(() => undefined);
  all.catch(() => undefined);
  return all;
}
