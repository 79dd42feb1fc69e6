/**
 * Running `contingency` and `chiSquare` cases on simulated rep3 and additive parties and checking
 * them against the plaintext references (contingency-reference.ts); used by contingency.test.ts.
 */
import * as assert from 'uvu/assert';
import type { JobProtocol } from '../../../src/jobs/job/types.js';
import { ProgramBuilder } from '../../../src/jobs/program/builder.js';
import type { Params, Program } from '../../../src/jobs/program/types.js';
import {
  chiSquareBound,
  pearson,
  referenceTable,
  tailByIntegral,
  type TableSpec,
} from './contingency-reference.js';
import { runSimulated } from './run-program.js';

/** The columns of every test table: two code columns and a filler. */
export const COLS = ['sex', 'smoker', 'w'];
/** The protocols every case runs on. */
export const PROTOCOLS: JobProtocol[] = ['rep3', 'additive'];
/** Params of a 2 x 3 table of sex by smoker. */
export const BASE = { rows: 'sex', rowLevels: [0, 1], columns: 'smoker', columnLevels: [0, 1, 2] };

/** Rows [sex, smoker, w] from code pairs (w: filler with decimals). */
export function table(pairs: readonly (readonly [number, number])[]): number[][] {
  return pairs.map(([a, b], i) => [a, b, (i % 7) + 0.37]);
}

/** `count` copies of the pair (a, b). */
export function rep(count: number, a: number, b: number): [number, number][] {
  return Array.from({ length: count }, () => [a, b]);
}

/** A program: the union of the inputs in `union` order (an input may repeat), one node per case. */
export function program(union: number[], cases: Record<string, { op: string; params: Params }>): Program {
  const b = new ProgramBuilder();
  const ids = [...new Set(union)].sort();
  const refs = new Map(ids.map((i) => [i, b.input(`h${i + 1}`, COLS)]));
  const all = union.length === 1 ? refs.get(union[0]!)! : b.union(...union.map((i) => refs.get(i)!));
  for (const [name, { op, params }] of Object.entries(cases)) b.output(name, b.node(op, [all], params));
  return b.build();
}

/** The reference's view of params over COLS. */
export function specOf(params: Params): TableSpec {
  return {
    rowAt: COLS.indexOf(params.rows as string),
    colAt: COLS.indexOf(params.columns as string),
    rowLevels: params.rowLevels as number[],
    columnLevels: params.columnLevels as number[],
  };
}

/** Runs on both protocols; checks that only the recipient gets outputs; returns them per protocol. */
export async function run(
  tables: number[][][],
  union: number[],
  cases: Record<string, { op: string; params: Params }>,
  mags = [4, 4, 3],
) {
  const magnitudes = Object.fromEntries(tables.map((_, i) => [`h${i + 1}`, mags]));
  const outs = [];
  for (const protocol of PROTOCOLS) {
    const { out, results, recipient } = await runSimulated(program(union, cases), {
      tables,
      protocol,
      magnitudes,
    });
    results.forEach((r, i) => {
      if (i !== recipient) assert.is(r.outputs, undefined, `${protocol}: party ${i} must get nothing`);
    });
    outs.push({ protocol, out });
  }
  return outs;
}

/** Checks contingency cases against the reference (and optional hand-written expectations). */
export async function checkTables(
  tables: number[][][],
  union: number[],
  cases: Record<string, Params>,
  expected: Record<string, (number | null)[]> = {},
  mags?: number[],
): Promise<void> {
  const named = Object.fromEntries(
    Object.entries(cases).map(([k, params]) => [k, { op: 'contingency', params }]),
  );
  for (const { protocol, out } of await run(tables, union, named, mags)) {
    for (const [name, params] of Object.entries(cases)) {
      const ref = referenceTable(tables, union, specOf(params), (params.minCount as number | undefined) ?? 0);
      if (expected[name] !== undefined) assert.equal(ref, expected[name], `${name}: the reference itself`);
      assert.equal(out[name]!.values, ref, `${protocol} ${name}`);
      const spec = specOf(params);
      assert.equal(out[name]!.shape, [spec.rowLevels.length, spec.columnLevels.length]);
    }
  }
}

/** Checks chiSquare cases: statistic within the stated bound, df, p against the integral. */
export async function checkTests(
  tables: number[][][],
  union: number[],
  cases: Record<string, Params>,
  mags?: number[],
) {
  const named = Object.fromEntries(
    Object.entries(cases).map(([k, params]) => [k, { op: 'chiSquare', params }]),
  );
  const worst = { ratio: 0, relative: 0 };
  for (const { protocol, out } of await run(tables, union, named, mags)) {
    for (const [name, params] of Object.entries(cases)) {
      const spec = specOf(params);
      const [r, c] = [spec.rowLevels.length, spec.columnLevels.length];
      const o = referenceTable(tables, union, spec, 0) as number[];
      const rows = union.reduce((t, i) => t + tables[i]!.length, 0);
      const { chi2 } = pearson(o, r, c);
      const bound = chiSquareBound(o, r, c, rows);
      const [stat, df, p] = out[name]!.values as number[];
      assert.ok(Math.abs(stat! - chi2) <= bound, `${protocol} ${name}: ${stat} vs ${chi2} (bound ${bound})`);
      worst.ratio = Math.max(worst.ratio, Math.abs(stat! - chi2) / bound);
      worst.relative = Math.max(worst.relative, Math.abs(stat! - chi2) / Math.max(chi2, 1e-9));
      assert.is(df, (r - 1) * (c - 1));
      assert.ok(Math.abs(p! - tailByIntegral(chi2, df!)) < 1e-3, `${protocol} ${name}: p ${p}`);
      assert.equal(out[name]!.labels, [['statistic', 'df', 'p']]);
    }
  }
  return worst;
}
