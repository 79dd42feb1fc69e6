/**
 * The one-round opening every interactive `additive` primitive uses (MP-SPDZ style: prepare
 * locally, one exchange, finalize): each compute party sends its summand, as raw words (see
 * ../wire.ts), to every other compute party and combines what it receives. A message of m words is
 * exactly 8m bytes, so the declared costs are exact.
 */
import { RingTensor } from '../../tensor/index.js';
import type { Session } from '../session.js';
import { payloadWords, wordBytes } from '../wire.js';
import type { ScratchPool } from './pool.js';

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
 * Opens a value among `parties` in one round: sends `mine` (this party's summand, flat) to every
 * other party of `parties` for `step` and returns the sum (or XOR) of all summands as a new flat
 * tensor (from `pool` when given: the caller gives it back). `mine` is handed to the channel and
 * must not be modified afterwards.
 */
export async function openAmong(
  session: Session,
  parties: readonly number[],
  step: number,
  mine: BigUint64Array,
  xor: boolean,
  pool?: ScratchPool,
): Promise<RingTensor> {
  const n = mine.length;
  const peers = parties.filter((p) => p !== session.self);
  const sent = settleLater(peers.map((p) => session.send(p, step, wordBytes(mine))));
  const received = await Promise.all(peers.map((p) => recvWords(session, p, step, n)));
  await sent;
  const acc = new RingTensor([n], pool?.take(n));
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

/**
 * All of `sends`, as one promise that is already marked handled: when a receive of the same round
 * fails first, the sends' rejection must not surface as an unhandled rejection.
 */
export function settleLater(sends: readonly Promise<void>[]): Promise<void> {
  const all = Promise.all(sends).then(() => undefined);
  all.catch(() => undefined);
  return all;
}
