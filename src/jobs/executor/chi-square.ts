/**
 * The MPC chi-square test of independence (chiSquareOp in src/jobs/program/ops-categorical.ts).
 *
 * Formula. With O the exact counts (contingency.ts), r, c the row and column totals and n their sum
 * (the matched rows: secret), chi2 = sum_ij D_ij^2 / (n r_i c_j) with D = n O - r c, an exact
 * integer. The textbook n * sum O^2 / (r c) - n is not used: it subtracts n from a value near n,
 * so a relative error e of the divisions becomes an absolute error n * e (about 1 for 10^5 rows);
 * here every term is non-negative and carries the divisions' relative error only.
 *
 * Divisions through binary exponents (nothing is ever divided by a value outside [1, 2)):
 * 1. exponents: for each margin m in (r, c, n), bits [m >= 2^t], t = 1..K-1 (2^K > the table's
 *    rows), give w = 2^(F - k) with 2^k <= m < 2^(k+1), F = K - 1 (a local sum of the bits);
 * 2. one exact product each: the mantissa m * w = m / 2^k in [1, 2) (F fractional bits), and
 *    D * w_i, D * w_j: D / 2^k_i and D / 2^l_j (exact integers, below 2^(2K));
 * 3. the engine's reciprocal of the R + C + 1 mantissas (16 fractional bits, inside its domain);
 * 4. u = D / r = (D / 2^k_i) * (1 / mantissa_i) and v = D / c, to q fractional bits;
 *    x = u / n = (u / 2^kappa) * (1 / mantissa_n), to g fractional bits;
 * 5. chi2 = sum x * v: exact integer products, summed and released at g + q fractional bits (the
 *    recipient scales back: releasedExps in finalize-chisquare.ts).
 * q and g ({@link chiSquarePlan}) keep every truncated value below 2^46 (failure probability at
 * most 2^-18 per element) and the released sum below 2^62.
 *
 * Error (docs/JOBS.md): |chi2' - chi2| <= 3.01 e chi2 + 1.03 sum_ij |O - E| (2^(1-q) / r_i +
 * (2^(1-q) + n 2^-g) / c_j) + RC 2^(2-q) (2^(1-q) + 2^-g), E = r c / n, e the reciprocal's relative
 * error on [1, 2) ({@link RECIPROCAL_RELATIVE_ERROR}).
 *
 * Guards and suppression: [r_i c_j >= minExpected * n] for every cell (exact integers), ANDed to
 * one bit that the recipient opens before any output (a 0 fails the job naming the node); with
 * `minCount` = k, the statistic is released only when every input has at least k rows in every
 * cell and 0 or at least k rows outside the cells overall and in each level (contingency.ts), else
 * as -1 (null); the guard then covers released statistics only. Released: [statistic, 0, flag - 1]
 * (the last is -1 when suppressed, so that the recipient nulls the p-value too).
 *
 * Rounds (rep3): one-hot 9, counts 1, products 1, one comparison 9 (exponents, guard and release
 * conditions together), AND 1-9, products 1, truncations 1-2, reciprocal 26, 2 + 1 + 2 + 1, and
 * with minCount 1 more: about 60-70 in all, whatever n.
 */
import { RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../../protocols/protocol.js';
import { categoricalParams } from '../program/ops-categorical.js';
import type { ExecContext } from './context.js';
import {
  categoricalCounts,
  contingency,
  remainders,
  remaindersOk,
  remainderTests,
  type CategoricalCounts,
} from './contingency.js';
import { allOf, plus } from './histogram.js';
import type { OpImpl } from './op-impl.js';

/** Fractional bits the mantissas' reciprocals are computed with (whatever the job's). */
export const RECIPROCAL_BITS = 16;

/**
 * Relative error of the engine's reciprocal of a mantissa in [1, 2), held at 16 bits: at most
 * 8 units of 2^-16 on a value >= 1/2 (src/protocols/ops/nonlinear/reciprocal.ts), plus the
 * mantissa's own rounding to 16 bits.
 */
export const RECIPROCAL_RELATIVE_ERROR = 2 ** -12 + 2 ** -16;

/** The public fixed-point plan of a chi-square over `rows` table rows and an R x C table. */
export interface ChiSquarePlan {
  /** K: 2^K > rows, so every margin m < 2^K. */
  bits: number;
  /** F = K - 1: fractional bits of the mantissas m / 2^k. */
  mantissa: number;
  /** Fractional bits of u = D / r and v = D / c. */
  q: number;
  /** Fractional bits of x = u / n. */
  g: number;
}

/** The plan for `rows` rows and `r` x `c` levels (see the file comment). */
export function chiSquarePlan(rows: number, r: number, c: number): ChiSquarePlan {
  const bits = Math.max(1, Math.max(0, Math.floor(rows)).toString(2).length);
  const mantissa = bits - 1;
  const l = Math.ceil(Math.log2(Math.max(1, Math.min(r, c) - 1))); // chi2 <= n (min(R, C) - 1)
  const q = Math.min(45 - bits - RECIPROCAL_BITS, Math.floor((61 - 2 * bits - l) / 2));
  const g = Math.min(q + mantissa + RECIPROCAL_BITS, 61 - bits - l - q);
  return { bits, mantissa, q, g };
}

/** A public integer tensor (two's complement words). */
function words(values: readonly bigint[], shape: number[]): RingTensor {
  return RingTensor.fromBigInts(
    values.map((v) => BigInt.asUintN(64, v)),
    shape,
  );
}

/** x held with `from` fractional bits, as `to` bits (an exact shift up, or a truncation). */
async function rescale(p: Protocol, x: Share, from: number, to: number): Promise<Share> {
  if (from === to) return x;
  return from < to ? p.shlA(x, to - from) : p.truncate(x, from - to);
}

/** v [len] broadcast along the rows (`rows`) or the columns of an [R, C] table, flattened. */
function spread(p: Protocol, v: Share, r: number, c: number, rows: boolean): Share {
  const grid = rows ? p.reshape(v, [r, 1]) : p.reshape(v, [1, c]);
  return p.reshape(p.broadcastTo(grid, [r, c]), [r * c]);
}

/** The margins and residuals of counts O [R, C]: D = n O - r c, r c, n (broadcast), [r, c, n]. */
async function residuals(p: Protocol, o: Share): Promise<{ d: Share; rc: Share; n: Share; m: Share }> {
  const [r, c] = o.shape as [number, number];
  const rows = p.sum(o, 1);
  const cols = p.sum(o, 0);
  const n = p.sum(rows, 0, true); // [1]
  const flat = (x: Share): Share => p.reshape(x, [r * c]);
  const nB = p.reshape(p.broadcastTo(p.reshape(n, [1, 1]), [r, c]), [r * c]);
  const prod = await p.mul(
    p.concat([spread(p, rows, r, c, true), nB], 0),
    p.concat([spread(p, cols, r, c, false), flat(o)], 0),
  );
  const rc = p.slice(prod, 0, 0, r * c);
  return { d: p.sub(p.slice(prod, 0, r * c, 2 * r * c), rc), rc, n: nB, m: p.concat([rows, cols, n], 0) };
}

/** Values whose signs the release conditions need (contingency.ts), with minCount k >= 1. */
function conditionTests(p: Protocol, cc: CategoricalCounts, k: number): Share {
  const cells = p.reshape(plus(p, cc.bySource, -k), [cc.bySource.shape[0]! * cc.bySource.shape[1]!]);
  return k === 1 ? cells : p.concat([cells, remainderTests(p, remainders(p, cc, cc.bySource), k)], 0);
}

/** 0/1 conditions from the bits of {@link conditionTests}: all must be 1 for a release. */
function conditions(p: Protocol, bits: Share, cells: number, k: number): Share {
  if (k === 1) return bits;
  return p.concat([p.slice(bits, 0, 0, cells), remaindersOk(p, p.slice(bits, 0, cells, bits.shape[0]!))], 0);
}

/** The AND of each of several 0/1 vectors, as [count]: one {@link allOf} over padded columns. */
async function allOfEach(ctx: ExecContext, vectors: readonly Share[]): Promise<Share> {
  const { p } = ctx;
  const len = Math.max(...vectors.map((v) => v.shape[0]!));
  const cols = vectors.map((v) => {
    const m = v.shape[0]!;
    const col = p.reshape(v, [m, 1]);
    return m === len
      ? col
      : p.concat(
          [
            col,
            p.fromPublic(
              words(
                [...Array(len - m)].map(() => 1n),
                [len - m, 1],
              ),
              'A',
            ),
          ],
          0,
        );
  });
  return allOf(ctx, cols.length === 1 ? cols[0]! : p.concat(cols, 1));
}

/** w = 2^(F - k) per margin from its bits [m >= 2^t], t = 1..K-1 ([M, K-1]): 2^F - sum bits 2^(F-t). */
function weights(p: Protocol, bits: Share | undefined, m: number, f: number): Share {
  const top = 1n << BigInt(f);
  if (bits === undefined)
    return p.fromPublic(
      words(
        [...Array(m)].map(() => top),
        [m],
      ),
      'A',
    );
  const t = bits.shape[1]!;
  const w = words(
    Array.from({ length: t }, (_, i) => 1n << BigInt(f - i - 1)),
    [1, t],
  ).broadcastTo([m, t]);
  return p.addPublic(p.neg(p.sum(p.mulPublic(bits, w), 1)), top);
}

/**
 * sum_ij D^2 / (n r c) at g + q fractional bits ([1]), from D, the margins m = [r, c, n] and
 * their weights w = 2^(F - k) (see the file comment, steps 2-5).
 */
async function statistic(
  ctx: ExecContext,
  d: Share,
  m: Share,
  w: Share,
  [r, c]: [number, number],
  plan: ChiSquarePlan,
): Promise<Share> {
  const { p } = ctx;
  const cells = r * c;
  const big = m.shape[0]!;
  const prod = await p.mul(
    p.concat([m, d, d], 0),
    p.concat(
      [w, spread(p, p.slice(w, 0, 0, r), r, c, true), spread(p, p.slice(w, 0, r, r + c), r, c, false)],
      0,
    ),
  );
  const mantissas = await rescale(p, p.slice(prod, 0, 0, big), plan.mantissa, RECIPROCAL_BITS);
  const shifted = await rescale(p, p.slice(prod, 0, big, big + 2 * cells), plan.mantissa, plan.q);
  const inv = await ctx.need('reciprocal', 'chiSquare')(p, mantissas, RECIPROCAL_BITS); // [M]
  const invSpread = p.concat(
    [spread(p, p.slice(inv, 0, 0, r), r, c, true), spread(p, p.slice(inv, 0, r, r + c), r, c, false)],
    0,
  );
  const uv = await p.mulTrunc(shifted, invSpread, RECIPROCAL_BITS); // [u, v] at q bits
  const nth = (x: Share): Share => p.reshape(p.broadcastTo(p.slice(x, 0, big - 1, big), [cells]), [cells]);
  const un = await p.mul(p.slice(uv, 0, 0, cells), nth(w)); // u / 2^kappa at q + F bits
  const drop = plan.q + plan.mantissa + RECIPROCAL_BITS - plan.g;
  const x = drop > 0 ? await p.mulTrunc(un, nth(inv), drop) : await p.mul(un, nth(inv)); // g bits
  return p.sum(await p.mul(x, p.slice(uv, 0, cells, 2 * cells)), 0, true);
}

/** The values whose signs give the exponent bits [m >= 2^t], t = 1..steps, of margins m [M]. */
function exponentTests(p: Protocol, m: Share, steps: number): Share {
  const big = m.shape[0]!;
  const powers = words(
    Array.from({ length: steps }, (_, i) => -(1n << BigInt(i + 1))),
    [1, steps],
  );
  const grid = p.broadcastTo(p.reshape(m, [big, 1]), [big, steps]);
  return p.reshape(p.addPublic(grid, powers.broadcastTo([big, steps])), [big * steps]);
}

/**
 * Released words with minCount: [flag (s + 1) - 1, 0, flag - 1] in fixed point (s the statistic's
 * word), and the guard 1 - flag + flag * ok (a suppressed test opens no guard failure).
 */
async function release(
  ctx: ExecContext,
  s: Share,
  ok: Share,
  flag: Share,
): Promise<{ out: Share; guard: Share }> {
  const { p } = ctx;
  const one = 2 ** ctx.f;
  const prod = await p.mul(p.concat([flag, flag], 0), p.concat([ok, plus(p, s, one)], 0));
  const out = p.concat(
    [
      plus(p, p.slice(prod, 0, 1, 2), -one),
      p.fromPublic(RingTensor.zeros([1]), 'A'),
      plus(p, p.shlA(flag, ctx.f), -one),
    ],
    0,
  );
  return { out, guard: plus(p, p.sub(p.slice(prod, 0, 0, 1), flag), 1) };
}

/** The chiSquare op (see the file comment): [statistic, 0, flag - 1] as released words. */
export const chiSquare: OpImpl = async ({ ctx, args, argTypes, params, node }) => {
  const { p } = ctx;
  const t = argTypes[0]!;
  const cp = categoricalParams(params, t, true);
  const [r, c] = [cp.rowLevels.length, cp.columnLevels.length];
  const plan = chiSquarePlan(t.shape[0]!, r, c);
  const cc = await categoricalCounts(ctx, args[0]!, t, cp);
  const { d, rc, n, m } = await residuals(p, cc.counts);
  const [big, steps] = [m.shape[0]!, plan.bits - 1];
  const tests = [
    ...(steps > 0 ? [exponentTests(p, m, steps)] : []),
    p.sub(rc, p.mulPublic(n, BigInt(cp.minExpected))), // [r c >= minExpected n]
    ...(cp.minCount > 0 ? [conditionTests(p, cc, cp.minCount)] : []),
  ];
  const bits = await ctx.geZero(p.concat(tests, 0)); // one comparison for all
  const at = big * steps;
  const expBits = steps > 0 ? p.reshape(p.slice(bits, 0, 0, at), [big, steps]) : undefined;
  const guardBits = p.slice(bits, 0, at, at + r * c);
  const w = weights(p, expBits, big, plan.mantissa);
  const what = `chiSquare: an expected count is below minExpected (${cp.minExpected}), so the chi-square test would not be valid`;
  if (cp.minCount === 0) {
    ctx.guard(node.id, what, await allOfEach(ctx, [guardBits]));
    const s = await statistic(ctx, d, m, w, [r, c], plan);
    return p.concat([s, p.fromPublic(RingTensor.zeros([2]), 'A')], 0);
  }
  const cells = cc.bySource.shape[0]! * r * c;
  const conds = conditions(p, p.slice(bits, 0, at + r * c, bits.shape[0]!), cells, cp.minCount);
  const both = await allOfEach(ctx, [guardBits, conds]); // [ok, flag]
  const s = await statistic(ctx, d, m, w, [r, c], plan);
  const { out, guard } = await release(ctx, s, p.slice(both, 0, 0, 1), p.slice(both, 0, 1, 2));
  ctx.guard(node.id, what, guard);
  return out;
};

/** The implementations of the categorical ops by name (contingency.ts and this file). */
export const CATEGORICAL_IMPLS: Record<string, OpImpl> = { contingency, chiSquare };
