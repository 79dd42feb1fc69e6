/**
 * The disclosure rules, one per op: a direct transcription of the table "What a released value
 * discloses" in docs/JOBS.md (a test checks that both list the same ops with the same verdicts).
 * An op without a rule here (one a later module registers) is row-level for every source: the
 * analysis only calls something an aggregate when a rule proves it.
 */
import { rowLevel, perSource, type DisclosureRule } from './rule.js';
import {
  additiveRule,
  constantRule,
  divRule,
  linearUnaryRule,
  matmulRule,
  mulRule,
  nonlinearRule,
  reduceRule,
  transposeRule,
} from './rules-engine.js';
import { categoricalRule } from './rules-categorical.js';
import { groupByRule } from './rules-groupby.js';
import {
  correlationRule,
  countRule,
  covarianceRule,
  histogramRule,
  linregRule,
  logitRule,
  quantileRule,
  rowLevelByDesign,
  stdRule,
  tableRule,
  ttestRule,
  varianceRule,
} from './rules-stats.js';

/** One row of the table: the rule and the one-line verdict docs/JOBS.md shows for it. */
export interface RuleEntry {
  /** The rule. */
  readonly rule: DisclosureRule;
  /** What the result discloses, in a few words (the docs table's "verdict" column). */
  readonly verdict: string;
}

const AGGREGATE = 'aggregate of all rows';
const ALIGNED = 'stays row-aligned';
const POST = 'post-processing of aggregates; row-level on rows';
const LOGIT = 'aggregate of all rows; row-level when the fit spans rows the requester may have chosen';

/** The rules by op name (docs/JOBS.md's table, row for row). */
export const DISCLOSURE_RULES: Readonly<Record<string, RuleEntry>> = {
  select: { rule: tableRule, verdict: 'row-aligned (a table)' },
  union: { rule: tableRule, verdict: 'row-aligned (a table)' },
  join: { rule: tableRule, verdict: 'row-aligned (a table)' },
  count: { rule: countRule, verdict: AGGREGATE },
  sum: { rule: reduceRule(false), verdict: 'aggregate along the rows; row-aligned along other axes' },
  mean: { rule: reduceRule(true), verdict: 'aggregate along the rows; row-aligned along other axes' },
  variance: { rule: varianceRule, verdict: AGGREGATE },
  std: { rule: stdRule, verdict: AGGREGATE },
  covariance: { rule: covarianceRule, verdict: 'aggregate of all rows; row-level across a join' },
  correlation: { rule: correlationRule, verdict: 'aggregate of all rows; row-level across a join' },
  correlationTest: { rule: correlationRule, verdict: 'aggregate of all rows; row-level across a join' },
  ttest: { rule: ttestRule, verdict: AGGREGATE },
  linreg: { rule: linregRule, verdict: 'aggregate of all rows; row-level across a join' },
  ols: { rule: linregRule, verdict: 'aggregate of all rows; row-level across a join' },
  olsSummary: { rule: linregRule, verdict: 'aggregate of all rows; row-level across a join' },
  olsFit: { rule: linregRule, verdict: 'aggregate of all rows; row-level across a join' },
  logit: { rule: logitRule, verdict: LOGIT },
  logitSummary: { rule: logitRule, verdict: LOGIT },
  logitFit: { rule: logitRule, verdict: LOGIT },
  histogram: {
    rule: histogramRule,
    verdict: 'aggregate of minCount rows per bin; row-level without minCount',
  },
  groupBy: {
    rule: groupByRule,
    verdict: 'aggregate of minCount rows per group; row-level without minCount',
  },
  contingency: {
    rule: categoricalRule,
    verdict: 'aggregate of minCount rows per cell; row-level without minCount',
  },
  chiSquare: {
    rule: categoricalRule,
    verdict: 'aggregate of minCount rows per cell; row-level without minCount',
  },
  quantile: {
    rule: quantileRule,
    verdict: 'aggregate of minCount rows of each input on each side; row-level without minCount',
  },
  add: { rule: additiveRule, verdict: ALIGNED },
  sub: { rule: additiveRule, verdict: ALIGNED },
  neg: { rule: linearUnaryRule(() => 1), verdict: ALIGNED },
  scale: {
    rule: linearUnaryRule((c) => (typeof c.params.factor === 'number' ? c.params.factor : 1)),
    verdict: ALIGNED,
  },
  mul: {
    rule: mulRule,
    verdict: 'row-aligned if the other factor is the same for every row; else row-level',
  },
  div: { rule: divRule, verdict: 'row-aligned if the divisor is the same for every row; else row-level' },
  matmul: { rule: matmulRule, verdict: 'row-level when it contracts over the rows; else as mul' },
  transpose: { rule: transposeRule, verdict: ALIGNED },
  constant: { rule: constantRule, verdict: 'public' },
  relu: { rule: nonlinearRule(1, (b) => b), verdict: POST },
  sigmoid: { rule: nonlinearRule(0.25, () => 1), verdict: POST },
  exp: { rule: nonlinearRule(Infinity, (b) => Math.exp(b)), verdict: POST },
  reciprocal: { rule: nonlinearRule(Infinity, () => Infinity), verdict: POST },
  sqrt: { rule: nonlinearRule(Infinity, (b) => Math.sqrt(b)), verdict: POST },
  rsqrt: { rule: nonlinearRule(Infinity, () => Infinity), verdict: POST },
  predict: { rule: rowLevelByDesign('predictions are one value per row'), verdict: 'row-level' },
  train: { rule: rowLevelByDesign('trained weights can memorise single rows'), verdict: 'row-level' },
};

/** The rule of `op`: its entry, or row-level for an op no rule covers. */
export function ruleOf(op: string): DisclosureRule {
  return (
    DISCLOSURE_RULES[op]?.rule ??
    ((call) => perSource(call.args, () => rowLevel(call, 'no disclosure rule proves this op aggregates')))
  );
}
