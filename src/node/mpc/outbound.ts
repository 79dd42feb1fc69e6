/**
 * How one message goes on a link: a data frame (header and payload in one write when small, two
 * writes otherwise, the payload never copied then), or, above the frame limit, back-to-back part
 * frames (message-parts.ts) of at most the frame limit each. Pure framing: the channel keeps the
 * errors, the statistics and the back-pressure.
 */
import { encodeDataFrame, encodeDataHeader, encodePartHeader } from './frame.js';
import type { FrameLink } from './frame-link.js';
import { MAX_MESSAGE_PAYLOADS, partsOf } from './message-parts.js';

/** Payloads up to this size are copied into the header's buffer and sent as one write. */
export const COALESCE_BYTES = 64 * 1024;

/** Refuses a message the receiver would refuse (over the message limit). @throws {RangeError} */
export function checkMessageSize(bytes: number, maxPayload: number): void {
  const maxMessage = MAX_MESSAGE_PAYLOADS * maxPayload;
  if (bytes > maxMessage) {
    throw new RangeError(
      `payload of ${bytes} bytes exceeds the message limit of ${maxMessage} ` +
        `(${MAX_MESSAGE_PAYLOADS} frames of ${maxPayload})`,
    );
  }
}

/**
 * Writes the message of `step` on `link`; false when the caller should await the link's drain.
 * @throws what the link throws when its stream is not writable.
 */
export function writeMessage(
  link: Pick<FrameLink, 'send'>,
  jobBytes: Uint8Array,
  step: number,
  payload: Uint8Array,
  maxPayload: number,
): boolean {
  if (payload.length > maxPayload) {
    let ok = true;
    for (const [a, b] of partsOf(payload.length, maxPayload)) {
      link.send(encodePartHeader(jobBytes, step, payload.length, a, b - a));
      ok = link.send(payload.subarray(a, b));
    }
    return ok;
  }
  if (payload.length <= COALESCE_BYTES) return link.send(encodeDataFrame(jobBytes, step, payload));
  link.send(encodeDataHeader(jobBytes, step, payload.length));
  return link.send(payload);
}
