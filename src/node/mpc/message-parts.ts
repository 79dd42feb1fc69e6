/**
 * Messages larger than the frame limit, in parts: a pure state machine, one per remote party.
 *
 * The sender cuts a message of `total` bytes (above the frame limit, at most the message limit)
 * into `part` frames of at most the frame limit each, sent back to back in order. The receiver
 * reassembles it into one buffer allocated when the first part arrives (offset 0) and delivers it
 * like a data frame when the last arrives. What a party could make another do with parts, and what
 * stops it:
 *
 * | attempt | outcome |
 * |---|---|
 * | announce a huge `total` | refused above the message limit (4 frame limits by default), and the room is reserved in the session's inbound bound and the peer's budget before any allocation |
 * | a `total` under the frame limit | refused: that is a data frame's job |
 * | parts out of order, a gap, an overlap, a second message before the first ends | refused: one message at a time, offsets exactly consecutive |
 * | a part whose `total` or step differs from its message's | refused |
 * | a message for a step already received or buffered | refused by the inbox (duplicate) at the first part |
 * | stop halfway | the reservation stays until the session ends (its step timeout fails it) |
 *
 * Every refusal fails the session, naming the party (a protocol error).
 */
import { copyBytes, largeUnfilledBytes } from '../../util/large-buffers.js';

/** How many frame limits a message may span. */
export const MAX_MESSAGE_PAYLOADS = 4;

/** A part frame's fields. */
export interface Part {
  /** Step of the message. */
  step: number;
  /** Bytes of the whole message. */
  total: number;
  /** Where this chunk starts in the message. */
  offset: number;
  /** The chunk. */
  chunk: Uint8Array;
}

/** What a part did. */
export type PartResult =
  /** The first part of a message: reserve `total` bytes for `step` (refuse the message if that fails). */
  | { kind: 'started'; step: number; total: number }
  /** A middle part. */
  | { kind: 'more' }
  /** The last part: the message. */
  | { kind: 'done'; step: number; payload: Uint8Array }
  /** A protocol error (fixed text, safe to log). */
  | { kind: 'refused'; reason: string };

/** The pieces `[offset, end)` a message of `total` bytes is sent in, each at most `maxPayload`. */
export function partsOf(total: number, maxPayload: number): [number, number][] {
  const out: [number, number][] = [];
  for (let at = 0; at < total; at += maxPayload) out.push([at, Math.min(total, at + maxPayload)]);
  return out;
}

/** Reassembles one party's messages; see the module comment. */
export class PartAssembler {
  private current: { step: number; total: number; buf: Uint8Array; got: number } | undefined;

  constructor(
    private readonly maxPayload: number,
    private readonly maxMessage = MAX_MESSAGE_PAYLOADS * maxPayload,
  ) {}

  /** The step of the message being received, if any (its room is reserved). */
  get pendingStep(): number | undefined {
    return this.current?.step;
  }

  /**
   * Takes one part. A `started` result (the first part) allocates nothing: the caller reserves the
   * room, then calls {@link PartAssembler.begin} with the same part, or fails the session.
   */
  push(p: Part): PartResult {
    if (p.chunk.length === 0 || p.chunk.length > this.maxPayload) return refused('part size out of range');
    const c = this.current;
    if (p.offset === 0) {
      if (c !== undefined) return refused('a new message before the last one ended');
      if (p.total <= this.maxPayload || p.total > this.maxMessage)
        return refused('message size out of range');
      return { kind: 'started', step: p.step, total: p.total };
    }
    if (c === undefined) return refused('a part without the start of its message');
    if (p.step !== c.step || p.total !== c.total || p.offset !== c.got) return refused('a part out of order');
    return this.append(p.chunk);
  }

  /** Allocates the message announced by a `started` part and takes its chunk. */
  begin(p: Part): PartResult {
    this.current = { step: p.step, total: p.total, buf: largeUnfilledBytes(p.total), got: 0 };
    return this.append(p.chunk);
  }

  private append(chunk: Uint8Array): PartResult {
    const c = this.current!;
    if (c.got + chunk.length > c.total) return refused('a part past the end of its message');
    copyBytes(c.buf, c.got, chunk);
    c.got += chunk.length;
    if (c.got < c.total) return { kind: 'more' };
    this.current = undefined;
    return { kind: 'done', step: c.step, payload: c.buf };
  }
}

function refused(reason: string): PartResult {
  return { kind: 'refused', reason };
}
