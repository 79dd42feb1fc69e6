/**
 * The inverse of a shared correlation matrix by Newton-Schulz iteration, for exact least squares.
 *
 * Why Newton-Schulz: it needs only matrix products (no private division or square root per step,
 * unlike Cholesky, LDL^T or conjugate gradient, which chain k reciprocals whose errors compound),
 * and it corrects itself: each step squares the residual I - G X, so rounding in an early step is
 * wiped out by the later ones and the result's error is that of the last step's rounding alone.
 *
 * G [k, k] is symmetric positive definite with a unit diagonal, so its eigenvalues lie in
 * (0, k] (they sum to trace G = k). From X_0 = I / k every eigenvalue of I - G X_0 lies in
 * [0, 1 - λ_min / k], and X_{t+1} = X_t (2I - G X_t) squares it: after t steps the residual is
 * at most (1 - λ_min / k)^(2^t). The guard below passes only when every diagonal element of G^-1
 * (a variance inflation factor) is at most MAX_VIF, so λ_min >= 1 / trace(G^-1) >= 1 / (k MAX_VIF)
 * and {@link newtonSchulzSteps} steps bring the residual below 2^-24 whenever the guard passes. The step count is public and the same for every
 * matrix of the size (the iteration count reveals nothing).
 *
 * Rounds (rep3): 2 fused products of 2 rounds per step, k^2 words each; then one product and one
 * comparison of 2k^2 + k values for the guard. k = 10: 21 steps, 84 rounds + 1 comparison.
 *
 * Magnitudes: entries of X are at most max VIF <= 2^10, so a truncated product fails (about
 * |x| / 2^64 per element, see context.ts) with probability below 2^-22 per element; a failure
 * makes the residual guard fail the job (an error, never a wrong result).
 */
import type { Share } from '../../protocols/protocol.js';
import type { ExecContext } from './context.js';

/** Largest variance inflation factor (diagonal of G^-1) a solve accepts. */
export const MAX_VIF = 1000;

/** A converged solve leaves |I - G X| below 2^-RESIDUAL_TOLERANCE_BITS in every entry. */
export const RESIDUAL_TOLERANCE_BITS = 8;

/** Steps that bring the residual below 2^-24 for any accepted k x k correlation matrix. */
export function newtonSchulzSteps(k: number): number {
  return stepsFor(k, k, MAX_VIF);
}

/**
 * Steps for a k x k SPD matrix with λ_max <= `bound` whose inverse's diagonal is at most `maxDiag`
 * (so λ_min >= 1 / (k maxDiag)): from X_0 = I / bound, (1 - λ_min / bound)^(2^t) <= 2^-24 when
 * 2^t >= 24 ln(2) bound k maxDiag.
 */
function stepsFor(k: number, bound: number, maxDiag: number): number {
  return Math.ceil(Math.log2(24 * Math.LN2 * bound * k * maxDiag));
}

function identity(k: number, scale: number): number[] {
  return Array.from({ length: k * k }, (_, i) => (Math.floor(i / k) === i % k ? scale : 0));
}

/** What {@link invertSpd} is told about its matrix. */
export interface SpdBounds {
  /** A public upper bound on the largest eigenvalue (e.g. the trace's bound). */
  bound: number;
  /** The largest diagonal element of the inverse accepted (a guard checks it). */
  maxDiag: number;
  /** The guard's message when the matrix is beyond what the solve handles. */
  what: string;
  /** More values that must be >= 0 for the result to hold, checked in the same comparison. */
  alsoNonNegative?: Share;
}

/**
 * X ≈ A^-1 for a shared k x k symmetric positive definite A (fixed point), with a guard (opened to
 * the recipient before any output) that fails the job unless every diagonal element of X is at
 * most `maxDiag` and the residual I - A X is within 2^-RESIDUAL_TOLERANCE_BITS.
 */
export async function invertSpd(
  ctx: ExecContext,
  a: Share,
  bounds: SpdBounds,
  node: { id: string },
): Promise<Share> {
  const { p } = ctx;
  const k = a.shape[0]!;
  const two = ctx.fixed(identity(k, 2), [k, k]);
  let x = ctx.constant(identity(k, 1 / bounds.bound), [k, k]);
  for (let t = stepsFor(k, bounds.bound, bounds.maxDiag); t > 0; t--) {
    const ax = await ctx.matmul(a, x);
    x = await ctx.matmul(x, p.addPublic(p.neg(ax), two));
  }
  const residual = p.addPublic(p.neg(await ctx.matmul(a, x)), ctx.fixed(identity(k, 1), [k, k]));
  const tol = ctx.fixed(new Array<number>(k * k).fill(2 ** -RESIDUAL_TOLERANCE_BITS), [k, k]);
  const flat = (s: Share): Share => p.reshape(s, [k * k]);
  const room = p.addPublic(p.neg(ctx.diagonal(x)), ctx.fixed(new Array<number>(k).fill(bounds.maxDiag)));
  const bits = await ctx.geZero(
    p.concat(
      [
        flat(p.addPublic(p.neg(residual), tol)),
        flat(p.addPublic(residual, tol)),
        room,
        ...(bounds.alsoNonNegative ? [bounds.alsoNonNegative] : []),
      ],
      0,
    ),
  );
  ctx.guard(node.id, bounds.what, bits);
  return x;
}

/**
 * X ≈ G^-1 for a shared k x k correlation matrix G: {@link invertSpd} with λ_max <= k (the trace)
 * and every variance inflation factor at most {@link MAX_VIF}.
 */
export function invertCorrelation(
  ctx: ExecContext,
  g: Share,
  node: { id: string },
  alsoNonNegative?: Share,
): Promise<Share> {
  const k = g.shape[0]!;
  return invertSpd(
    ctx,
    g,
    {
      bound: k,
      maxDiag: MAX_VIF,
      what: `the features are too collinear to solve in fixed point (a variance inflation factor above ${MAX_VIF}, or the solve did not converge)`,
      ...(alsoNonNegative ? { alsoNonNegative } : {}),
    },
    node,
  );
}
