/**
 * Boolean adders on 64-bit packed words, generic over any protocol's B shares.
 *
 * `addB` is a Kogge-Stone parallel-prefix adder (Kogge & Stone 1973; as in ABY3 §5.3): generate
 * G = a & b and propagate P = a ^ b, then six levels k = 1, 2, 4, 8, 16, 32 of
 *   G <- G ^ (P & (G << k)),  P <- P & (P << k)   (both ANDs of a level in one andBMany round;
 *   the last level needs no P),
 * and the sum is a ^ b ^ (G << 1). Rounds: 7; ANDs per word: 1 + 2*5 + 1 = 12.
 */
import type { Protocol, Share } from '../protocol.js';

/** Rounds of {@link addB}. */
export const ADDER_ROUNDS = 7;
/** AND gates (in 64-bit words) per element of {@link addB}. */
export const ADDER_AND_WORDS = 12;

/** a + b mod 2^64 on B shares (7 rounds). */
export async function addB<S extends Share>(p: Protocol<S>, a: S, b: S): Promise<S> {
  const p0 = p.xorB(a, b);
  let [g] = (await p.andBMany([[a, b]])) as [S];
  let prop = p0;
  for (let k = 1; k < 64; k *= 2) {
    if (k < 32) {
      const [g2, p2] = (await p.andBMany([
        [prop, p.shlB(g, k)],
        [prop, p.shlB(prop, k)],
      ])) as [S, S];
      g = p.xorB(g, g2);
      prop = p2;
    } else {
      const [g2] = (await p.andBMany([[prop, p.shlB(g, k)]])) as [S];
      g = p.xorB(g, g2);
    }
  }
  return p.xorB(p0, p.shlB(g, 1));
}
