/**
 * The recipient's least-squares fit from a DP release of sufficient statistics (plan-gram.ts):
 * the centred cross products C_jk = P_jk - S_j S_k / n of the noisy sums and products, the normal
 * equations C_FF beta = C_Fy solved by Gaussian elimination with partial pivoting, the intercept
 * (S_y - sum beta_j S_j) / n. All post-processing of the noisy values: it costs no privacy.
 *
 * Intervals: a parametric bootstrap (about 95%, not a bound): the noisy statistics are perturbed
 * again by noise of the released variance (each element's parties x the mechanism's variance,
 * drawn Gaussian), re-solved 400 times, and the 2.5% and 97.5% quantiles of the coefficients'
 * deviations give the interval. A noisy system that is singular releases null coefficients.
 */
import { upperPairs } from './plan-gram.js';
import type { DpMechanism } from './types.js';

const BOOTSTRAP = 400;

/** Coefficients [intercept, features...] from sums S (c) and upper products P, or null when singular. */
export function solveGram(s: readonly number[], upper: readonly number[], n: number): number[] | null {
  const c = s.length;
  const p = c - 1;
  const C = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  upperPairs(c).forEach(([j, k], i) => {
    C[j]![k] = C[k]![j] = upper[i]! - (s[j]! * s[k]!) / n;
  });
  const a = Array.from({ length: p }, (_, j) => [...C[j]!.slice(0, p), C[j]![p]!]);
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[piv]![col]!)) piv = r;
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    const d = a[col]![col]!;
    if (!(Math.abs(d) > 1e-12 * Math.max(1, Math.abs(C[col]![col]!)))) return null;
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const factor = a[r]![col]! / d;
      for (let k = col; k <= p; k++) a[r]![k]! -= factor * a[col]![k]!;
    }
  }
  const beta = a.map((row, j) => row[p]! / row[j]!);
  const intercept = (s[p]! - beta.reduce((acc, b, j) => acc + b * s[j]!, 0)) / n;
  return [intercept, ...beta];
}

/** A standard normal draw (Box-Muller; bootstrap only, never privacy noise). */
function normal(): number {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

/** The fit and its bootstrap intervals from the noisy natural values (sums, then upper products). */
export function finishOls(
  natural: readonly number[],
  c: number,
  n: number,
  scales: readonly number[],
  parties: number,
  mechanism: DpMechanism,
): { values: (number | null)[]; intervals: [number, number][] } {
  const split = (v: readonly number[]): number[] | null => solveGram(v.slice(0, c), v.slice(c), n);
  const fit = split(natural);
  if (fit === null)
    return { values: new Array<null>(c).fill(null), intervals: new Array(c).fill([NaN, NaN]) };
  const sd = scales.map((s) => s * Math.sqrt(parties * (mechanism === 'gaussian' ? 1 : 2)));
  const dev: number[][] = fit.map(() => []);
  for (let b = 0; b < BOOTSTRAP; b++) {
    const again = split(natural.map((v, i) => v + sd[i]! * normal()));
    if (again !== null) again.forEach((x, i) => dev[i]!.push(x - fit[i]!));
  }
  const intervals = fit.map((v, i): [number, number] => {
    const d = dev[i]!.sort((x, y) => x - y);
    if (d.length < BOOTSTRAP / 2) return [NaN, NaN];
    const q = (p: number): number => d[Math.min(d.length - 1, Math.floor(p * d.length))]!;
    return [v - q(0.975), v - q(0.025)];
  });
  return { values: fit, intervals };
}
