/**
 * Column scaling: statistics run on tables whose columns are held as x / 2^(e - 6), e the job's
 * public magnitude bound of the column (max |x| <= 2^e; program/scales.ts SCALE_TARGET_BITS), so
 * every column lies within ±2^6 whatever its scale (incomes, lab values, counts) and each op keeps
 * the headroom and precision it was designed for. A statistic's result says its units per axis (ValueType.units: a covariance of columns with
 * exponents e is [e, e]); the recipient multiplies back in float64 when it decodes, so no scaled
 * value ever has to fit the fixed-point range in natural units.
 *
 * Ops that know this (`SCALED_OPS`: the relational ops and the statistics, on tables) take scaled
 * tables as they are; every other op (the engine's arithmetic, predict, train) gets its arguments
 * converted to natural units first, which validation allows only where they are representable.
 */
import { RingTensor } from '../../tensor/index.js';
import type { Share } from '../../protocols/protocol.js';
import { SCALED_OPS, type ValueType } from '../program/value-type.js';
import type { ExecContext } from './context.js';

/** Whether `op` takes an argument of type `t` at its scale (a table to a scaled op). */
export function takesScaled(op: string, t: ValueType): boolean {
  return SCALED_OPS.has(op) && t.kind === 'table';
}

/**
 * The exponent of every element of a value of type `t`, row-major (a table's per column, a
 * statistic's from its units), or undefined when it is in natural units throughout.
 */
export function elementExps(t: ValueType): number[] | undefined {
  if (t.kind === 'table') {
    if (t.exps === undefined) return undefined;
    const rows = t.shape[0]!;
    return Array.from({ length: rows }, () => t.exps!).flat();
  }
  if (t.units === undefined) return undefined;
  let out = [0];
  t.units.forEach((axis) => {
    out = out.flatMap((e) => axis.map((u) => e + u));
  });
  return out;
}

/** The largest exponent of a value's elements (0 in natural units). */
export function maxExp(t: ValueType): number {
  return Math.max(0, ...(elementExps(t) ?? [0]));
}

/**
 * `x` (of type `t`) in natural units: each element times 2^exp, exactly (a public multiplication)
 * when every exponent is >= 0, else multiplied by 2^(exp + k) and truncated by k bits.
 */
export async function toNatural(ctx: ExecContext, x: Share, t: ValueType): Promise<Share> {
  const exps = elementExps(t);
  if (exps === undefined) return x;
  const k = Math.max(0, ...exps.map((e) => -e));
  const factors = RingTensor.fromBigInts(
    exps.map((e) => 1n << BigInt(e + k)),
    [...x.shape],
  );
  const scaled = ctx.p.mulPublic(x, factors);
  return k > 0 ? ctx.p.truncate(scaled, k) : scaled;
}

/** Row-major table values with column j divided by 2^exps[j] (exact in float64). */
export function scaleColumns(
  values: ArrayLike<number>,
  exps: readonly number[] | undefined,
): ArrayLike<number> {
  if (exps === undefined) return values;
  const p = exps.length;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * 2 ** -exps[i % p]!;
  return out;
}
