/**
 * The engine's nonlinear functions (src/protocols/ops/nonlinear) as the executor needs them.
 * Ranges: rsqrt takes variances in [2^-f, 2^24) (so standard deviations up to 4096).
 * reciprocal, exp and sigmoid join here when the engine provides them.
 */
import { rsqrt } from '../../protocols/ops/nonlinear/roots.js';
import type { NonlinearOps } from './context.js';

/** Largest input of rsqrt, as a power of two. */
export const RSQRT_MAX_LOG2 = 24;

/** The nonlinear functions this build has. */
export const ENGINE_NONLINEAR: NonlinearOps = {
  rsqrt: (p, x, f) => rsqrt(p, x, { fractionalBits: f, maxLog2: RSQRT_MAX_LOG2 }),
};
