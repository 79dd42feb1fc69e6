/**
 * Sources of uniform random integers for the differential privacy samplers (issue 16). Every draw
 * is exact: rejection sampling over fresh random words, never a modulo-biased or floating-point
 * shortcut. `cryptoRandom` is the one for real noise; `seededRandom` is deterministic, for tests.
 */
import { createCipheriv, createHash, randomFillSync } from 'node:crypto';

/** Uniform random integers, the only randomness the samplers use. */
export interface RandomSource {
  /** A uniformly random integer in [0, n), for n >= 1. */
  uniformBelow(n: bigint): bigint;
}

const WORDS = 1024; // 4 KiB of random bytes per refill
const TWO_32 = 0x1_0000_0000;

/** A RandomSource over 32-bit words that `refill` writes into a 4 KiB buffer. */
class WordRandom implements RandomSource {
  private readonly words = new Uint32Array(WORDS);
  private next = WORDS;

  constructor(private readonly refill: (into: Uint32Array) => void) {}

  private word(): number {
    if (this.next === WORDS) {
      this.refill(this.words);
      this.next = 0;
    }
    return this.words[this.next++]!;
  }

  /** Uniform in [0, n) for a safe integer 1 <= n <= 2^32: reject the top partial block of words. */
  private below32(n: number): number {
    const limit = TWO_32 - (TWO_32 % n); // a multiple of n
    for (;;) {
      const w = this.word();
      if (w < limit) return w % n;
    }
  }

  uniformBelow(n: bigint): bigint {
    if (n < 1n) throw new RangeError(`n must be >= 1, got ${n}`);
    if (n <= 0x1_0000_0000n) return BigInt(this.below32(Number(n)));
    // n > 2^32: draw the bit length of n - 1 in whole words, mask the top word, reject >= n
    const bits = (n - 1n).toString(2).length;
    const words = Math.ceil(bits / 32);
    const topMask = bits % 32 === 0 ? 0xffffffff : 2 ** (bits % 32) - 1;
    for (;;) {
      let x = BigInt((this.word() & topMask) >>> 0);
      for (let i = 1; i < words; i++) x = (x << 32n) | BigInt(this.word());
      if (x < n) return x;
    }
  }
}

/** Cryptographically secure randomness from node:crypto, refilled 4 KiB at a time. */
export function cryptoRandom(): RandomSource {
  return new WordRandom((into) => randomFillSync(into));
}

/**
 * Deterministic randomness for tests only: the AES-256-CTR keystream under the key SHA-256(seed).
 * The same seed always gives the same draws; never use it for released noise.
 */
export function seededRandom(seed: string): RandomSource {
  const key = createHash('sha256').update(seed, 'utf8').digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(WORDS * 4);
  return new WordRandom((into) => {
    const bytes = cipher.update(zeros);
    new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(bytes);
  });
}
