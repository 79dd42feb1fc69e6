/**
 * At most `max` catalog requests in flight to one remote peer; the others wait their turn (until
 * their caller aborts; a request's own timeout starts when it runs). Opening hundreds of streams
 * to one peer at once exceeds what its handler accepts (64 inbound streams per connection) and
 * fails most of them; queued, they all succeed.
 */
import type { AbortOptions } from '@libp2p/interface';

/** Concurrent catalog requests per remote peer. */
export const CATALOG_REQUESTS_PER_PEER = 8;

/** A queue per key with a concurrency limit. */
export class PerPeerLimit {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly max = CATALOG_REQUESTS_PER_PEER) {}

  /** Runs `fn` once fewer than `max` calls for `key` are running; rejects if `signal` aborts first. */
  async run<T>(key: string, fn: () => Promise<T>, options: AbortOptions = {}): Promise<T> {
    await this.acquire(key, options.signal);
    try {
      return await fn();
    } finally {
      this.release(key);
    }
  }

  private acquire(key: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const n = this.active.get(key) ?? 0;
    if (n < this.max) {
      this.active.set(key, n + 1);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const queue = this.waiting.get(key) ?? [];
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = queue.indexOf(go);
        if (i >= 0) queue.splice(i, 1);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(go);
      this.waiting.set(key, queue);
    });
  }

  private release(key: string): void {
    const queue = this.waiting.get(key);
    const next = queue?.shift();
    if (queue?.length === 0) this.waiting.delete(key);
    if (next !== undefined) {
      next(); // the slot passes to the next waiter
      return;
    }
    const n = (this.active.get(key) ?? 1) - 1;
    if (n <= 0) this.active.delete(key);
    else this.active.set(key, n);
  }
}
