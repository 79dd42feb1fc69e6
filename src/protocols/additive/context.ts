/**
 * What every primitive of the `additive` protocol needs: the session, the parties and their roles,
 * the pairwise PRGs and the dealer.
 */
import type { Prg } from '../../tensor/index.js';
import type { Session } from '../session.js';
import type { SeededDealer } from './dealer.js';
import type { ScratchPool } from './pool.js';

/** Roles and shared state of one party running the `additive` protocol. */
export interface AdditiveContext {
  /** The session. */
  readonly session: Session;
  /** Session indices of the compute parties, in order. */
  readonly parties: readonly number[];
  /** True when this party is a compute party. */
  readonly isCompute: boolean;
  /** True when openings go through kings (see wire.ts), false when all-to-all. */
  readonly kings: boolean;
  /** The compute party that adds public constants (the first one). */
  readonly leader: number;
  /** The dealer's correlated randomness (also on compute parties: their side of it). */
  readonly dealer: SeededDealer;
  /** Recycled scratch buffers for temporaries. */
  readonly pool: ScratchPool;
  /** The PRG this party shares with `peer`, created once per peer (streams must never restart). */
  pairPrg(peer: number): Prg;
}

/**
 * Allocates the step of one communication round and counts the round, on every party of the
 * session, compute or not (the session-wide convention: a primitive's rounds are the same on all).
 */
export function roundStep(session: Session): number {
  const step = session.nextStep();
  session.countRound();
  return step;
}

/** A per-peer cache over session.pairPrg, so every user of a pair draws from one stream. */
export function pairPrgCache(session: Session): (peer: number) => Prg {
  const prgs = new Map<number, Prg>();
  return (peer) => {
    let p = prgs.get(peer);
    if (p === undefined) {
      p = session.pairPrg(peer);
      prgs.set(peer, p);
    }
    return p;
  };
}
