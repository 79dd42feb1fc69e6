/**
 * Relational ops on tables: column selection, row-wise union (horizontal partitioning: datasets
 * with the same columns, rows appended) and column-wise join (vertical partitioning: datasets
 * whose rows are aligned, columns appended). They only rearrange shares (no communication).
 */
import { defineOp, type OpDef } from './op-def.js';
import { stringListParam } from './params.js';
import { PROGRAM_LIMITS } from './types.js';
import {
  columnExps,
  OpTypeError,
  requireColumns,
  requireTable,
  tableType,
  type Dim,
  type RowSegment,
} from './value-type.js';

/** `select(t, {columns})`: the named columns of a table, in the given order. */
export const selectOp = defineOp({
  name: 'select',
  summary: 'the named columns of a table (params: columns)',
  category: 'relational',
  arity: { min: 1, max: 1 },
  params: ['columns'],
  infer([t], params) {
    const have = requireTable(t!);
    const columns = stringListParam(params, 'columns');
    requireColumns(have, columns);
    const exps = columnExps(t!);
    return tableType(
      columns,
      columns.map((c) => t!.segments![have.indexOf(c)]!),
      columns.map((c) => exps[have.indexOf(c)]!),
    );
  },
});

/** `union(t1, t2, ...)`: rows of tables with the same columns, appended in argument order. */
export const unionOp = defineOp({
  name: 'union',
  summary: 'rows of tables with the same columns, appended (horizontal partitioning)',
  category: 'relational',
  arity: { min: 2, max: PROGRAM_LIMITS.args },
  params: [],
  infer(args) {
    const first = requireTable(args[0]!, 'argument 1');
    const segments: RowSegment[][] = first.map(() => []);
    args.forEach((t, i) => {
      const cols = requireTable(t, `argument ${i + 1}`);
      if (cols.length !== first.length || cols.some((c, j) => c !== first[j])) {
        throw new OpTypeError(
          `argument ${i + 1} has columns (${cols.join(', ')}) but argument 1 has (${first.join(', ')}): union needs the same columns in the same order`,
        );
      }
      t.segments!.forEach((col, j) => segments[j]!.push(...col));
    });
    // every input holds a column name at the job's one exponent for it, so the first's are all's
    return tableType(first, segments, columnExps(args[0]!));
  },
});

/** `join(t1, t2, ...)`: columns of tables with aligned rows, appended in argument order. */
export const joinOp = defineOp({
  name: 'join',
  summary: 'columns of tables with aligned rows, appended (vertical partitioning)',
  category: 'relational',
  arity: { min: 2, max: PROGRAM_LIMITS.args },
  params: [],
  infer(args) {
    const columns: string[] = [];
    const segments: RowSegment[][] = [];
    const exps: number[] = [];
    let rows: Dim = undefined;
    args.forEach((t, i) => {
      const cols = requireTable(t, `argument ${i + 1}`);
      for (const c of cols) {
        if (columns.includes(c)) {
          throw new OpTypeError(
            `column "${c}" appears in more than one argument: rename it with select first`,
          );
        }
        columns.push(c);
      }
      segments.push(...t.segments!);
      exps.push(...columnExps(t));
      const r = t.shape[0];
      if (r !== undefined) {
        if (rows !== undefined && r !== rows) {
          throw new OpTypeError(
            `argument ${i + 1} has ${r} rows but an earlier argument has ${rows}: join needs aligned rows`,
          );
        }
        rows = r;
      }
    });
    if (columns.length > PROGRAM_LIMITS.columns)
      throw new OpTypeError(`more than ${PROGRAM_LIMITS.columns} columns`);
    return tableType(columns, segments, exps);
  },
});

/** The relational ops. */
export const RELATIONAL_OPS: readonly OpDef[] = [selectOp, unionOp, joinOp];
