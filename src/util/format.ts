/** Number formatting shared by the CLI's result tables and the console's pages. */

/**
 * A released number for a table: integers below 1e9 as they are, others with 4 decimals or in
 * exponent form when very small or large; `null` (a suppressed cell) reads `suppressed`.
 */
export function formatNumber(v: number | null): string {
  if (v === null) return 'suppressed';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e7) ? v.toExponential(4) : v.toFixed(4);
}
