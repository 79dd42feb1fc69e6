/**
 * What a channel holds of one other party's messages: the ones buffered until their `recv`
 * (inbound.ts's bounded Inbox), the `recv`s waiting for theirs, and the message being reassembled
 * from part frames (message-parts.ts). A message goes to its waiting `recv` if there is one, else
 * into the inbox; every refusal is returned for the channel to fail the session with.
 */
import type { Part } from './message-parts.js';
import { PartAssembler } from './message-parts.js';
import { Inbox, type InboundLimits, type PeerBudget, type Refusal } from './inbound.js';

/** A `recv` waiting for its step. */
export interface Waiter {
  /** The step awaited. */
  step: number;
  /** Hands it the payload. */
  resolve: (p: Uint8Array) => void;
  /** Fails it. */
  reject: (e: Error) => void;
  /** Its step-timeout timer. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Clears its timer and listener and removes it from the waiters. */
  cleanup: () => void;
}

/** What a part frame did. */
export type PartOutcome =
  | { kind: 'more' }
  | { kind: 'done'; refused?: Refusal }
  | { kind: 'refused'; refused: Refusal }
  | { kind: 'protocol-error'; reason: string };

/** One other party's inbound side of a channel; see the module comment. */
export class PartyInbound {
  /** Buffered messages, bounded. */
  readonly inbox: Inbox;
  /** Waiting `recv`s by step. */
  readonly waiters = new Map<number, Waiter>();
  private readonly parts: PartAssembler;

  constructor(party: number, limits: InboundLimits, budget: PeerBudget, maxPayload: number) {
    this.inbox = new Inbox(party, limits, budget);
    this.parts = new PartAssembler(maxPayload);
  }

  /** A whole message: to its waiting `recv`, else into the inbox; the refusal when buffering is refused. */
  deliver(step: number, payload: Uint8Array): Refusal | undefined {
    // a waiter proves the step is neither consumed (recv refuses those) nor buffered
    const waiter = this.waiters.get(step);
    if (waiter === undefined) return this.inbox.put(step, payload);
    this.inbox.consume(step);
    waiter.cleanup();
    waiter.resolve(payload);
    return undefined;
  }

  /** One part of a message above the frame limit: room is reserved at the first, the last delivers. */
  part(p: Part): PartOutcome {
    let r = this.parts.push(p);
    if (r.kind === 'started') {
      const refused = this.inbox.reserve(p.step, p.total);
      if (refused !== undefined) return { kind: 'refused', refused };
      r = this.parts.begin(p);
    }
    if (r.kind === 'refused') return { kind: 'protocol-error', reason: r.reason };
    if (r.kind !== 'done') return { kind: 'more' };
    this.inbox.unreserve();
    const refused = this.deliver(r.step, r.payload);
    return refused === undefined ? { kind: 'done' } : { kind: 'done', refused };
  }

  /** Fails every waiting `recv` with `error(step)`. */
  rejectWaiters(error: (step: number) => Error): void {
    for (const [step, w] of [...this.waiters]) {
      w.cleanup();
      w.reject(error(step));
    }
  }
}
