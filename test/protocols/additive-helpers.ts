/** Helpers for the additive protocol tests: sessions that record or tamper, statistics. */
import type { Session } from '../../src/protocols/session.js';
export { recording, type Received } from '../helpers/recording.js';

/** `s`, with `tamper` applied to every payload it sends. */
export function tampering(
  s: Session,
  tamper: (to: number, step: number, p: Uint8Array) => Uint8Array,
): Session {
  return new Proxy(s, {
    get(target, key) {
      if (key === 'send')
        return (to: number, step: number, p: Uint8Array) => target.send(to, step, tamper(to, step, p));
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Chi-square statistic of `counts` against a uniform distribution. */
export function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
}

/** Histogram of the top 4 and the bottom 4 bits of each word (32 buckets: 16 + 16). */
export function nibbleCounts(words: BigUint64Array): { top: number[]; bottom: number[] } {
  const top = new Array<number>(16).fill(0);
  const bottom = new Array<number>(16).fill(0);
  for (const w of words) {
    top[Number(w >> 60n)]!++;
    bottom[Number(w & 15n)]!++;
  }
  return { top, bottom };
}
