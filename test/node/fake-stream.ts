/**
 * Just enough of a libp2p Stream for the MPC FrameLink, for tests and the fuzzer: bytes in by
 * `emit('message', { data })`, writes recorded, close and abort as events. The listeners run
 * synchronously, so whatever they throw reaches the caller.
 */
import type { Logger } from '@libp2p/interface';
import { FrameDecoder } from '../../src/node/mpc/frame-decoder.js';
import type { Frame } from '../../src/node/mpc/frame.js';

const noop = (): void => {};

/** A logger that logs nothing. */
export const silentLog = Object.assign(noop, {
  error: noop,
  trace: noop,
  enabled: false,
}) as unknown as Logger;

/** A fake stream (cast it to `Stream` where a FrameLink wants one). */
export class FakeStream {
  status = 'open';
  writeStatus = 'writable';
  /** Bytes the stream holds unsent, as a test sets it. */
  writeBufferLength = 0;
  /** What this side wrote, in order. */
  readonly written: Uint8Array[] = [];
  private readonly listeners = new Map<string, ((evt: unknown) => void)[]>();

  /** Registers a listener, as a libp2p stream does. */
  addEventListener(type: string, fn: (evt: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }

  /** Removes a listener. */
  removeEventListener(type: string, fn: (evt: unknown) => void): void {
    this.listeners.set(
      type,
      (this.listeners.get(type) ?? []).filter((f) => f !== fn),
    );
  }

  /** Calls the listeners of `type` synchronously. */
  emit(type: string, evt: unknown): void {
    for (const fn of this.listeners.get(type) ?? []) fn(evt);
  }

  /** Records a write (throws once the stream is closed, as a real one). */
  send(bytes: Uint8Array): boolean {
    if (this.writeStatus !== 'writable') throw new Error('stream not writable');
    this.written.push(bytes.slice());
    return true;
  }

  /** Never full. */
  onDrain(): Promise<void> {
    return Promise.resolve();
  }

  /** Closes, telling the listeners. */
  async close(): Promise<void> {
    if (this.status !== 'open') return;
    this.status = 'closed';
    this.writeStatus = 'closed';
    this.emit('close', {});
  }

  /** Aborts, telling the listeners why. */
  abort(error: Error): void {
    if (this.status !== 'open') return;
    this.status = 'aborted';
    this.writeStatus = 'closed';
    this.emit('close', { error });
  }

  /** The frames this side wrote, decoded with payloads up to `maxPayload`. */
  frames(maxPayload: number): Frame[] {
    const d = new FrameDecoder(maxPayload);
    return this.written.flatMap((b) => d.push(b));
  }
}
