/**
 * The op catalogue: every op a program may use. Built-in ops are relational, statistics and engine
 * ops; the ML layer adds `predict` and `train` with {@link registerOp} (one call each, from its own
 * module), so the catalogue stays fixed at run time and no code outside it ever runs on data.
 */
import type { OpDef } from './op-def.js';
import { CATEGORICAL_OPS } from './ops-categorical.js';
import { ENGINE_OPS } from './ops-engine.js';
import { GROUPBY_OPS } from './ops-groupby.js';
import { QUANTILE_OPS } from './ops-quantile.js';
import { RELATIONAL_OPS } from './ops-relational.js';
import { LOGISTIC_OPS } from './ops-logistic.js';
import { REGRESSION_OPS } from './ops-regression.js';
import { STATISTIC_OPS } from './ops-stats.js';
import { TEST_OPS } from './ops-tests.js';

const catalogue = new Map<string, OpDef>();
for (const op of [
  ...RELATIONAL_OPS,
  ...STATISTIC_OPS,
  ...GROUPBY_OPS,
  ...CATEGORICAL_OPS,
  ...QUANTILE_OPS,
  ...REGRESSION_OPS,
  ...LOGISTIC_OPS,
  ...TEST_OPS,
  ...ENGINE_OPS,
])
  catalogue.set(op.name, op);

/** The op named `name`, or undefined. */
export function getOp(name: string): OpDef | undefined {
  return catalogue.get(name);
}

/** Every op, sorted by category then name. */
export function listOps(): OpDef[] {
  return [...catalogue.values()].sort(
    (a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name),
  );
}

/**
 * Adds an op to the catalogue (the ML layer's `predict` and `train`). Its MPC implementation must
 * be registered with the executor too.
 * @throws TypeError when an op of that name exists.
 */
export function registerOp(def: OpDef): void {
  if (catalogue.has(def.name)) throw new TypeError(`op "${def.name}" is already in the catalogue`);
  if (!/^[a-z][a-zA-Z0-9]*$/.test(def.name))
    throw new TypeError(`op name "${def.name}" must be a camelCase word`);
  catalogue.set(def.name, def);
}
