/**
 * Reading MPC frames off a stream: chunks in, whole frames out (the codec itself is frame.ts).
 *
 * - A read holding whole frames is decoded in place.
 * - A frame spread over chunks is kept in a list until complete; a large data or part frame's
 *   payload is then copied out of it once.
 * - Direct receive ({@link FrameDecoder.direct}, set once the link belongs to a session): a large
 *   data or part frame gets its destination allocated as soon as its header is in, and every chunk
 *   is copied into it as it arrives, then dropped. One copy as before, but no list of chunks kept
 *   alive until the frame completes (they died in the young generation instead of being promoted,
 *   which was a large share of a receiver's garbage collection). Off before the handshake, so a
 *   peer that is no party of a session cannot make this side allocate a frame's size with a header.
 *   A party can: its header alone makes this side allocate up to the frame limit. So the
 *   destination is charged to the sender's inbound budget ({@link DirectBudget}) from its header
 *   until its last byte; over budget, the frame is buffered as its bytes arrive, as before direct
 *   receive (a party that sends headers and stalls then holds no more than the bytes it sent).
 */
import { Uint8ArrayList } from 'uint8arraylist';
import { copyBytes, largeUnfilledBytes } from '../../util/large-buffers.js';
import {
  decodeFrameBody,
  FRAME_KIND,
  FrameError,
  getU32,
  JobIdCache,
  MAX_JOB_ID_BYTES,
  maxFrameLength,
  type Frame,
} from './frame.js';

/** Frames of at least this length (the u32 prefix) take the single-copy paths. */
const LARGE_FRAME = 4096;

/** What a frame received directly holds of its sender's budget while it arrives (inbound.ts). */
export interface DirectBudget {
  /** Charges `bytes` to the sender; false when that would pass its budget (nothing charged). */
  charge(bytes: number): boolean;
  /** Gives back a charge of `bytes`. */
  release(bytes: number): void;
}

/** A large frame being received straight into its destination. */
interface DirectFrame {
  /** The frame without its payload (data) or chunk (part), which `dest` becomes. */
  head: Extract<Frame, { kind: 'data' | 'part' }>;
  dest: Uint8Array;
  got: number;
  /** Where `dest.length` bytes are charged until the frame is whole or the decoder disposed. */
  budget: DirectBudget;
}

/** Bytes after the job id before the payload: the step (data), or step, total and offset (part). */
function fixedBytes(kind: number): number {
  return kind === FRAME_KIND.data ? 4 : 12;
}

/**
 * Incremental decoder: feed it the stream's chunks, get whole frames back. After it throws, the
 * stream is beyond repair: close it.
 */
export class FrameDecoder {
  /** Receive large frames straight into their destination, charged here (see the module comment). */
  direct: DirectBudget | undefined;
  private readonly buf = new Uint8ArrayList();
  private readonly maxLength: number;
  private readonly jobIds = new JobIdCache();
  private current: DirectFrame | undefined;

  /** `maxPayload` bounds the payload of data frames (the frame length bound follows from it). */
  constructor(maxPayload: number) {
    this.maxLength = maxFrameLength(maxPayload);
  }

  /** Bytes held that do not form a whole frame yet (a direct frame's received bytes included). */
  get buffered(): number {
    return this.buf.byteLength + (this.current?.got ?? 0);
  }

  /** Refuses a frame length prefix, before its body is buffered. @throws {FrameError} */
  private checkLength(len: number): void {
    if (len > this.maxLength)
      throw new FrameError('oversized', `frame of ${len} bytes, limit ${this.maxLength}`);
    if (len < 2) throw new FrameError('too-short', `frame length ${len}`);
  }

  /**
   * The header of the large data or part frame of length `len` at the start of the buffer,
   * decoded and checked (a part's against a payload of `len - headLen` bytes); undefined for
   * another kind, a small frame or a header not all buffered yet. @throws {FrameError}
   */
  private largeHead(len: number): { head: DirectFrame['head']; headLen: number } | undefined {
    if (len < LARGE_FRAME || this.buf.byteLength < 6) return undefined;
    const kind = this.buf.get(4);
    if (kind !== FRAME_KIND.data && kind !== FRAME_KIND.part) return undefined;
    const jobLen = this.buf.get(5);
    const headLen = 2 + jobLen + fixedBytes(kind);
    if (jobLen < 1 || jobLen > MAX_JOB_ID_BYTES)
      throw new FrameError('bad-job-id', `job id length ${jobLen}`); // as the body decoder would
    if (headLen >= len) return undefined; // too short for its kind: the body decoder refuses it whole
    if (this.buf.byteLength < 4 + headLen) return undefined;
    // decoded with a one-byte stand-in payload, then checked against the real length
    const probe = new Uint8Array(headLen + 1);
    let at = 0;
    for (const piece of this.buf.sublist(4, 4 + headLen)) {
      probe.set(piece, at);
      at += piece.length;
    }
    const head = decodeFrameBody(probe, this.jobIds);
    if (head.kind === 'part' && head.offset + (len - headLen) > head.total)
      throw new FrameError('bad-field', 'part outside its message');
    if (head.kind !== 'data' && head.kind !== 'part') return undefined;
    return { head, headLen };
  }

  /** A frame with its payload (data) or chunk (part) set to `bytes`. */
  private static withPayload(head: DirectFrame['head'], bytes: Uint8Array): Frame {
    return head.kind === 'data' ? { ...head, payload: bytes } : { ...head, chunk: bytes };
  }

  /**
   * The whole large data or part frame of length `len` buffered, decoded with one copy of its
   * payload (the generic path would concatenate the body, then copy the payload out of it);
   * undefined for other frames.
   */
  private largeData(len: number): Frame | undefined {
    const h = this.largeHead(len);
    if (h === undefined) return undefined;
    const payload = largeUnfilledBytes(len - h.headLen); // every byte is written below
    let at = 0;
    for (const piece of this.buf.sublist(4 + h.headLen, 4 + len)) {
      copyBytes(payload, at, piece);
      at += piece.length;
    }
    return FrameDecoder.withPayload(h.head, payload);
  }

  /**
   * Starts receiving the large frame of length `len` begun in the buffer (not whole) straight into
   * its destination, taking the bytes buffered; false when it is not such a frame (or its header
   * is not all in yet).
   */
  private beginDirect(len: number, budget: DirectBudget): boolean {
    const h = this.largeHead(len);
    if (h === undefined || !budget.charge(len - h.headLen)) return false;
    const dest = largeUnfilledBytes(len - h.headLen); // handed out once every byte is in
    let got = 0;
    for (const piece of this.buf.sublist(4 + h.headLen)) {
      copyBytes(dest, got, piece);
      got += piece.length;
    }
    this.buf.consume(this.buf.byteLength);
    this.current = { head: h.head, dest, got, budget };
    return true;
  }

  /** Gives back the charge of a direct frame in progress (the link is over). */
  dispose(): void {
    const c = this.current;
    this.current = undefined;
    c?.budget.release(c.dest.length);
  }

  /** Copies what of `bytes` from `at` belongs to the direct frame; returns the bytes taken. */
  private fill(bytes: Uint8Array, at: number, out: Frame[]): number {
    const c = this.current!;
    const n = Math.min(c.dest.length - c.got, bytes.length - at);
    copyBytes(c.dest, c.got, n === bytes.length ? bytes : bytes.subarray(at, at + n));
    c.got += n;
    if (c.got === c.dest.length) {
      this.current = undefined;
      c.budget.release(c.dest.length); // from here on the channel's inbox charges what it keeps
      out.push(FrameDecoder.withPayload(c.head, c.dest));
    }
    return n;
  }

  /** Appends a chunk and returns the frames completed by it. @throws {FrameError} */
  push(chunk: Uint8Array | Uint8ArrayList): Frame[] {
    const out: Frame[] = [];
    if (chunk instanceof Uint8Array) this.feed(chunk, out);
    else for (const piece of chunk) this.feed(piece, out);
    return out;
  }

  /** Decodes the frames `bytes` completes into `out`, keeping what is left of it. */
  private feed(bytes: Uint8Array, out: Frame[]): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.current !== undefined) {
        at += this.fill(bytes, at, out);
        continue;
      }
      if (this.buf.byteLength === 0) {
        at = this.decodeInPlace(bytes, at, out);
        if (at === bytes.length) return;
      }
      // a frame not whole in `bytes`, or bytes buffered before: through the list
      this.buf.append(at === 0 ? bytes : bytes.subarray(at));
      this.decodeBuffered(out);
      return;
    }
  }

  /**
   * The whole frames of `bytes` from `at`, decoded in place (the usual case: a read holding whole
   * frames); returns where the first frame not whole in `bytes` starts.
   */
  private decodeInPlace(bytes: Uint8Array, at: number, out: Frame[]): number {
    while (bytes.length - at >= 4) {
      const len = getU32(bytes, at);
      this.checkLength(len);
      if (bytes.length - at - 4 < len) break;
      out.push(decodeFrameBody(bytes.subarray(at + 4, at + 4 + len), this.jobIds));
      at += 4 + len;
    }
    return at;
  }

  /** The frames completed in the buffered chunks; a direct frame started there takes the rest. */
  private decodeBuffered(out: Frame[]): void {
    for (;;) {
      if (this.buf.byteLength < 4) return;
      const len = this.buf.getUint32(0, true);
      this.checkLength(len);
      if (this.buf.byteLength < 4 + len) {
        if (this.direct !== undefined) this.beginDirect(len, this.direct);
        return;
      }
      const frame = this.largeData(len) ?? decodeFrameBody(this.buf.subarray(4, 4 + len), this.jobIds);
      this.buf.consume(4 + len);
      out.push(frame);
    }
  }
}
