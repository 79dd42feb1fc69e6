/**
 * Statistical tests as job ops. Each releases the aggregates its statistic needs, and the
 * recipient finishes the test from them (src/jobs/executor/finalize.ts), so the released values
 * are exactly what a policy allows by the op's name.
 */
import { defineOp, type OpDef } from './op-def.js';
import { stringParam } from './params.js';
import {
  columnExps,
  OpTypeError,
  requireColumns,
  requireTable,
  tensorType,
  withUnits,
  type ValueType,
} from './value-type.js';

/** Labels of {@link ttestOp}'s result. */
export const TTEST_LABELS = ['mean_a', 'var_a', 'mean_b', 'var_b', 't', 'df', 'p'];

/**
 * `ttest(a, b, {column})`: Welch's two-sample t-test of `column` between tables a and b. Released:
 * each table's mean and sample variance of the column; the recipient adds t = (mean_a - mean_b) /
 * sqrt(var_a/n_a + var_b/n_b), the Welch-Satterthwaite degrees of freedom and the two-sided p-value.
 */
export const ttestOp: OpDef = defineOp({
  name: 'ttest',
  summary:
    "Welch's two-sample t-test of a column between two tables: means, variances, t, df, p (param: column)",
  category: 'statistic',
  arity: { min: 2, max: 2 },
  params: ['column'],
  finishedByRecipient: true,
  infer(args, params) {
    const column = stringParam(params, 'column', true);
    const exps = args.map((t: ValueType, i) => {
      const cols = requireTable(t, `argument ${i + 1}`);
      requireColumns(cols, [column]);
      const rows = t.shape[0];
      if (rows !== undefined && rows < 2)
        throw new OpTypeError(`argument ${i + 1} needs at least 2 rows, has ${rows}`);
      return columnExps(t)[cols.indexOf(column)]!;
    });
    const e = exps[0]!; // one column name has one scale in a job
    return withUnits(
      tensorType([TTEST_LABELS.length], [...new Set(args.flatMap((a) => a.sources))].sort(), [TTEST_LABELS]),
      [[e, 2 * e, e, 2 * e, 0, 0, 0]],
    );
  },
});

/** The test ops. */
export const TEST_OPS: readonly OpDef[] = [ttestOp];
