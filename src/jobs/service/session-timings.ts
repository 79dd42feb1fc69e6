/**
 * How long this peer waits for the messages of its MPC sessions: one observation per message
 * received (one step from one party), in seconds, with the job's protocol. Plain numbers for
 * monitoring (the daemon turns them into a Prometheus histogram): no job id, no party, no value.
 *
 * A message that arrived before its `recv` counts as a wait of (nearly) zero; a long wait is a slow
 * or loaded party, or a slow link. Channels are wrapped only while someone listens.
 */
import type { AbortOptions, Channel, ChannelStats } from '../../protocols/channel.js';
import type { JobProtocol } from '../job/types.js';

/** One observation. */
export interface StepWait {
  /** The job's protocol. */
  protocol: JobProtocol;
  /** Seconds from the `recv` call to the message. */
  seconds: number;
}

/** The step waits of a peer's sessions; see the module comment. */
export class SessionTimings {
  private readonly listeners = new Set<(w: StepWait) => void>();

  /** Calls `listener` with every wait from now on (a listener that throws is ignored); returns the unsubscribe. */
  subscribe(listener: (w: StepWait) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * `channel` timed for a session of `protocol`, or `channel` itself when nobody listens (then a
   * session costs nothing extra).
   */
  wrap(channel: Channel, protocol: JobProtocol): Channel {
    return this.listeners.size === 0 ? channel : new TimedChannel(channel, (s) => this.emit(protocol, s));
  }

  private emit(protocol: JobProtocol, seconds: number): void {
    for (const l of [...this.listeners]) {
      try {
        l({ protocol, seconds });
      } catch {
        // an observer must not break a session
      }
    }
  }
}

/** A channel that reports how long each `recv` waited; everything else goes to the inner channel. */
class TimedChannel implements Channel {
  constructor(
    private readonly inner: Channel,
    private readonly onWait: (seconds: number) => void,
  ) {}

  get parties(): number {
    return this.inner.parties;
  }

  get self(): number {
    return this.inner.self;
  }

  get stats(): ChannelStats {
    return this.inner.stats;
  }

  get signal(): AbortSignal | undefined {
    return this.inner.signal;
  }

  send(to: number, step: number, payload: Uint8Array, options?: AbortOptions): Promise<void> {
    return this.inner.send(to, step, payload, options);
  }

  async recv(from: number, step: number, options?: AbortOptions): Promise<Uint8Array> {
    const t0 = performance.now();
    const payload = await this.inner.recv(from, step, options);
    this.onWait((performance.now() - t0) / 1000);
    return payload;
  }

  abort(reason: Error): void {
    this.inner.abort(reason);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
