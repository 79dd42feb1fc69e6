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
import { ImpreciseResultError } from '../errors.js';
import { SCALE_TARGET_BITS } from '../program/scales.js';
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

/** Deepest truncation the engine takes: an element scaled down by more is below one unit (0). */
const MAX_SHIFT = 62;

/**
 * `x` (of type `t`) in natural units: each element times 2^exp. Elements with exp >= 0 are
 * multiplied exactly (one public multiplication); those of each negative exponent d are masked and
 * truncated by -d bits, one truncation per distinct d (never one shift for all, which would
 * overflow the large ones); below 2^-62 an element is 0 in natural units.
 */
export async function toNatural(ctx: ExecContext, x: Share, t: ValueType): Promise<Share> {
  const exps = elementExps(t);
  if (exps === undefined || exps.every((e) => e === 0)) return x;
  const mask = (pick: (e: number) => bigint): RingTensor =>
    RingTensor.fromBigInts(exps.map(pick), [...x.shape]);
  let out = ctx.p.mulPublic(
    x,
    mask((e) => (e >= 0 ? 1n << BigInt(e) : 0n)),
  );
  for (const d of [...new Set(exps.filter((e) => e < 0 && e >= -MAX_SHIFT))]) {
    const part = ctx.p.mulPublic(
      x,
      mask((e) => (e === d ? 1n : 0n)),
    );
    out = ctx.p.add(out, await ctx.p.truncate(part, -d)); // sequential: primitives draw randomness in order
  }
  return out;
}

/**
 * Row-major table values with column j divided by 2^exps[j] (exact in float64).
 * @throws ImpreciseResultError naming the input and column when a value of a column with a job
 *   scale (`scaled[j]`) exceeds its magnitude bound (an owner that published none).
 */
export function scaleColumns(
  input: string,
  values: ArrayLike<number>,
  exps: readonly number[] | undefined,
  scaled: readonly boolean[],
): ArrayLike<number> {
  if (exps === undefined) return values;
  const p = exps.length;
  const limit = 2 ** SCALE_TARGET_BITS;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = values[i]! * 2 ** -exps[i % p]!;
    if (scaled[i % p] && !(Math.abs(out[i]!) <= limit))
      throw new ImpreciseResultError(input, i % p, "a value exceeds the job's magnitude bound of its column");
  }
  return out;
}
