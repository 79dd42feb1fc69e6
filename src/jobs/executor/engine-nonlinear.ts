/**
 * The engine's nonlinear functions (src/protocols/ops/nonlinear) as the executor needs them.
 * Ranges (docs/ML.md has each function's error): rsqrt and reciprocal take inputs in
 * [2^-f, 2^24) (so standard deviations up to 4096, divisors up to ~1.6e7); exp takes x < 8 ln 2
 * (results below 256); sigmoid takes any input.
 */
import { exp } from '../../protocols/ops/nonlinear/exp.js';
import { reciprocal } from '../../protocols/ops/nonlinear/reciprocal.js';
import { rsqrt } from '../../protocols/ops/nonlinear/roots.js';
import { sigmoid } from '../../protocols/ops/nonlinear/sigmoid.js';
import type { NonlinearOps } from './context.js';

/** Largest input of rsqrt, as a power of two. */
export const RSQRT_MAX_LOG2 = 24;
/** Largest input of reciprocal (and divisor of div), as a power of two. */
export const RECIPROCAL_MAX_LOG2 = 24;

/** The nonlinear functions this build has. */
export const ENGINE_NONLINEAR: NonlinearOps = {
  rsqrt: (p, x, f) => rsqrt(p, x, { fractionalBits: f, maxLog2: RSQRT_MAX_LOG2 }),
  reciprocal: (p, x, f) => reciprocal(p, x, { fractionalBits: f, maxLog2: RECIPROCAL_MAX_LOG2 }),
  exp: (p, x, f) => exp(p, x, { fractionalBits: f }),
  sigmoid: (p, x, f) => sigmoid(p, x, { fractionalBits: f }),
};
