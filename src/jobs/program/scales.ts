/**
 * Column scales of a program: the public exponent each column name is held at (from the owners'
 * published magnitudes) and the checks that every op gets its arguments in a range it handles.
 */
import { ProgramValidationError } from '../errors.js';
import { categoricalProblem } from './ops-categorical.js';
import { groupByScaleProblem } from './ops-groupby.js';
import { quantileProblem } from './ops-quantile.js';
import { EDGE_CLAMP, histogramColumn, scaledEdges } from './ops-stats.js';
import type { Program, ProgramNode } from './types.js';
import { SCALED_OPS, STATISTIC_SCALED_OPS, type ValueType } from './value-type.js';

/** Options of the scale checks (a subset of validateProgram's). */
export interface ScaleOptions {
  /**
   * Magnitude exponent of each input's columns (max |x| <= 2^e, from the owners' published
   * descriptions, in the input's column order); a column some input lacks one for stays natural.
   */
  magnitudes?: Record<string, readonly number[]>;
  /**
   * Refuse statistics on columns without a magnitude (jobs: a result in natural units can be
   * silently wrong on large data); off for programs checked on their own.
   */
  requireScales?: boolean;
  /** Fractional bits of the job (default 16), for the range checks of natural units. */
  fractionalBits?: number;
}

function fail(node: string, problem: string): never {
  throw new ProgramValidationError(node, problem);
}

/**
 * Statistics hold a column of magnitude bound 2^e as x / 2^(e - SCALE_TARGET_BITS), so that every
 * column lies within ±2^6, with 2^-(f+6) of the bound as resolution. The choice trades precision
 * against range: a covariance element's product before truncation stays near var' · 2^32 <= 2^46
 * (var' <= 2^14 for deviations within ±2^7), inside the exact truncation's range (|x| < 2^62).
 */
export const SCALE_TARGET_BITS = 6;

/** The fractional bits statistics are planned for (a job asking other bits is refused for them). */
export const STATISTICS_FRACTIONAL_BITS = 16;

/** The scale exponent of each known column name over the program's inputs (see CheckedProgram.scales). */
export function columnScales(
  program: Program,
  magnitudes: ScaleOptions['magnitudes'],
): Record<string, number> {
  const scales: Record<string, number> = {};
  const unknown = new Set<string>();
  for (const inp of program.inputs) {
    // magnitudes that do not fit the input's columns are none (binding them is checked apart)
    const given = magnitudes?.[inp.name];
    const m = given?.length === inp.columns.length ? given : undefined;
    inp.columns.forEach((c, j) => {
      const e = m?.[j];
      if (e === undefined) unknown.add(c);
      else if (!Number.isInteger(e) || e < -40 || e > 62) fail(inp.name, `column "${c}": invalid magnitude`);
      else scales[c] = Math.max(scales[c] ?? -Infinity, e - SCALE_TARGET_BITS);
    });
  }
  for (const c of unknown) delete scales[c];
  return scales;
}

/**
 * The largest exponent a statistic's result reaches in its scaled units (its table's columns lie
 * within ±2^SCALE_TARGET_BITS), or undefined when none is bounded (a regression coefficient).
 */
function resultBits(node: ProgramNode, types: ReadonlyMap<string, ValueType>): number | undefined {
  const t = types.get(node.args[0] ?? '');
  const rows = t?.shape[0] ?? Infinity;
  switch (node.op) {
    case 'mean':
    case 'quantile':
      return SCALE_TARGET_BITS;
    case 'sum':
      return SCALE_TARGET_BITS + Math.ceil(Math.log2(Math.max(1, rows)));
    case 'std':
      return SCALE_TARGET_BITS + 1;
    case 'variance':
    case 'covariance':
      return 2 * SCALE_TARGET_BITS + 2;
    default:
      return undefined;
  }
}

/**
 * A histogram's edges must be at least 4 units of its column's resolution 2^(scale - f) apart:
 * closer ones would collapse once held at the column's scale.
 */
function checkEdges(
  node: ProgramNode,
  t: ValueType,
  scales: Readonly<Record<string, number>>,
  f: number,
): void {
  const column = histogramColumn(node.params ?? {}, t);
  const scale = scales[column];
  if (scale === undefined) return;
  const edges = scaledEdges(node.params?.edges as number[], scale); // a unit is 2^-f here
  for (let i = 1; i < edges.length; i++)
    if (edges[i]! - edges[i - 1]! < 4 * 2 ** -f && Math.abs(edges[i]!) < EDGE_CLAMP)
      fail(
        node.id,
        `histogram: edges ${i - 1} and ${i} are closer than 4 units of column "${column}"'s resolution 2^${scale - f}`,
      );
}

/**
 * Checks the scales node by node: a statistic needs every column of its table at a known scale
 * (with `requireScales`); a histogram's edges must be resolvable at its column's scale; an op that
 * takes natural units needs its arguments representable in them.
 */
export function checkScales(
  order: readonly ProgramNode[],
  types: ReadonlyMap<string, ValueType>,
  scales: Readonly<Record<string, number>>,
  options: ScaleOptions,
): void {
  const f = options.fractionalBits ?? 16;
  const room = 62 - f;
  const byId = new Map(order.map((n) => [n.id, n]));
  for (const node of order) {
    if (f !== STATISTICS_FRACTIONAL_BITS && STATISTIC_SCALED_OPS.has(node.op))
      fail(
        node.id,
        `${node.op}: statistics run at ${STATISTICS_FRACTIONAL_BITS} fractional bits (their ranges, guards and cell resolution are planned for it), the job asks ${f}`,
      );
    if (node.op === 'histogram') checkEdges(node, types.get(node.args[0]!)!, scales, f);
    const groupByIssue =
      node.op === 'groupBy' ? groupByScaleProblem(node.params ?? {}, scales, f) : undefined;
    if (groupByIssue !== undefined) fail(node.id, groupByIssue);
    const quantileIssue = quantileProblem(node, types, scales, byId);
    if (quantileIssue !== undefined) fail(node.id, quantileIssue);
    const categoricalIssue = categoricalProblem(node, scales, f, byId);
    if (categoricalIssue !== undefined) fail(node.id, categoricalIssue);
    for (const a of node.args) {
      const t = types.get(a)!;
      if (t.kind === 'table') {
        const missing = t.columns!.find((c) => scales[c] === undefined);
        if (options.requireScales && STATISTIC_SCALED_OPS.has(node.op) && missing !== undefined)
          fail(
            node.id,
            `${node.op}: column "${missing}" has no published magnitude (max |x| <= 2^e), which statistics need to keep it in range; its owner's peer publishes it from peermpc 0.2`,
          );
        if (SCALED_OPS.has(node.op)) continue;
        const big = t.columns!.find((c) => (scales[c] ?? 0) + SCALE_TARGET_BITS >= room);
        if (big !== undefined)
          fail(
            node.id,
            `${node.op}: column "${big}" reaches 2^${scales[big]! + SCALE_TARGET_BITS}, beyond the fixed-point range of the op's natural units (2^${room})`,
          );
      } else if (t.units !== undefined) {
        const top = Math.max(...t.units.map((axis) => Math.max(...axis)));
        const bits = resultBits(byId.get(a)!, types);
        if (bits === undefined || top + bits >= room)
          fail(
            node.id,
            `${node.op}: argument "${a}" ${bits === undefined ? 'has no bound' : `may reach 2^${top + bits}`} in natural units (the fixed-point range is 2^${room}); release it directly instead`,
          );
      }
    }
  }
}
