/**
 * Reading MPC frames off a stream: chunks in, whole frames out (the codec itself is frame.ts).
 * A read holding whole frames is decoded in place; a frame spread over chunks is kept in a list
 * until complete, and a large data frame's payload is copied out of it once.
 */
import { Uint8ArrayList } from 'uint8arraylist';
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

/** The one array holding all of `chunk`, if there is one (no copy); undefined for a list of several. */
function contiguous(chunk: Uint8Array | Uint8ArrayList): Uint8Array | undefined {
  if (chunk instanceof Uint8Array) return chunk;
  for (const buf of chunk) return buf.length === chunk.byteLength ? buf : undefined;
  return new Uint8Array(0);
}

/**
 * Incremental decoder: feed it the stream's chunks, get whole frames back. After it throws, the
 * stream is beyond repair: close it.
 */
export class FrameDecoder {
  private readonly buf = new Uint8ArrayList();
  private readonly maxLength: number;
  private readonly jobIds = new JobIdCache();

  /** `maxPayload` bounds the payload of data frames (the frame length bound follows from it). */
  constructor(maxPayload: number) {
    this.maxLength = maxFrameLength(maxPayload);
  }

  /** Bytes held that do not form a whole frame yet. */
  get buffered(): number {
    return this.buf.byteLength;
  }

  /** Refuses a frame length prefix, before its body is buffered. @throws {FrameError} */
  private checkLength(len: number): void {
    if (len > this.maxLength)
      throw new FrameError('oversized', `frame of ${len} bytes, limit ${this.maxLength}`);
    if (len < 2) throw new FrameError('too-short', `frame length ${len}`);
  }

  /**
   * A data frame whose payload spans several chunks, decoded with one copy of the payload (the
   * generic path would concatenate the body, then copy the payload out of it); undefined otherwise.
   */
  private largeData(len: number): Frame | undefined {
    const kind = len < 4096 ? 0 : this.buf.get(4);
    if (kind !== FRAME_KIND.data && kind !== FRAME_KIND.part) return undefined;
    const jobLen = this.buf.get(5);
    const headLen = 2 + jobLen + (kind === FRAME_KIND.data ? 4 : 12);
    if (jobLen < 1 || jobLen > MAX_JOB_ID_BYTES || headLen >= len) return undefined; // let the generic path refuse it
    const payload = new Uint8Array(len - headLen);
    let at = 0;
    for (const chunk of this.buf.sublist(4 + headLen, 4 + len)) {
      payload.set(chunk, at);
      at += chunk.length;
    }
    if (kind === FRAME_KIND.data) {
      const head = decodeFrameBody(this.buf.subarray(4, 4 + headLen), this.jobIds);
      return head.kind === 'data' ? { kind: 'data', jobId: head.jobId, step: head.step, payload } : undefined;
    }
    // a part's header: decoded with a one-byte stand-in chunk, then checked against the real one
    const probe = this.buf.subarray(4, 4 + headLen + 1);
    const head = decodeFrameBody(probe, this.jobIds);
    if (head.kind !== 'part' || head.offset + payload.length > head.total)
      throw new FrameError('bad-field', 'part outside its message');
    return { ...head, chunk: payload };
  }

  /** Appends a chunk and returns the frames completed by it. @throws {FrameError} */
  push(chunk: Uint8Array | Uint8ArrayList): Frame[] {
    const whole = this.buf.byteLength === 0 ? contiguous(chunk) : undefined;
    if (whole !== undefined) return this.decodeWhole(whole);
    this.buf.append(chunk);
    return this.decodeBuffered();
  }

  /**
   * The frames of one array with nothing buffered before it (the usual case: a read holding whole
   * frames), decoded in place; an incomplete frame at its end is buffered.
   */
  private decodeWhole(bytes: Uint8Array): Frame[] {
    const out: Frame[] = [];
    let at = 0;
    while (bytes.length - at >= 4) {
      const len = getU32(bytes, at);
      this.checkLength(len);
      if (bytes.length - at - 4 < len) break;
      out.push(decodeFrameBody(bytes.subarray(at + 4, at + 4 + len), this.jobIds));
      at += 4 + len;
    }
    if (at < bytes.length) this.buf.append(bytes.subarray(at));
    return out;
  }

  /** The frames completed in the buffered chunks. */
  private decodeBuffered(): Frame[] {
    const out: Frame[] = [];
    for (;;) {
      if (this.buf.byteLength < 4) return out;
      const len = getU32(this.buf.subarray(0, 4), 0);
      this.checkLength(len);
      if (this.buf.byteLength < 4 + len) return out;
      const frame = this.largeData(len) ?? decodeFrameBody(this.buf.subarray(4, 4 + len), this.jobIds);
      this.buf.consume(4 + len);
      out.push(frame);
    }
  }
}
