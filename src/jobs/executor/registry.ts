/**
 * Op name -> MPC implementation, for every op of the catalogue. The ML layer registers the
 * implementations of `predict` and `train` with {@link registerOpImpl}, next to `registerOp`.
 */
import { OpUnavailableError } from '../errors.js';
import { CATEGORICAL_IMPLS } from './chi-square.js';
import type { CheckedProgram } from '../program/validate.js';
import type { NonlinearOps } from './context.js';
import type { OpImpl } from './op-impl.js';
import { ENGINE_IMPLS } from './ops-engine.js';
import { GROUPBY_IMPLS } from './groupby.js';
import { RELATIONAL_IMPLS } from './ops-relational.js';
import { LOGISTIC_IMPLS } from './logit.js';
import { REGRESSION_IMPLS } from './ols.js';
import { STATISTIC_IMPLS } from './ops-stats.js';
import { QUANTILE_IMPLS } from './quantile.js';

const impls = new Map<string, OpImpl>(
  Object.entries({
    ...RELATIONAL_IMPLS,
    ...STATISTIC_IMPLS,
    ...GROUPBY_IMPLS,
    ...CATEGORICAL_IMPLS,
    ...QUANTILE_IMPLS,
    ...REGRESSION_IMPLS,
    ...LOGISTIC_IMPLS,
    ...ENGINE_IMPLS,
  }),
);

/** The nonlinear functions each op needs. */
const needs = new Map<string, (keyof NonlinearOps)[]>([
  ['std', ['rsqrt']],
  ['correlation', ['rsqrt']],
  ['correlationTest', ['rsqrt']],
  ['linreg', ['rsqrt']],
  ['ols', ['rsqrt']],
  ['olsSummary', ['rsqrt']],
  ['olsFit', ['rsqrt']],
  ['logit', ['rsqrt', 'sigmoid']],
  ['logitSummary', ['rsqrt', 'sigmoid']],
  ['logitFit', ['rsqrt', 'sigmoid']],
  ['chiSquare', ['reciprocal']],
  ['rsqrt', ['rsqrt']],
  ['sqrt', ['rsqrt']],
  ['reciprocal', ['reciprocal']],
  ['div', ['reciprocal']],
  ['exp', ['exp']],
  ['sigmoid', ['sigmoid']],
]);

/** The implementation of `op`, or undefined. */
export function getOpImpl(op: string): OpImpl | undefined {
  return impls.get(op);
}

/**
 * Registers the implementation of an op added with `registerOp`.
 * @throws TypeError when `op` already has one.
 */
export function registerOpImpl(op: string, impl: OpImpl, nonlinear: (keyof NonlinearOps)[] = []): void {
  if (impls.has(op)) throw new TypeError(`op "${op}" already has an implementation`);
  impls.set(op, impl);
  if (nonlinear.length > 0) needs.set(op, nonlinear);
}

/**
 * Checks that this build can run every op of `checked` (an implementation and the nonlinear
 * functions it needs), so that a job that cannot run fails before any share moves.
 * @throws OpUnavailableError naming the first op that cannot run.
 */
export function assertRunnable(checked: CheckedProgram, nonlinear: NonlinearOps): void {
  for (const node of checked.order) {
    if (!impls.has(node.op)) throw new OpUnavailableError(node.op, 'no MPC implementation is registered');
    const missing = (needs.get(node.op) ?? []).find((fn) => nonlinear[fn] === undefined);
    if (missing !== undefined) {
      throw new OpUnavailableError(
        node.op,
        `it needs the engine's ${missing}, which src/protocols/ops does not provide yet`,
      );
    }
  }
}
