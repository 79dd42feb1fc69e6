/**
 * The session interface: one job's parties, this party's place among them, its channel, its
 * randomness and its clocks. Implementation: session-impl (MPC engine).
 */
import type { Prg } from '../tensor/index.js';
import type { Channel } from './channel.js';

/** Timeouts of a session, in milliseconds. */
export interface SessionTimeouts {
  /** Longest wait for one message of one step. */
  stepMs: number;
  /** Longest a whole session may run. */
  sessionMs: number;
}

/** Per-party counters of a session. */
export interface SessionStats {
  /** Communication rounds this party took part in. */
  rounds: number;
  /** Payload bytes this party sent. */
  bytesSent: number;
  /** Payload bytes this party received. */
  bytesReceived: number;
}

/** One party's view of an MPC session. */
export interface Session {
  /** The job (or simulation) id; the same on every party. */
  readonly id: string;
  /** Number of parties. */
  readonly parties: number;
  /** This party's index. */
  readonly self: number;
  /** The connection to the other parties. */
  readonly channel: Channel;
  /** Timeouts. */
  readonly timeouts: SessionTimeouts;
  /** Aborted when the session fails anywhere or times out. */
  readonly signal: AbortSignal;
  /** Allocates the next step number; every party calls it in the same order (SPMD). */
  nextStep(): number;
  /**
   * A PRG whose seed this party shares with party `peer` only (agreed by x25519 at setup from
   * ephemeral keys; tests alone may fix those keys, see session-impl's `testOnlyKeys`).
   */
  pairPrg(peer: number): Prg;
  /** A PRG known to this party only (a fresh random seed; fixed only by test-only keys). */
  ownPrg(): Prg;
  /** Counters. */
  readonly stats: SessionStats;
  /** Sends a payload to `to` for `step` (counts bytes). */
  send(to: number, step: number, payload: Uint8Array): Promise<void>;
  /** Receives `from`'s payload for `step` (counts bytes, honours the step timeout). */
  recv(from: number, step: number): Promise<Uint8Array>;
  /** Records one communication round for this party. */
  countRound(): void;
  /** Fails the session on every party. */
  abort(reason: Error): void;
}
