/**
 * A send that waits for its stream to drain, bounded by the receiver's liveness: the same rule as
 * a recv's step timer (liveness.ts). A receiver that reads slowly but is alive keeps sending
 * keep-alives, so the wait goes on; one that sent nothing at all for the step timeout (frozen, or
 * cut off by a connection that died without a reset, e.g. a relay killed behind a NAT), or stayed
 * at one step for STALL_STEPS step timeouts, fails the send with a {@link SendTimeoutError}. Before
 * this bound, such a send waited for TCP's own retransmission timeout (about 15 minutes), and the
 * session hung on this party while the others had failed.
 */
import { StepTimeoutError } from '../../protocols/channel.js';
import type { LivenessVerdict } from './liveness.js';

/** A send to `party` waited for the stream to drain while `party` sent nothing (or made no progress). */
export class SendTimeoutError extends StepTimeoutError {
  override readonly name = 'SendTimeoutError';
  override readonly message: string;
  constructor(party: number, step: number, timeoutMs: number, stalled: boolean) {
    super(party, step, timeoutMs);
    this.message = stalled
      ? `party ${party} took no more of step ${step} and made no progress for ${timeoutMs} ms`
      : `party ${party} took no more of step ${step} and sent nothing, not even a keep-alive, for ${timeoutMs} ms`;
  }
}

/** What the watch needs: the wait itself, and the receiver's liveness verdict now. */
export interface DrainWatch {
  /** Waits for the stream to drain; rejects when `signal` aborts. */
  drain(options: { signal: AbortSignal }): Promise<void>;
  /** The liveness verdict on the receiver at this instant. */
  verdict(): LivenessVerdict;
}

/**
 * Awaits `watch.drain`, aborting it with a {@link SendTimeoutError} once the receiver's verdict is
 * a timeout, decided once more after pending I/O is read (as a recv's step timer is), so that this
 * party's own blocked event loop does not blame a receiver whose keep-alives wait in the socket.
 * A caller's `signal` aborts the wait with its own reason.
 */
export async function drainWatched(
  watch: DrainWatch,
  party: number,
  step: number,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) throw signal.reason as Error;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let immediate: ReturnType<typeof setImmediate> | undefined;
  const check = (final: boolean): void => {
    const v = watch.verdict();
    if (v.kind === 'wait') {
      timer = setTimeout(check, v.ms, false);
    } else if (!final) {
      immediate = setImmediate(check, true);
    } else {
      controller.abort(new SendTimeoutError(party, step, v.ms, v.kind === 'stalled'));
    }
  };
  check(false);
  try {
    await watch.drain({ signal: controller.signal });
  } catch (err) {
    if (controller.signal.aborted) throw controller.signal.reason as Error;
    throw err;
  } finally {
    clearTimeout(timer);
    if (immediate !== undefined) clearImmediate(immediate);
    signal?.removeEventListener('abort', onAbort);
  }
}
