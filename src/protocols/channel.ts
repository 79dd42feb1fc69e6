/**
 * The channel interface: the only way a protocol talks to the other parties of a session.
 *
 * The same protocol code runs over in-memory channels (tests, `simulate`) and over Noise-encrypted
 * libp2p streams (src/node). A channel connects this party to every other party of one session
 * (one job); parties are numbered 0..parties-1 in the session's fixed order.
 *
 * Messages are tagged by step: a step is a number the session advances once per communication
 * round, and at most one message travels from a given party to a given party per step, so messages
 * of different steps never mix (a protocol that has several tensors for one round concatenates
 * them into one payload: batching). `recv(from, step)` resolves with the payload that `from` sent to
 * this party for `step`, whenever it arrived (before or after the call).
 *
 * Failure: `abort(err)` rejects every pending and future `recv` on this party and tells every peer,
 * whose pending and future `recv`s then reject with a {@link PartyAbortedError} naming this party,
 * or, when `err` is itself a PartyAbortedError or StepTimeoutError naming another party (this party
 * gives up because of that one), naming that party: see {@link culpritOf}.
 * A `recv` that waits longer than the step timeout rejects with a {@link StepTimeoutError} naming the
 * awaited party and the step. Implementations count bytes and messages per peer.
 */

/** Options accepted by every async channel method. */
export interface AbortOptions {
  /** Aborts the wait; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Traffic counters for one direction of one peer link. */
export interface LinkStats {
  /** Payload bytes (excluding framing). */
  bytes: number;
  /** Messages. */
  messages: number;
}

/** Traffic counters of a channel, per peer. */
export interface ChannelStats {
  /** Indexed by peer party index; this party's own entry stays zero. */
  sent: LinkStats[];
  /** Indexed by peer party index; this party's own entry stays zero. */
  received: LinkStats[];
}

/** A party's connection to all other parties of one session. */
export interface Channel {
  /** Number of parties in the session. */
  readonly parties: number;
  /** This party's index, 0..parties-1. */
  readonly self: number;
  /** Sends `payload` to party `to` for `step`. Resolves when the channel accepted it (back-pressure). The caller must not modify `payload` afterwards. */
  send(to: number, step: number, payload: Uint8Array, options?: AbortOptions): Promise<void>;
  /** Receives the payload party `from` sent to this party for `step`. */
  recv(from: number, step: number, options?: AbortOptions): Promise<Uint8Array>;
  /** Traffic counters. */
  readonly stats: ChannelStats;
  /**
   * Optional: aborted (with the reason) once this channel failed, because this party or a peer
   * aborted, or it closed. Lets a session fail at once even when no `recv` is pending.
   */
  readonly signal?: AbortSignal;
  /** Fails the session on this party and tells every peer; idempotent. */
  abort(reason: Error): void;
  /** Releases resources; pending `recv`s reject. Idempotent. */
  close(): Promise<void>;
}

/** Base class of the errors channels raise; `party` and `step` say where. */
export class ChannelError extends Error {
  override readonly name: string = 'ChannelError';
  constructor(
    message: string,
    /** The party the error is about (the sender awaited, or the party that aborted). */
    readonly party: number,
    /** The step that was awaited, or -1 when not tied to one. */
    readonly step: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A peer aborted the session (it failed, or disconnected). */
export class PartyAbortedError extends ChannelError {
  /** 'PartyAbortedError', or a subclass's own name (its failures blame the party the same way). */
  override readonly name: string = 'PartyAbortedError';
  constructor(party: number, step: number, reason: string) {
    super(
      `party ${party} aborted the session${step >= 0 ? ` (awaiting step ${step})` : ''}: ${reason}`,
      party,
      step,
    );
  }
}

/** A message did not arrive within the step timeout. */
export class StepTimeoutError extends ChannelError {
  override readonly name: string = 'StepTimeoutError';
  constructor(party: number, step: number, timeoutMs: number) {
    super(`party ${party} sent nothing for step ${step} within ${timeoutMs} ms`, party, step);
  }
}

/** The channel was closed or this party aborted. */
export class ChannelClosedError extends ChannelError {
  override readonly name = 'ChannelClosedError';
  constructor(party: number, step: number, reason: string) {
    super(`channel closed while awaiting party ${party} step ${step}: ${reason}`, party, step);
  }
}

/** Creates zeroed per-peer stats for `parties` parties. */
export function emptyStats(parties: number): ChannelStats {
  const mk = (): LinkStats[] => Array.from({ length: parties }, () => ({ bytes: 0, messages: 0 }));
  return { sent: mk(), received: mk() };
}

/**
 * The party an abort should blame: the party `reason` names when it is a {@link PartyAbortedError}
 * or {@link StepTimeoutError} about another party, else `self` (the aborting party itself).
 */
export function culpritOf(reason: Error, self: number, parties: number): number {
  if (reason instanceof PartyAbortedError || reason instanceof StepTimeoutError) {
    if (reason.party >= 0 && reason.party < parties && reason.party !== self) return reason.party;
  }
  return self;
}
