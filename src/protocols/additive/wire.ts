/**
 * Payloads of the `additive` protocol: raw little-endian 64-bit words with no header (both ends
 * know every shape from the SPMD program), so a message of m words is exactly 8m bytes and the
 * costs the protocol declares are exact. Also the one-round opening used by every interactive
 * primitive: each compute party sends its summand to every other compute party and combines
 * what it receives (MP-SPDZ style: prepare locally, one exchange, finalize).
 */
import { RingTensor } from '../../tensor/index.js';
import type { Session } from '../session.js';

/** A received message does not have the length the protocol expects (a bug or a misbehaving peer). */
export class MessageSizeError extends Error {
  override readonly name = 'MessageSizeError';
  constructor(
    /** The sender. */
    readonly party: number,
    /** The step of the message. */
    readonly step: number,
    expected: number,
    got: number,
  ) {
    super(`party ${party} sent ${got} bytes for step ${step}, expected ${expected}`);
  }
}

/** The bytes of `words` (a view, no copy). */
export function asBytes(words: BigUint64Array): Uint8Array {
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

/**
 * A received payload as exactly `n` words: a view when it is 8-byte aligned, else a copy.
 * @throws MessageSizeError when the payload is not 8n bytes.
 */
export function asWords(payload: Uint8Array, n: number, from: number, step: number): BigUint64Array {
  if (payload.byteLength !== 8 * n) throw new MessageSizeError(from, step, 8 * n, payload.byteLength);
  if (payload.byteOffset % 8 === 0) return new BigUint64Array(payload.buffer, payload.byteOffset, n);
  const w = new BigUint64Array(n);
  new Uint8Array(w.buffer).set(payload);
  return w;
}

/** Receives `n` words from `from` for `step`. */
export async function recvWords(
  session: Session,
  from: number,
  step: number,
  n: number,
): Promise<BigUint64Array> {
  return asWords(await session.recv(from, step), n, from, step);
}

/**
 * Opens a value among `parties` in one round: sends `mine` (this party's summand, flat) to every
 * other party of `parties` for `step` and returns the sum (or XOR) of all summands as a new flat
 * tensor. `mine` is handed to the channel and must not be modified afterwards.
 */
export async function openAmong(
  session: Session,
  parties: readonly number[],
  step: number,
  mine: BigUint64Array,
  xor: boolean,
): Promise<RingTensor> {
  const n = mine.length;
  const peers = parties.filter((p) => p !== session.self);
  const sends = peers.map((p) => session.send(p, step, asBytes(mine)));
  const received = await Promise.all(peers.map((p) => recvWords(session, p, step, n)));
  await Promise.all(sends);
  const acc = new RingTensor([n]);
  const own = new RingTensor([n], mine);
  received.forEach((w, i) => {
    const other = new RingTensor([n], w);
    const left = i === 0 ? own : acc;
    if (xor) left.xor(other, acc);
    else left.add(other, acc);
  });
  if (received.length === 0) acc.data.set(mine);
  return acc;
}
