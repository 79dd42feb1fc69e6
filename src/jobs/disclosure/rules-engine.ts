/**
 * Disclosure rules of the engine ops: elementwise arithmetic with broadcasting, public scaling,
 * matrix products, transposes, constants, the nonlinear functions and reductions along an axis.
 * docs/JOBS.md ("What a released value discloses") gives the reasoning of each, row by row; the
 * table that maps op names to these rules is rules.ts.
 *
 * The invariant kept: a `rows` dependence is an affine map of each row, the same for every row,
 * plus terms that do not single out a row; so summing along the rows gives a symmetric aggregate.
 * Anything that could weight, filter or select rows (a factor that varies along them, a nonlinear
 * function, a product of two row-aligned values, a contraction over the rows) makes it row-level.
 */
import { type Dim } from '../program/value-type.js';
import { factorBound, hasRowData, perSource, rowLevel, type DisclosureRule, type RuleCall } from './rule.js';
import {
  mulBound,
  publicDisclosure,
  type Dependence,
  type Disclosure,
  type RowsDependence,
} from './types.js';

/** Where axis `axis` of an operand of rank `rank` lands in a broadcast result of rank `outRank`. */
function outAxis(axis: number, rank: number, outRank: number): number {
  return axis + outRank - rank;
}

/** Whether operand `d` (shape `shape`) is the same in every slice along output axis `axis`. */
function constantAlong(d: Disclosure, shape: readonly Dim[], axis: number, outRank: number): boolean {
  const own = axis - (outRank - shape.length);
  if (own < 0 || shape[own] === 1) return true;
  return d.deps.size === 0 && d.constAxes.has(own);
}

function shifted(dep: RowsDependence, rank: number, outRank: number): RowsDependence {
  return { ...dep, axis: outAxis(dep.axis, rank, outRank) };
}

function publicOf(call: RuleCall, bound: (bounds: number[]) => number): Disclosure | undefined {
  if (!call.args.every((a) => a.deps.size === 0)) return undefined;
  const outRank = call.type.shape.length;
  const axes = [...Array(outRank).keys()].filter((ax) =>
    call.args.every((a, i) => constantAlong(a, call.argTypes[i]!.shape, ax, outRank)),
  );
  return publicDisclosure(bound(call.args.map((a) => a.bound)), axes);
}

/** add, sub: sums separate, so a row-aligned value stays row-aligned whatever is added to it. */
export const additiveRule: DisclosureRule = (call) => {
  const pub = publicOf(call, ([a, b]) => a! + b!);
  if (pub) return pub;
  const outRank = call.type.shape.length;
  return perSource(call.args, (s) => {
    const [dx, dy] = call.args.map((a) => a.deps.get(s));
    const [rx, ry] = call.argTypes.map((t) => t.shape.length) as [number, number];
    const x = dx?.kind === 'rows' ? shifted(dx, rx, outRank) : dx;
    const y = dy?.kind === 'rows' ? shifted(dy, ry, outRank) : dy;
    if (x?.kind === 'rows' && y?.kind === 'rows') {
      if (x.axis !== y.axis) return rowLevel(call, `the rows of ${s} meet along two different axes`);
      return { ...x, own: x.own + y.own, all: x.all + y.all };
    }
    const rows = x?.kind === 'rows' ? x : y?.kind === 'rows' ? y : undefined;
    const other = rows === x ? y : x;
    const sens = other?.kind === 'aggregate' ? other.sensitivity : 0;
    if (rows) return { ...rows, own: rows.own + sens, all: rows.all + sens };
    const aggs = [x, y].filter((d) => d?.kind === 'aggregate');
    return aggregateOf(
      aggs,
      aggs.reduce((t, d) => t + d.sensitivity, 0),
    );
  });
};

function aggregateOf(
  aggs: readonly Extract<Dependence, { kind: 'aggregate' }>[],
  sensitivity: number,
): Dependence {
  const rows = aggs.reduce<Dim>(
    (m, d) => (m === undefined || d.rows === undefined ? undefined : Math.min(m, d.rows)),
    Infinity,
  );
  return { kind: 'aggregate', rows, sensitivity };
}

/**
 * mul, div: a row-aligned operand stays row-aligned only when the other factor is the same for
 * every row and holds no row data (a public constant or an aggregate); a divisor that depends on
 * single rows is row-level.
 */
function multiplicative(division: boolean): DisclosureRule {
  return (call) => {
    const pub = publicOf(call, ([a, b]) => (division ? Infinity : mulBound(a!, b!)));
    if (pub) return pub;
    const outRank = call.type.shape.length;
    const ranks = call.argTypes.map((t) => t.shape.length);
    return perSource(call.args, (s) => {
      const deps = call.args.map((a) => a.deps.get(s));
      if (division && deps[1] !== undefined && deps[1].kind !== 'aggregate')
        return rowLevel(call, `it divides by a function of single rows of ${s}`);
      const i = deps.findIndex((d) => d?.kind === 'rows');
      if (i >= 0) {
        const dep = shifted(deps[i] as RowsDependence, ranks[i]!, outRank);
        const other = call.args[1 - i]!;
        if (hasRowData(other))
          return rowLevel(call, `it multiplies rows of ${s} by data that varies from row to row`);
        if (!constantAlong(other, call.argTypes[1 - i]!.shape, dep.axis, outRank))
          return rowLevel(call, `it weights the rows of ${s} by a value that varies along them`);
        const f = division ? Infinity : factorBound(other);
        return { ...dep, own: mulBound(dep.own, f), all: mulBound(dep.all, f) };
      }
      const aggs = deps.filter((d) => d?.kind === 'aggregate');
      const other = call.args[deps.findIndex((d) => d === undefined)];
      const f = aggs.length === 1 && other !== undefined && !division ? factorBound(other) : Infinity;
      return aggregateOf(aggs, mulBound(aggs[0]!.sensitivity, f));
    });
  };
}

/** mul. */
export const mulRule = multiplicative(false);
/** div. */
export const divRule = multiplicative(true);

/** neg and scale: a public factor |f| scales every bound. */
export function linearUnaryRule(factor: (call: RuleCall) => number): DisclosureRule {
  return (call) => {
    const f = Math.abs(factor(call));
    const a = call.args[0]!;
    if (a.deps.size === 0) return publicDisclosure(mulBound(a.bound, f), a.constAxes);
    return perSource(call.args, (s) => {
      const d = a.deps.get(s)!;
      if (d.kind === 'rows') return { ...d, own: mulBound(d.own, f), all: mulBound(d.all, f) };
      return d.kind === 'aggregate' ? { ...d, sensitivity: mulBound(d.sensitivity, f) } : d;
    });
  };
}

/**
 * A nonlinear function: of an aggregate it is post-processing (a Lipschitz constant carries the
 * bound); of single rows it can filter or amplify them (relu(x - t) keeps only rows above t, exp(k x)
 * lets the largest row dominate a sum), so it is row-level.
 */
export function nonlinearRule(lipschitz: number, publicBound: (b: number) => number): DisclosureRule {
  return (call) => {
    const a = call.args[0]!;
    if (a.deps.size === 0) return publicDisclosure(publicBound(a.bound), a.constAxes);
    return perSource(call.args, (s) => {
      const d = a.deps.get(s)!;
      if (d.kind === 'aggregate') return { ...d, sensitivity: mulBound(d.sensitivity, lipschitz) };
      return rowLevel(call, `a nonlinear function of single rows of ${s} can filter or amplify them`);
    });
  };
}

/** transpose: the row axis moves with the data. */
export const transposeRule: DisclosureRule = (call) => {
  const a = call.args[0]!;
  const swap = (ax: number): number => 1 - ax;
  if (a.deps.size === 0) return publicDisclosure(a.bound, [...a.constAxes].map(swap));
  return perSource(call.args, (s) => {
    const d = a.deps.get(s)!;
    return d.kind === 'rows' ? { ...d, axis: swap(d.axis) } : d;
  });
};

/**
 * matmul: a contraction over a source's rows is a weighted sum of its rows (row-level); a
 * row-aligned operand multiplied by a matrix without row data stays row-aligned.
 */
export const matmulRule: DisclosureRule = (call) => {
  const [a, b] = call.args as [Disclosure, Disclosure];
  const inner = call.argTypes[0]!.shape[1];
  const norm = (d: Disclosure): number => mulBound(factorBound(d), inner ?? Infinity);
  if (a.deps.size === 0 && b.deps.size === 0) return publicDisclosure(mulBound(a.bound, norm(b)));
  return perSource(call.args, (s) => {
    const [da, db] = [a.deps.get(s), b.deps.get(s)];
    for (const [d, contracted, other] of [
      [da, 1, b],
      [db, 0, a],
    ] as const) {
      if (d?.kind !== 'rows') continue;
      if (d.axis === contracted) return rowLevel(call, `it sums the rows of ${s} with weights`);
      if (hasRowData(other))
        return rowLevel(call, `it multiplies rows of ${s} by data that varies from row to row`);
      const f = norm(other);
      return { ...d, own: mulBound(d.own, f), all: mulBound(d.all, f) };
    }
    const aggs = [da, db].filter((d) => d?.kind === 'aggregate');
    const f = aggs.length === 1 ? norm(da === undefined ? a : b) : Infinity;
    return aggregateOf(aggs, mulBound(aggs[0]!.sensitivity, f));
  });
};

/** constant: public; its bound and the axes along which its values repeat come from its values. */
export const constantRule: DisclosureRule = (call) => {
  const values = call.params.values as number[];
  const shape = call.type.shape as number[];
  const bound = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const axes: number[] = [];
  shape.forEach((_, ax) => {
    const stride = shape.slice(ax + 1).reduce((p, d) => p * d, 1);
    const size = shape[ax]!;
    if (values.every((v, i) => Math.floor(i / stride) % size === 0 || v === values[i - stride]))
      axes.push(ax);
  });
  return publicDisclosure(bound, axes);
};

/**
 * sum, mean along an axis (a table's along its rows): along a source's row axis the result is an
 * aggregate of its rows (one row moves it by `own` plus `all` for each other row, over n for a
 * mean); along another axis the value stays row-aligned.
 */
export function reduceRule(mean: boolean): DisclosureRule {
  return (call) => {
    const t = call.argTypes[0]!;
    const axis = t.kind === 'table' ? 0 : typeof call.params.axis === 'number' ? call.params.axis : 0;
    const n = t.shape[axis];
    const times = mean ? 1 : (n ?? Infinity);
    const a = call.args[0]!;
    if (a.deps.size === 0) return publicDisclosure(mulBound(a.bound, times));
    return perSource(call.args, (s) => {
      const d = a.deps.get(s)!;
      if (d.kind === 'aggregate') return { ...d, sensitivity: mulBound(d.sensitivity, times) };
      if (d.kind !== 'rows') return d;
      if (d.axis !== axis) {
        const ax = d.axis > axis ? d.axis - 1 : d.axis;
        return { ...d, axis: ax, own: mulBound(d.own, times), all: mulBound(d.all, times) };
      }
      const total = n === undefined ? Infinity : d.own + mulBound(n - 1, d.all);
      const sensitivity = mean ? (n === undefined ? d.own + d.all : total / n) : total;
      return { kind: 'aggregate', rows: d.rows, sensitivity };
    });
  };
}
