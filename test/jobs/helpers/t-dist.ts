/**
 * Distribution functions for test references, independent of the stdlib packages the product uses.
 */

/** Two-sided p-value of t on df degrees of freedom by Simpson's rule (independent of stdlib). */
export function simpsonP(t: number, df: number): number {
  const lgamma = (x: number): number => {
    // Lanczos approximation (g = 7)
    const c = [
      0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
      12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];
    const z = x - 1;
    let s = c[0]!;
    for (let i = 1; i < 9; i++) s += c[i]! / (z + i);
    const w = z + 7.5;
    return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(w) - w + Math.log(s);
  };
  const k = Math.exp(lgamma((df + 1) / 2) - lgamma(df / 2)) / Math.sqrt(df * Math.PI);
  const f = (x: number): number => k * (1 + (x * x) / df) ** (-(df + 1) / 2);
  const n = 20_000;
  const h = Math.abs(t) / n;
  let s = f(0) + f(Math.abs(t));
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return 1 - (2 * s * h) / 3;
}
