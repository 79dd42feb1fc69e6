/**
 * Checking a DP release against the truth without a flaky test: a 95% interval misses the truth
 * one time in twenty by design, so a test that asserts "inside the 95% interval" fails in CI about
 * that often per value. Tests assert instead that the truth lies within WIDEN half-widths of the
 * interval's centre. For Gaussian noise the 95% half-width is at least 1.96 sigma, so 3 of them is
 * at least 5.9 sigma (miss probability < 1e-8); for the discrete Laplace sum of m draws the union
 * bound gives at most 2m e^(-3 ln(2m/0.05)) < 1e-5 per value.
 */
import * as assert from 'uvu/assert';

/** How many 95% half-widths a value may lie from its interval's centre in a test. */
export const WIDEN = 3;

/**
 * Asserts that `truth` is within WIDEN half-widths of the centre of `interval` (plus `slack` for
 * fixed-point resolution), naming `what` in the failure.
 */
export function assertNearInterval(
  truth: number,
  interval: readonly [number, number],
  what: string,
  slack = 1e-6,
): void {
  const [lo, hi] = interval;
  const centre = (lo + hi) / 2;
  const half = (hi - lo) / 2;
  assert.ok(
    Math.abs(truth - centre) <= WIDEN * half + slack,
    `${what}: ${truth} further than ${WIDEN} half-widths from [${lo}, ${hi}]`,
  );
}
