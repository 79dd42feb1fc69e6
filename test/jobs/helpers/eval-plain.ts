/**
 * A float64 evaluator of checked programs, for the disclosure property test: it computes what the
 * MPC ops define (numpy broadcasting, column statistics, histograms with small-cell suppression)
 * with no fixed point, so that a row's change can be measured exactly.
 */
import { histogramColumn } from '../../../src/jobs/program/ops-stats.js';
import { refCorrelation, refCovariance } from '../../../src/jobs/reference.js';
import type { CheckedProgram } from '../../../src/jobs/program/validate.js';
import type { Params } from '../../../src/jobs/program/types.js';
import type { ValueType } from '../../../src/jobs/program/value-type.js';

/** A dense float64 tensor; null marks a suppressed element. */
export interface Plain {
  shape: number[];
  data: (number | null)[];
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const strides = (shape: readonly number[]): number[] => shape.map((_, i) => size(shape.slice(i + 1)));

function rowsOf(x: Plain): number[][] {
  const [n, k] = x.shape as [number, number];
  return Array.from({ length: n }, (_, i) => x.data.slice(i * k, i * k + k) as number[]);
}

function broadcast(a: Plain, b: Plain, f: (x: number, y: number) => number): Plain {
  const n = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...Array(n - s.length).fill(1), ...s] as number[];
  const [sa, sb] = [pad(a.shape), pad(b.shape)];
  const shape = sa.map((d, i) => Math.max(d, sb[i]!));
  const [ta, tb, to] = [strides(sa), strides(sb), strides(shape)];
  const data = Array.from({ length: size(shape) }, (_, flat) => {
    let ia = 0;
    let ib = 0;
    shape.forEach((_, ax) => {
      const c = Math.floor(flat / to[ax]!) % shape[ax]!;
      if (sa[ax] !== 1) ia += c * ta[ax]!;
      if (sb[ax] !== 1) ib += c * tb[ax]!;
    });
    return f(a.data[ia] as number, b.data[ib] as number);
  });
  return { shape, data };
}

function reduce(x: Plain, axis: number, mean: boolean): Plain {
  const shape = x.shape.filter((_, i) => i !== axis);
  const st = strides(x.shape);
  const out = new Array<number>(size(shape)).fill(0);
  const so = strides(shape);
  x.data.forEach((v, flat) => {
    let o = 0;
    let j = 0;
    x.shape.forEach((d, ax) => {
      if (ax === axis) return;
      o += (Math.floor(flat / st[ax]!) % d) * so[j++]!;
    });
    out[o]! += v as number;
  });
  const n = x.shape[axis]!;
  return { shape, data: mean ? out.map((v) => v / n) : out };
}

function histogram(x: Plain, t: ValueType, params: Record<string, unknown>): Plain {
  const cols = t.columns!;
  const column = histogramColumn(params as Params, t);
  const j = cols.indexOf(column);
  const edges = params.edges as number[];
  const k = typeof params.minCount === 'number' ? params.minCount : 0;
  const rows = rowsOf(x);
  const segs = t.segments![j]!;
  const perSource = new Map<string, number[]>();
  let r = 0;
  for (const seg of segs) {
    const c = perSource.get(seg.source) ?? new Array<number>(edges.length - 1).fill(0);
    for (let i = 0; i < seg.rows!; i++, r++) {
      const v = rows[r]![j]!;
      const b = edges.findIndex((e, q) => q < edges.length - 1 && v >= e && v < edges[q + 1]!);
      if (b >= 0) c[b]!++;
    }
    perSource.set(seg.source, c);
  }
  const total = edges.slice(1).map((_, b) => [...perSource.values()].reduce((s, c) => s + c[b]!, 0));
  if (k < 1) return { shape: [total.length], data: total };
  const keep = total.map((_, b) => [...perSource.values()].every((c) => c[b]! >= k));
  const n = new Map<string, number>();
  for (const seg of segs) n.set(seg.source, (n.get(seg.source) ?? 0) + seg.rows!);
  const all = [...perSource.entries()].every(([s, c]) => {
    const out = n.get(s)! - c.reduce((acc, v, b) => acc + (keep[b] ? v : 0), 0);
    return !(out > 0 && out < k);
  });
  return { shape: [total.length], data: total.map((v, b) => (all && keep[b] ? v : null)) };
}

type Impl = (args: Plain[], types: ValueType[], params: Record<string, unknown>) => Plain;
const unary =
  (f: (v: number) => number): Impl =>
  ([a]) => ({ shape: a!.shape, data: a!.data.map((v) => f(v as number)) });
const table = (rows: number[][], k: number): Plain => ({ shape: [rows.length, k], data: rows.flat() });
const ddof = (p: Record<string, unknown>): number => (typeof p.ddof === 'number' ? p.ddof : 1);

const IMPLS: Record<string, Impl> = {
  select: ([a], [t], p) => {
    const idx = (p.columns as string[]).map((c) => t!.columns!.indexOf(c));
    return table(
      rowsOf(a!).map((r) => idx.map((i) => r[i]!)),
      idx.length,
    );
  },
  union: (args) => table(args.flatMap(rowsOf), args[0]!.shape[1]!),
  join: (args) => {
    const parts = args.map(rowsOf);
    return table(
      parts[0]!.map((_, i) => parts.flatMap((p) => p[i]!)),
      args.reduce((s, a) => s + a.shape[1]!, 0),
    );
  },
  count: ([a]) => ({ shape: [], data: [a!.shape[0]!] }),
  sum: ([a], [t], p) => reduce(a!, t!.kind === 'table' ? 0 : ((p.axis as number) ?? 0), false),
  mean: ([a], [t], p) => reduce(a!, t!.kind === 'table' ? 0 : ((p.axis as number) ?? 0), true),
  variance: ([a], _t, p) => {
    const c = refCovariance(rowsOf(a!), ddof(p));
    return { shape: [c.length], data: c.map((r, i) => r[i]!) };
  },
  std: ([a], _t, p) => {
    const c = refCovariance(rowsOf(a!), ddof(p));
    return { shape: [c.length], data: c.map((r, i) => Math.sqrt(r[i]!)) };
  },
  covariance: ([a], _t, p) => {
    const c = refCovariance(rowsOf(a!), ddof(p));
    return { shape: [c.length, c.length], data: c.flat() };
  },
  correlation: ([a]) => {
    const c = refCorrelation(rowsOf(a!));
    return { shape: [c.length, c.length], data: c.flat() };
  },
  histogram: ([a], [t], p) => histogram(a!, t!, p),
  add: ([a, b]) => broadcast(a!, b!, (x, y) => x + y),
  sub: ([a, b]) => broadcast(a!, b!, (x, y) => x - y),
  mul: ([a, b]) => broadcast(a!, b!, (x, y) => x * y),
  div: ([a, b]) => broadcast(a!, b!, (x, y) => x / y),
  neg: unary((v) => -v),
  scale: (args, _t, p) => unary((v) => v * (p.factor as number))(args, _t, p),
  relu: unary((v) => Math.max(v, 0)),
  sigmoid: unary((v) => 1 / (1 + Math.exp(-v))),
  exp: unary(Math.exp),
  reciprocal: unary((v) => 1 / v),
  sqrt: unary(Math.sqrt),
  rsqrt: unary((v) => 1 / Math.sqrt(v)),
  transpose: ([a]) => {
    const [m, n] = a!.shape as [number, number];
    return {
      shape: [n, m],
      data: Array.from({ length: m * n }, (_, f) => a!.data[(f % m) * n + Math.floor(f / m)]!),
    };
  },
  matmul: ([a, b]) => {
    const [m, k] = a!.shape as [number, number];
    const n = b!.shape[1]!;
    const data = Array.from({ length: m * n }, (_, f) => {
      const [i, j] = [Math.floor(f / n), f % n];
      let s = 0;
      for (let q = 0; q < k; q++) s += (a!.data[i * k + q] as number) * (b!.data[q * n + j] as number);
      return s;
    });
    return { shape: [m, n], data };
  },
  constant: (_a, _t, p) => ({
    shape: (p.shape as number[] | undefined) ?? [(p.values as number[]).length],
    data: [...(p.values as number[])],
  }),
};

/** Evaluates every output of `checked` on `inputs` (row-major rows by input name). */
export function evalPlain(checked: CheckedProgram, inputs: Record<string, number[][]>): Map<string, Plain> {
  const values = new Map<string, Plain>();
  for (const inp of checked.program.inputs)
    values.set(inp.name, table(inputs[inp.name]!, inp.columns.length));
  for (const node of checked.order) {
    const impl = IMPLS[node.op];
    if (impl === undefined) throw new Error(`evalPlain: no ${node.op}`);
    values.set(
      node.id,
      impl(
        node.args.map((a) => values.get(a)!),
        node.args.map((a) => checked.types.get(a)!),
        node.params ?? {},
      ),
    );
  }
  return new Map(checked.outputs.map((o) => [o.name, values.get(o.node)!]));
}
