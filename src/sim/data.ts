/**
 * Synthetic datasets of a scenario: the same seed, owner and columns always give the same rows
 * (a counter-based SplitMix64 stream per owner, not a cryptographic generator: the data is made
 * up, only its reproducibility matters). Values are uniform in [min, max] with the column's
 * decimals.
 */
import type { Scenario } from './scenario.js';

const MASK = (1n << 64n) - 1n;

/** A SplitMix64 stream seeded from a scenario seed and a stream number (the owner). */
export class SeededStream {
  private state: bigint;

  constructor(seed: number, stream: number) {
    this.state = ((BigInt(seed) << 32n) ^ BigInt(stream) ^ 0x9e3779b97f4a7c15n) & MASK;
  }

  /** The next 64 random bits. */
  nextU64(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    return z ^ (z >> 31n);
  }

  /** A uniform double in [0, 1) (53 bits). */
  next(): number {
    return Number(this.nextU64() >> 11n) / 2 ** 53;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** The rows of owner `owner`'s dataset, as CSV text with a header line. */
export function datasetCsv(s: Pick<Scenario, 'seed' | 'datasets'>, owner: number): string {
  const { rows, columns } = s.datasets;
  const rng = new SeededStream(s.seed, owner);
  const lines = [columns.map((c) => c.name).join(',')];
  for (let r = 0; r < rows; r++) {
    lines.push(
      columns
        .map((c) => {
          const scale = 10 ** c.decimals;
          const lo = Math.ceil(c.min * scale);
          const hi = Math.floor(c.max * scale);
          return ((lo + rng.int(hi - lo + 1)) / scale).toFixed(c.decimals);
        })
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}
