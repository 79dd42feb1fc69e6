/**
 * Per-message costs of the libp2p stack (Yamux over Noise over TCP) cut from the outside, for the
 * many small messages of MPC rounds (measured with `npm run bench -- net rounds --transport
 * libp2p-tcp`). Each is a patch, per connection or per stream, of an internal of the library
 * versions this package depends on (@chainsafe/libp2p-yamux 8, @chainsafe/libp2p-noise 17); each
 * checks the internals it relies on first and leaves the object as it is when they differ (another
 * version), so a mismatch only loses the saving. The frame formats are unchanged: peers with and
 * without these patches interoperate.
 *
 * - Yamux ({@link lazyWindowUpdates}): @chainsafe/libp2p-yamux sends a window update frame after
 *   every data frame it receives, so every small message costs a second one back (its own Noise
 *   message, socket write and read, decryption, frame decoding, on both sides). A stream here, once
 *   it has received {@link LAZY_AFTER_FRAMES} small frames in a row (MPC rounds), sends it once
 *   {@link LAZY_UPDATE_BYTES} were received since the last one: once per some hundreds of round
 *   messages. Any large frame (bulk data) makes it send one after every frame again, as before, so
 *   a sender that waits for `drain` is woken as early as before: any update, however small, wakes
 *   it, which the timing of two parties that exchange several large messages in a row depends on
 *   (test/node/message-parts.test.ts: the receiver must not hold more than its inbound bound). Go
 *   and Hashicorp Yamux, for comparison, send an update once half of the window is used. Updates
 *   with a flag (SYN, ACK) and on resuming a paused stream are sent as before; the window grows as
 *   Yamux grows it, at each update.
 * - Noise ({@link leanNoise}, noise-tuning.ts, re-exported here): one socket write per message,
 *   no exception per read, and (with the native crypto) reads decrypted without joining them.
 */
import { StreamState } from '@chainsafe/libp2p-yamux/stream';
import type { MessageStream, StreamMuxerFactory } from '@libp2p/interface';

export { COALESCE_NOISE_BYTES, leanNoise, type LeanNoiseOptions } from './noise-tuning.js';

/**
 * A Yamux stream sends a window update once this many bytes were received since the last one (or
 * half its window, if less): one per frame for bulk data, as Yamux does, one per some hundreds of
 * small messages.
 */
export const LAZY_UPDATE_BYTES = 16 * 1024;

/**
 * Small frames in a row after which a Yamux stream turns lazy: more than a session's set-up frames,
 * so the first frames of a burst of large messages (a part header comes before each chunk) still
 * get their update each, as with Yamux alone.
 */
export const LAZY_AFTER_FRAMES = 16;

/** What the lazy window updates rely on in a @chainsafe/libp2p-yamux 8.x stream. */
interface YamuxStreamInternals {
  state: number;
  recvWindow: number;
  recvWindowCapacity: number;
  sendWindowUpdate(): void;
}

/** What they rely on in its muxer: every stream, inbound or outbound, is made by `_newStream`. */
interface YamuxMuxerInternals {
  _newStream(...args: unknown[]): unknown;
}

function isYamuxStream(s: unknown): s is YamuxStreamInternals {
  const v = s as Partial<YamuxStreamInternals> | null;
  return (
    typeof v?.sendWindowUpdate === 'function' &&
    typeof v.state === 'number' &&
    typeof v.recvWindow === 'number' &&
    typeof v.recvWindowCapacity === 'number'
  );
}

/**
 * Makes `stream` send its window updates lazily (see the module comment): after
 * {@link LAZY_AFTER_FRAMES} small frames in a row (under {@link LAZY_UPDATE_BYTES} each), once that
 * many bytes (or half the window, if less) were received since the last update; otherwise, and at
 * once again after a large frame, after every frame, as Yamux does.
 */
function lazyStream(stream: unknown): void {
  if (!isYamuxStream(stream)) return;
  const eager = stream.sendWindowUpdate;
  let before = 0; // bytes received since the last update, at the previous call (one per frame)
  let small = 0; // small frames in a row
  stream.sendWindowUpdate = function sendWindowUpdateLazily(): void {
    const used = stream.recvWindow - stream.recvWindowCapacity;
    const lazyBytes = Math.min(LAZY_UPDATE_BYTES, stream.recvWindow / 2);
    small = used - before < lazyBytes ? small + 1 : 0;
    // a flag to send (SYN or ACK, states Init and SYNReceived) or a paused stream: as Yamux does
    if (stream.state === StreamState.Established && small > LAZY_AFTER_FRAMES && used < lazyBytes) {
      before = used;
      return;
    }
    eager.call(stream);
    before = stream.recvWindow - stream.recvWindowCapacity;
  };
}

function lazyMuxer<M>(muxer: M): M {
  const m = muxer as Partial<YamuxMuxerInternals> | null;
  if (typeof m?._newStream !== 'function') return muxer;
  const newStream = m._newStream.bind(m);
  m._newStream = (...args: unknown[]): unknown => {
    const stream = newStream(...args);
    lazyStream(stream);
    return stream;
  };
  return muxer;
}

/**
 * Wraps a Yamux factory (`yamux(...)`) so that its streams send a window update once per
 * {@link LAZY_UPDATE_BYTES} received, instead of after every data frame (see the module comment).
 * @example
 * ```ts
 * streamMuxers: [lazyWindowUpdates(yamux())]
 * ```
 */
export function lazyWindowUpdates<A extends unknown[], F extends StreamMuxerFactory>(
  factory: (...args: A) => F,
): (...args: A) => F {
  return (...args) => {
    const muxers = factory(...args);
    const create = muxers.createStreamMuxer.bind(muxers);
    // an own property over the prototype's: the factory keeps its protocol, tags and capabilities
    muxers.createStreamMuxer = (maConn: MessageStream) => lazyMuxer(create(maConn));
    return muxers;
  };
}
