/**
 * A frame link: one libp2p stream of one MPC job with one other party, read as frames.
 *
 * Owns the stream's `message` and `close` events, decodes frames with {@link FrameDecoder} and hands
 * them to the current handler (first the handshake, then the channel). A frame that does not decode
 * ends the link: the reason is logged, an abort frame with code `protocolError` is sent when
 * possible, and the stream is aborted; the handler's `onEnd` learns why.
 */
import '../../polyfills.js';
import type { Logger, Stream } from '@libp2p/interface';
import type { Uint8ArrayList } from 'uint8arraylist';
import { FrameDecoder, type DirectBudget } from './frame-decoder.js';
import { ABORT_CODE, encodeAbort, FrameError, type Frame } from './frame.js';

/** How a link ended. */
export type LinkEnd =
  | { kind: 'remote-closed' }
  | { kind: 'reset'; error: Error }
  | { kind: 'protocol-error'; error: FrameError }
  | { kind: 'local' };

/** Receives the frames and the end of a link. */
export interface LinkHandler {
  /** A frame arrived. */
  onFrame(frame: Frame): void;
  /** The link ended (once), and why. */
  onEnd(end: LinkEnd): void;
}

/** Bytes a link's stream may hold unsent before a send waits (two Yamux windows at their largest). */
export const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

/** The stream's next `drain` or `idle` event; rejects when it is or gets closed, or `signal` aborts. */
function nextProgress(stream: Stream, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  if (stream.writeStatus !== 'writable') return Promise.reject(new Error('the stream closed while sending'));
  return new Promise((resolve, reject) => {
    const done = (): void => {
      stream.removeEventListener('drain', onProgress);
      stream.removeEventListener('idle', onProgress);
      stream.removeEventListener('close', onClose);
      signal?.removeEventListener('abort', onAbort);
    };
    const onProgress = (): void => {
      done();
      resolve();
    };
    const onClose = (): void => {
      done();
      reject(new Error('the stream closed while sending'));
    };
    const onAbort = (): void => {
      done();
      reject(signal!.reason as Error);
    };
    stream.addEventListener('drain', onProgress);
    stream.addEventListener('idle', onProgress);
    stream.addEventListener('close', onClose);
    signal?.addEventListener('abort', onAbort);
  });
}

/** A stream read as MPC frames. */
export class FrameLink {
  private readonly decoder: FrameDecoder;
  private handler: LinkHandler | undefined;
  private pending: Frame[] = [];
  private ended: LinkEnd | undefined;
  private closing = false;

  constructor(
    readonly stream: Stream,
    readonly remote: string,
    maxPayload: number,
    private readonly log: Logger,
  ) {
    this.decoder = new FrameDecoder(maxPayload);
    stream.addEventListener('message', (evt) => this.onData(evt.data));
    // 'end': the remote closed its write side and everything it sent has been delivered
    stream.addEventListener('end', () => {
      // an abort or reset also emits 'end' first; the 'close' event that follows carries the error
      if (stream.status === 'aborted' || stream.status === 'reset') return;
      this.end({ kind: 'remote-closed' });
    });
    stream.addEventListener('close', (evt) => {
      if (evt.error !== undefined && !this.closing) this.end({ kind: 'reset', error: evt.error });
      else this.end(this.closing ? { kind: 'local' } : { kind: 'remote-closed' });
    });
  }

  /** Sets the receiver of frames; frames that arrived before are delivered first. */
  setHandler(handler: LinkHandler): void {
    this.handler = handler;
    const queued = this.pending;
    this.pending = [];
    for (const f of queued) handler.onFrame(f);
    if (this.ended !== undefined) handler.onEnd(this.ended);
  }

  /**
   * Lets large frames be received straight into their destination, allocated when their header
   * arrives and charged to `budget` until whole (frame-decoder.ts): for a link that belongs to a
   * session, once its handshake is done.
   */
  receiveDirect(budget: DirectBudget): void {
    this.decoder.direct = budget;
  }

  /** Stops delivering: frames queue until the next {@link setHandler}. */
  detach(): void {
    this.handler = undefined;
  }

  /** Whether the link is over. */
  get isEnded(): boolean {
    return this.ended !== undefined;
  }

  private onData(data: Uint8Array | Uint8ArrayList): void {
    if (this.ended !== undefined) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(data);
    } catch (err) {
      const error = err as FrameError;
      this.log('refusing stream from %s: %s', this.remote, error.message);
      this.fail(error);
      return;
    }
    for (const f of frames) {
      if (this.ended !== undefined) return;
      if (this.handler !== undefined) this.handler.onFrame(f);
      else this.pending.push(f);
    }
  }

  /** Ends the link for a protocol error: tells the remote (best effort) and aborts the stream. */
  fail(error: FrameError, jobId = '?', culprit = -1): void {
    if (this.ended !== undefined) return;
    try {
      this.send(encodeAbort(jobId, ABORT_CODE.protocolError, culprit, -1, error.reason));
    } catch {
      // the stream may already be unwritable
    }
    this.end({ kind: 'protocol-error', error });
    this.stream.abort(error);
  }

  /**
   * Writes bytes; returns false when the caller should await {@link drain}: the stream says so, or
   * it holds more than {@link MAX_QUEUED_BYTES} not yet sent (Yamux takes a message past its send
   * window by reference and may not say it is full, so a sender could queue any amount for a
   * receiver that reads nothing). Throws if not writable.
   */
  send(bytes: Uint8Array): boolean {
    const ok = this.stream.send(bytes);
    return ok && this.stream.writeBufferLength <= MAX_QUEUED_BYTES;
  }

  /**
   * Resolves when the stream can take more data and holds at most {@link MAX_QUEUED_BYTES} unsent;
   * rejects when `signal` aborts or the stream closes. Every bit of progress in sending is a
   * `drain` event (a window update, or the connection draining) or the queue's `idle`.
   */
  async drain(options: { signal?: AbortSignal }): Promise<void> {
    await this.stream.onDrain(options);
    while (this.stream.writeBufferLength > MAX_QUEUED_BYTES) {
      await nextProgress(this.stream, options.signal);
      await this.stream.onDrain(options);
    }
  }

  /** Closes our write side gracefully (flushing what was sent), with a bound on the wait. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await this.stream.close({ signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      this.stream.abort(err as Error);
    }
    this.end({ kind: 'local' });
  }

  /**
   * Sends a final frame (best effort), flushes it, then aborts the stream so nothing of it stays
   * open on this side whatever the remote does.
   */
  async closeWith(frame: Uint8Array, timeoutMs = 5_000): Promise<void> {
    try {
      if (this.stream.writeStatus === 'writable') this.send(frame);
    } catch {
      // unwritable: nothing to tell
    }
    await this.close(timeoutMs);
    if (this.stream.status === 'open') this.stream.abort(new Error('link closed after a final frame'));
  }

  /** Aborts the stream at once. */
  abort(error: Error): void {
    if (this.closing && this.stream.status !== 'open') return;
    this.closing = true;
    this.end({ kind: 'local' });
    this.stream.abort(error);
  }

  private end(end: LinkEnd): void {
    if (this.ended !== undefined) return;
    this.ended = end;
    this.decoder.dispose(); // a frame cut off by the end gives its charge back
    this.handler?.onEnd(end);
  }
}
