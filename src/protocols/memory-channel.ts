/**
 * In-memory channels: n parties of one session in one process, for tests, `simulate` and research.
 *
 * `createMemoryChannels(n)` returns one {@link Channel} per party, wired to each other. Payloads
 * are handed over by reference (no copy; the Channel contract forbids the sender to modify them
 * afterwards). Each link can be shaped for simulations: a one-way latency and a bandwidth, with
 * messages on one link delivered in order (a message waits for the link to be free, takes
 * bytes/bandwidth to transmit, then latency to arrive). Unshaped links deliver synchronously.
 *
 * Messages are keyed by (sender, step); a second message for the same key is a protocol bug and
 * fails the send. `abort(err)` rejects this party's pending and future `recv`s, and every peer's
 * with a {@link PartyAbortedError} naming this party (aborts are not shaped: they arrive at once).
 */
import {
  ChannelClosedError,
  PartyAbortedError,
  culpritOf,
  emptyStats,
  type AbortOptions,
  type Channel,
  type ChannelStats,
} from './channel.js';

/** Shaping of one directed link. */
export interface LinkShape {
  /** One-way latency in milliseconds (default 0). */
  latencyMs?: number;
  /** Bandwidth in bytes per second (default unlimited). */
  bandwidthBytesPerS?: number;
}

/** Options of {@link createMemoryChannels}. */
export interface MemoryNetworkOptions {
  /** Shaping of every link unless `shape` returns one for it. */
  link?: LinkShape;
  /** Per-link shaping: return the shape of the link from `from` to `to`, or undefined for `link`. */
  shape?: (from: number, to: number) => LinkShape | undefined;
  /**
   * Observes every message as it is delivered (tests and traffic studies). It sees payloads, i.e.
   * what the receiving party sees; never log them.
   */
  tap?: (from: number, to: number, step: number, payload: Uint8Array) => void;
}

interface Waiter {
  resolve(payload: Uint8Array): void;
  reject(err: Error): void;
  from: number;
  step: number;
  cleanup?: () => void;
}

/** One party's end of an in-memory network. */
export class MemoryChannel implements Channel {
  /** Traffic counters. */
  readonly stats: ChannelStats;
  /** Aborted when this channel fails (this party or a peer aborted) or closes. */
  readonly signal: AbortSignal;
  /** The channels of all parties (set by createMemoryChannels). */
  peers: MemoryChannel[] = [];
  private readonly controller = new AbortController();
  private readonly inbox = new Map<number, Uint8Array>();
  private readonly waiters = new Map<number, Waiter>();
  /** Builds the error a recv gets once the channel failed; undefined while healthy. */
  private failure: ((from: number, step: number) => Error) | undefined;
  private readonly linkFreeAt: number[];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    /** Number of parties. */
    readonly parties: number,
    /** This party's index. */
    readonly self: number,
    private readonly shapes: (LinkShape | undefined)[],
    private readonly tap?: MemoryNetworkOptions['tap'],
  ) {
    this.stats = emptyStats(parties);
    this.signal = this.controller.signal;
    this.linkFreeAt = new Array<number>(parties).fill(0);
  }

  private key(from: number, step: number): number {
    return step * this.parties + from;
  }

  /** Sends `payload` to `to` for `step`. */
  send(to: number, step: number, payload: Uint8Array, options?: AbortOptions): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure(to, step));
    options?.signal?.throwIfAborted();
    if (!Number.isInteger(to) || to < 0 || to >= this.parties || to === this.self) {
      return Promise.reject(new RangeError(`party ${this.self} cannot send to party ${to}`));
    }
    if (!Number.isSafeInteger(step) || step < 0) return Promise.reject(new RangeError(`bad step ${step}`));
    const s = this.stats.sent[to]!;
    s.bytes += payload.byteLength;
    s.messages++;
    const peer = this.peers[to]!;
    const shape = this.shapes[to];
    const latency = shape?.latencyMs ?? 0;
    const bw = shape?.bandwidthBytesPerS;
    if (latency <= 0 && (bw === undefined || !Number.isFinite(bw))) {
      return settle(() => peer.deliver(this.self, step, payload));
    }
    const now = performance.now();
    const start = Math.max(now, this.linkFreeAt[to]!);
    const done = start + (bw !== undefined && bw > 0 ? (payload.byteLength / bw) * 1000 : 0);
    this.linkFreeAt[to] = done;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        try {
          peer.deliver(this.self, step, payload);
        } catch (err) {
          // A duplicate message: fail this party so nothing waits for it.
          this.abort(err as Error);
        }
      },
      Math.max(0, done + latency - now),
    );
    this.timers.add(timer);
    return Promise.resolve();
  }

  /** Called by a peer's channel to hand over a message. */
  deliver(from: number, step: number, payload: Uint8Array): void {
    if (this.failure !== undefined) return; // dropped: this party already failed or closed
    this.tap?.(from, this.self, step, payload);
    const r = this.stats.received[from]!;
    r.bytes += payload.byteLength;
    r.messages++;
    const k = this.key(from, step);
    const w = this.waiters.get(k);
    if (w !== undefined) {
      this.waiters.delete(k);
      w.cleanup?.();
      w.resolve(payload);
      return;
    }
    if (this.inbox.has(k))
      throw new RangeError(`party ${from} sent a second message for step ${step} to party ${this.self}`);
    this.inbox.set(k, payload);
  }

  /** Receives `from`'s payload for `step`. */
  recv(from: number, step: number, options?: AbortOptions): Promise<Uint8Array> {
    if (!Number.isInteger(from) || from < 0 || from >= this.parties || from === this.self) {
      return Promise.reject(new RangeError(`party ${this.self} cannot receive from party ${from}`));
    }
    const k = this.key(from, step);
    const ready = this.inbox.get(k);
    if (ready !== undefined) {
      this.inbox.delete(k);
      return Promise.resolve(ready);
    }
    if (this.failure !== undefined) return Promise.reject(this.failure(from, step));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.waiters.has(k))
      return Promise.reject(new RangeError(`already receiving from party ${from} for step ${step}`));
    return new Promise<Uint8Array>((resolve, reject) => {
      const w: Waiter = { resolve, reject, from, step };
      if (signal !== undefined) {
        const onAbort = (): void => {
          this.waiters.delete(k);
          reject(signal.reason as Error);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        w.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.waiters.set(k, w);
    });
  }

  /** Fails this party's session and tells every peer. Idempotent. */
  abort(reason: Error): void {
    if (this.failure !== undefined) return;
    const msg = reason.message;
    this.fail((from, step) => new ChannelClosedError(from, step, `this party aborted: ${msg}`), reason);
    const culprit = culpritOf(reason, this.self, this.parties);
    for (const p of this.peers) if (p !== this) p.peerAborted(culprit, msg);
  }

  /** Called by a peer that aborted. */
  peerAborted(party: number, reason: string): void {
    if (this.failure !== undefined) return;
    this.fail(
      (_from, step) => new PartyAbortedError(party, step, reason),
      new PartyAbortedError(party, -1, reason),
    );
  }

  /** Releases resources; pending recvs reject. Idempotent. */
  close(): Promise<void> {
    if (this.failure === undefined) {
      this.fail(
        (from, step) => new ChannelClosedError(from, step, 'channel closed'),
        new Error('channel closed'),
      );
    }
    this.inbox.clear();
    return Promise.resolve();
  }

  private fail(make: (from: number, step: number) => Error, reason: Error): void {
    this.failure = make;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const waiting = [...this.waiters.values()];
    this.waiters.clear();
    for (const w of waiting) {
      w.cleanup?.();
      w.reject(make(w.from, w.step));
    }
    this.controller.abort(reason);
  }
}

function settle(fn: () => void): Promise<void> {
  try {
    fn();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/**
 * Creates `parties` connected in-memory channels (index i is party i's end).
 * @throws RangeError when parties is not an integer >= 1.
 */
export function createMemoryChannels(parties: number, options: MemoryNetworkOptions = {}): MemoryChannel[] {
  if (!Number.isInteger(parties) || parties < 1)
    throw new RangeError(`parties must be an integer >= 1, got ${parties}`);
  const channels = Array.from({ length: parties }, (_, self) => {
    const shapes = Array.from({ length: parties }, (_, to) => {
      if (to === self) return undefined;
      const s = options.shape?.(self, to) ?? options.link;
      if (s !== undefined) checkShape(s);
      return s;
    });
    return new MemoryChannel(parties, self, shapes, options.tap);
  });
  for (const c of channels) c.peers = channels;
  return channels;
}

function checkShape(s: LinkShape): void {
  if (s.latencyMs !== undefined && !(s.latencyMs >= 0)) throw new RangeError(`latencyMs must be >= 0`);
  if (s.bandwidthBytesPerS !== undefined && !(s.bandwidthBytesPerS > 0))
    throw new RangeError(`bandwidthBytesPerS must be > 0`);
}
