/**
 * The inbound side of a {@link Libp2pChannel}: what arrived from one party before its `recv`, which
 * of its steps were already consumed, and how much one remote peer may make this peer buffer.
 *
 * - {@link ConsumedSteps}, per (session, party): the steps handed to `recv`, as a low-water mark
 *   (every step below it is consumed or given up) plus a bitmap of the {@link STEP_WINDOW} steps
 *   above it. Steps are allocated in increasing order per session and a protocol receives them
 *   about in that order, so the set stays small; a party need not send on every step, so when a
 *   consumed step lies a whole window above the mark, the mark moves up to it and gives up the
 *   never-received steps it passes. 2 KiB at most per (session, party), never a growing set.
 * - {@link PeerBudget}, per remote peer and shared by all its sessions: bytes and messages buffered
 *   but not yet received. Without it every session a peer opens would add its own bound.
 * - {@link Inbox}, per (session, party): the buffered frames. It refuses a second frame for a
 *   step still buffered or already consumed ({@link DuplicateFrameError}), and a frame that would
 *   pass the session's bound or the peer's budget ({@link InboundLimitError}).
 *
 * The errors are {@link PartyAbortedError}s naming the sending party (so `culpritOf` and every
 * handler of peer failures blame it), with their own `name` and the peer id and frame step.
 * Nothing here looks at payload contents.
 */
import { PartyAbortedError } from '../../protocols/channel.js';

/** Steps above the low-water mark remembered exactly: 16384 steps, a 2 KiB bitmap. */
export const STEP_WINDOW = 16_384;

/** Most messages one party may have buffered in one session before this party receives them. */
export const MAX_BUFFERED_MESSAGES = 65_536;

/** Bounds on what is buffered but not yet received: payload bytes and messages. */
export interface InboundLimits {
  /** Payload bytes. */
  readonly bytes: number;
  /** Messages (an empty payload still costs a map entry). */
  readonly messages: number;
}

/** Bound of one (session, party): four maximal payloads, {@link MAX_BUFFERED_MESSAGES} messages. */
export function sessionLimits(maxPayload: number): InboundLimits {
  return { bytes: 4 * maxPayload, messages: MAX_BUFFERED_MESSAGES };
}

/**
 * Default budget of one remote peer over all its sessions: twice one session's bound (eight maximal
 * payloads, 512 MiB with the default 64 MiB frames), so one session at its own bound leaves as much
 * again for the peer's other sessions, and opening more sessions no longer multiplies the bound.
 */
export function defaultPeerLimits(maxPayload: number): InboundLimits {
  const one = sessionLimits(maxPayload);
  return { bytes: 2 * one.bytes, messages: 2 * one.messages };
}

/**
 * A party sent a second data frame for one step: one this party already received (or gave up, see
 * {@link ConsumedSteps}), or one whose first frame is still buffered. Fails the session, naming it.
 * `step` is the step the rejected `recv` awaited (-1 when none); `frameStep` the duplicated one.
 */
export class DuplicateFrameError extends PartyAbortedError {
  override readonly name = 'DuplicateFrameError';
  constructor(
    party: number,
    /** The peer id of the sending party. */
    readonly peer: string,
    /** The step of the duplicate frame. */
    readonly frameStep: number,
    /** Whether the first frame was still buffered (else already received). */
    readonly buffered: boolean,
    awaited = -1,
  ) {
    super(party, awaited, duplicateReason(peer, frameStep, buffered));
  }
}

function duplicateReason(peer: string, step: number, buffered: boolean): string {
  const first = buffered ? 'the first is still buffered' : 'the step was already received or passed';
  return `second frame for step ${step} from peer ${peer} (${first})`;
}

/**
 * A frame would make this party buffer more from one peer than allowed: more than the session's
 * bound (`scope` 'session') or the peer's budget over all its sessions (`scope` 'peer'). Fails the
 * session the frame belongs to, naming the party. `step` is the awaited step, as in ChannelError.
 */
export class InboundLimitError extends PartyAbortedError {
  override readonly name = 'InboundLimitError';
  constructor(
    party: number,
    /** The peer id of the sending party. */
    readonly peer: string,
    /** The step of the frame refused. */
    readonly frameStep: number,
    /** Which bound: this session's, or the peer's over all its sessions. */
    readonly scope: 'session' | 'peer',
    /** What passed it. */
    readonly unit: keyof InboundLimits,
    /** The bound, in `unit`. */
    readonly limit: number,
    awaited = -1,
  ) {
    super(party, awaited, limitReason(peer, frameStep, scope, unit, limit));
  }
}

function limitReason(peer: string, step: number, scope: string, unit: string, limit: number): string {
  const whose = scope === 'peer' ? 'limit of the peer over all its sessions' : 'limit of the session';
  return `frame for step ${step} from peer ${peer} would pass the ${whose} of ${limit} ${unit} buffered but not received`;
}

/**
 * The consumed steps of one (session, party): a low-water mark `lowWater` (every step below is
 * consumed, or was passed and given up) and a bitmap of the `window` steps from it. Consuming a step
 * at `lowWater + window` or beyond moves the mark to `step - window + 1` first.
 */
export class ConsumedSteps {
  private floor = 0;
  private bits: Uint32Array | undefined; // bit of step s at s % window, for lowWater <= s < lowWater + window

  /** `window`: steps remembered above the mark, a positive multiple of 32. */
  constructor(readonly window = STEP_WINDOW) {
    if (!Number.isInteger(window) || window <= 0 || window % 32 !== 0) {
      throw new RangeError('window must be a positive multiple of 32');
    }
  }

  /** Every step below this was consumed or given up. */
  get lowWater(): number {
    return this.floor;
  }

  /** Whether `step` was consumed (or given up). */
  has(step: number): boolean {
    if (step < this.floor) return true;
    if (step >= this.floor + this.window || this.bits === undefined) return false;
    return this.bit(step);
  }

  /** Records that `step` was consumed. */
  add(step: number): void {
    if (step < this.floor) return;
    if (step === this.floor && this.bits === undefined) {
      this.floor++; // in order: no bitmap needed
      return;
    }
    if (step >= this.floor + this.window) this.moveFloor(step - this.window + 1);
    this.bits ??= new Uint32Array(this.window / 32);
    this.setBit(step, true);
    while (this.bit(this.floor)) {
      this.setBit(this.floor, false);
      this.floor++;
    }
  }

  /** Moves the mark up to `to`, forgetting the bits of the steps it passes. */
  private moveFloor(to: number): void {
    if (this.bits !== undefined) {
      if (to - this.floor >= this.window) this.bits.fill(0);
      else for (let s = this.floor; s < to; s++) this.setBit(s, false);
    }
    this.floor = to;
  }

  private bit(step: number): boolean {
    const i = step % this.window;
    return ((this.bits?.[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0;
  }

  private setBit(step: number, on: boolean): void {
    const i = step % this.window;
    const bits = this.bits!;
    if (on) bits[i >>> 5]! |= 1 << (i & 31);
    else bits[i >>> 5]! &= ~(1 << (i & 31));
  }
}

/**
 * Bytes and messages buffered but not yet received, per remote peer, over all its sessions. One per
 * session manager, shared by its channels; a peer's entry goes away when it has nothing buffered.
 */
export class PeerBudget {
  private readonly used = new Map<string, { bytes: number; messages: number }>();

  /** @throws {RangeError} when a limit is not a positive integer */
  constructor(readonly limits: InboundLimits) {
    for (const v of [limits.bytes, limits.messages]) {
      if (!Number.isSafeInteger(v) || v <= 0)
        throw new RangeError('inbound limits must be positive integers');
    }
  }

  /** What `peer` has buffered now. */
  usage(peer: string): { bytes: number; messages: number } {
    const u = this.used.get(peer);
    return { bytes: u?.bytes ?? 0, messages: u?.messages ?? 0 };
  }

  /** Charges one message of `bytes` to `peer`; returns the limit it would pass (charging nothing), if any. */
  charge(peer: string, bytes: number): keyof InboundLimits | undefined {
    const u = this.used.get(peer);
    const messages = (u?.messages ?? 0) + 1;
    const total = (u?.bytes ?? 0) + bytes;
    if (messages > this.limits.messages) return 'messages';
    if (total > this.limits.bytes) return 'bytes';
    if (u === undefined) this.used.set(peer, { bytes: total, messages });
    else {
      u.bytes = total;
      u.messages = messages;
    }
    return undefined;
  }

  /** Gives back one message of `bytes` charged to `peer`. */
  release(peer: string, bytes: number): void {
    const u = this.used.get(peer);
    if (u === undefined) return;
    u.bytes -= bytes;
    u.messages -= 1;
    if (u.messages <= 0) this.used.delete(peer);
  }
}

/** Why a frame was refused: the reason sent to the other parties, and the error `recv` rejects with. */
export interface Refusal {
  /** Short reason, for the abort frame and the log (no payload). */
  readonly reason: string;
  /** The error for a `recv` awaiting `awaited` (-1 for none). */
  error(awaited: number): PartyAbortedError;
}

/** The frames one party sent in one session that no `recv` took yet, and its consumed steps. */
export class Inbox {
  /** The sending party's peer id (set when its link is attached; charged to the budget). */
  peer = '?';
  private readonly frames = new Map<number, Uint8Array>();
  private reservation: { step: number; bytes: number } | undefined;
  private bytes = 0;
  private readonly consumed = new ConsumedSteps();

  constructor(
    private readonly party: number,
    private readonly limits: InboundLimits,
    private readonly budget: PeerBudget,
  ) {}

  /** Messages buffered. */
  get size(): number {
    return this.frames.size;
  }

  /** Payload bytes buffered. */
  get bufferedBytes(): number {
    return this.bytes;
  }

  /** Whether `step` was consumed already (or given up). */
  wasConsumed(step: number): boolean {
    return this.consumed.has(step);
  }

  /** Records that the frame of `step` went straight to a waiting `recv`. */
  consume(step: number): void {
    this.consumed.add(step);
  }

  /** Takes the buffered payload of `step`, marking the step consumed; undefined if none. */
  take(step: number): Uint8Array | undefined {
    const payload = this.frames.get(step);
    if (payload === undefined) return undefined;
    this.frames.delete(step);
    this.bytes -= payload.length;
    this.budget.release(this.peer, payload.length);
    this.consumed.add(step);
    return payload;
  }

  /** Buffers the payload of `step` until its `recv`; returns why not, if refused (nothing kept). */
  put(step: number, payload: Uint8Array): Refusal | undefined {
    const refused = this.admit(step, payload.length);
    if (refused === undefined) this.frames.set(step, payload);
    return refused;
  }

  /**
   * Reserves room for a message of `bytes` arriving in parts at `step` (message-parts.ts): counted
   * as one buffered message until {@link Inbox.unreserve}; refused as {@link Inbox.put} would be.
   */
  reserve(step: number, bytes: number): Refusal | undefined {
    const refused = this.admit(step, bytes);
    if (refused === undefined) this.reservation = { step, bytes };
    return refused;
  }

  /**
   * The sending peer's budget as a large frame arriving straight into its destination holds it
   * (frame-decoder.ts): one message of its bytes, charged from its header until it is whole.
   */
  readonly inFlight = {
    charge: (bytes: number): boolean => this.budget.charge(this.peer, bytes) === undefined,
    release: (bytes: number): void => this.budget.release(this.peer, bytes),
  };

  /** Gives back the reservation (its message arrived whole, or the session is over). */
  unreserve(): void {
    const r = this.reservation;
    if (r === undefined) return;
    this.reservation = undefined;
    this.bytes -= r.bytes;
    this.budget.release(this.peer, r.bytes);
  }

  /** Checks a message of `bytes` for `step` against duplicates and the bounds, and charges it. */
  private admit(step: number, bytes: number): Refusal | undefined {
    const { party, peer } = this;
    const buffered = this.frames.has(step) || this.reservation?.step === step;
    if (buffered || this.consumed.has(step)) {
      return {
        reason: duplicateReason(peer, step, buffered),
        error: (awaited) => new DuplicateFrameError(party, peer, step, buffered, awaited),
      };
    }
    const held = this.frames.size + (this.reservation === undefined ? 0 : 1);
    if (held + 1 > this.limits.messages) return this.limitRefusal(step, 'session', 'messages');
    if (this.bytes + bytes > this.limits.bytes) return this.limitRefusal(step, 'session', 'bytes');
    const over = this.budget.charge(peer, bytes);
    if (over !== undefined) return this.limitRefusal(step, 'peer', over);
    this.bytes += bytes;
    return undefined;
  }

  /** The refusal of a frame for `step` that would pass the `scope` bound in `unit`. */
  private limitRefusal(step: number, scope: 'session' | 'peer', unit: keyof InboundLimits): Refusal {
    const { party, peer } = this;
    const bound = scope === 'session' ? this.limits[unit] : this.budget.limits[unit];
    return {
      reason: limitReason(peer, step, scope, unit, bound),
      error: (awaited) => new InboundLimitError(party, peer, step, scope, unit, bound, awaited),
    };
  }

  /** Drops every buffered frame and gives its bytes back to the peer's budget (the session is over). */
  clear(): void {
    this.unreserve();
    for (const payload of this.frames.values()) this.budget.release(this.peer, payload.length);
    this.frames.clear();
    this.bytes = 0;
  }
}
