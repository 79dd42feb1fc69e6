/**
 * A pool of scratch word buffers, recycled by size, for the temporaries of the `additive` primitives
 * that never leave them: a triple's a and b, a truncation pair's r, the opened masks, AND
 * temporaries. Fresh multi-megabyte buffers cost page faults on first touch; recycling them makes a
 * large mul noticeably cheaper. Buffers handed to the channel or returned in a share are never given
 * back. At most {@link POOL_MAX_WORDS} words are kept; beyond that, given buffers are dropped.
 */
import { kernel } from '../../tensor/index.js';

/** The most words a pool keeps (128 MiB). */
export const POOL_MAX_WORDS = 2 ** 24;

/** Scratch buffers of one party. Not shared between sessions. */
export class ScratchPool {
  private readonly free = new Map<number, BigUint64Array[]>();
  private kept = 0;

  /** A buffer of exactly `n` words with arbitrary contents. */
  take(n: number): BigUint64Array {
    const list = this.free.get(n);
    const b = list?.pop();
    if (b === undefined) return kernel().alloc(n);
    this.kept -= n;
    return b;
  }

  /** Returns buffers the caller no longer references (whole buffers from `take` only). */
  give(...buffers: BigUint64Array[]): void {
    for (const b of buffers) {
      const n = b.length;
      if (n === 0 || this.kept + n > POOL_MAX_WORDS) continue;
      let list = this.free.get(n);
      if (list === undefined) this.free.set(n, (list = []));
      if (list.includes(b)) continue;
      list.push(b);
      this.kept += n;
    }
  }
}
