/**
 * `groupBy` beyond the MPC (groupby.test.ts runs it): the disclosure verdicts (minCount rows per
 * group; row-level without minCount, across a join, with a repeated input or beside a histogram of
 * the same column), validation errors naming the problem, the recipient's checks of impossible
 * counts and means, and the CLI shorthand `--group-by region:1,2,3 --agg mean`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRequest, groupByValue } from '../../src/cli/commands/job-run.js';
import { analyzeDisclosure } from '../../src/jobs/disclosure/analyze.js';
import { rowsBehind } from '../../src/jobs/disclosure/types.js';
import { ImpossibleResultError, ProgramValidationError } from '../../src/jobs/errors.js';
import { checkOutputs } from '../../src/jobs/executor/output-checks.js';
import { ProgramBuilder } from '../../src/jobs/program/builder.js';
import type { Params, Program } from '../../src/jobs/program/types.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import type { SignedDatasetDescription } from '../../src/node/types.js';
import { COLS, program } from './helpers/groupby-reference.js';

/** The first output's dependence on input `d` of a program over tables d (and e). */
function verdict(nodes: Program['nodes'], inputs = ['d']): ReturnType<typeof rowsBehind> {
  const program: Program = {
    version: 1,
    inputs: inputs.map((name) => ({ name, columns: COLS })),
    nodes,
    outputs: [{ name: 'out', node: 'out' }],
  };
  const checked = validateProgram(program, { rows: Object.fromEntries(inputs.map((i) => [i, 50])) });
  return rowsBehind(analyzeDisclosure(checked).outputs[0]!.deps.get('d')!);
}

test('disclosure: minCount rows per group; row-level without it, across a join, a repeated input or a histogram', () => {
  const gb = (arg: string, params: Params) => ({ id: 'out', op: 'groupBy', args: [arg], params });
  const p = { by: 'region', levels: [1, 2], agg: 'mean', minCount: 5 };
  assert.is(verdict([gb('d', p)]), 5);
  assert.is(verdict([{ id: 'u', op: 'union', args: ['d', 'e'] }, gb('u', p)], ['d', 'e']), 5);
  assert.is(verdict([gb('d', { ...p, minCount: 0 })]), 1);
  assert.is(verdict([{ id: 'u', op: 'union', args: ['d', 'd'] }, gb('u', p)]), 1);
  const joined = [
    { id: 'r', op: 'select', args: ['e'], params: { columns: ['region'] } },
    { id: 'v', op: 'select', args: ['d'], params: { columns: ['a', 'b'] } },
    { id: 'j', op: 'join', args: ['r', 'v'] },
  ];
  assert.is(verdict([...joined, gb('j', p)], ['d', 'e']), 1, "the partner's codes pick d's rows");
  assert.is(
    verdict([...joined, gb('j', { ...p, agg: 'count', minCount: 5 })], ['d', 'e']),
    50,
    'd is not used',
  );
  const hist = { id: 'h', op: 'histogram', args: ['d'], params: { column: 'region', edges: [0, 1.7, 9] } };
  const both = {
    version: 1 as const,
    inputs: [{ name: 'd', columns: COLS }],
    nodes: [hist, gb('d', p)],
    outputs: [
      { name: 'out', node: 'out' },
      { name: 'h', node: 'h' },
    ],
  };
  const dep = analyzeDisclosure(validateProgram(both, { rows: { d: 50 } })).outputs[0]!.deps.get('d')!;
  assert.is(rowsBehind(dep), 1, 'a bin [0, 1.7) minus group 1 isolates the codes in [1.5, 1.7)');
});

test('validation names the problem: columns, levels, agg, scale', () => {
  const refuse = (params: Params, re: RegExp, magnitudes?: number[]) =>
    assert.throws(
      () =>
        validateProgram(program([0], { g: params }), {
          rows: { h1: 10 },
          ...(magnitudes ? { magnitudes: { h1: magnitudes } } : {}),
        }),
      (e: unknown) => e instanceof ProgramValidationError && re.test(e.message),
      JSON.stringify(params),
    );
  const ok = { by: 'region', levels: [1, 2], agg: 'sum' };
  refuse({ ...ok, by: 'zone' }, /column "zone" is not in the table/);
  refuse({ ...ok, columns: ['a', 'nope'] }, /column "nope" is not in the table/);
  refuse({ ...ok, columns: ['a', 'region'] }, /group column "region" is also among "columns"/);
  refuse({ ...ok, levels: [1, 2, 1] }, /"levels" repeats 1/);
  refuse({ ...ok, levels: Array.from({ length: 65 }, (_, i) => i) }, /"levels" has more than 64/);
  refuse({ ...ok, levels: [1.5] }, /1.5 is not an integer/);
  refuse({ ...ok, levels: [] }, /"levels" must be a non-empty array/);
  refuse({ ...ok, agg: 'median' }, /"agg" must be count, sum or mean/);
  refuse({ ...ok, agg: 'count', columns: ['a'] }, /"columns" is for agg sum and mean only/);
  refuse({ ...ok, minCount: -1 }, /"minCount"/);
  refuse({ ...ok, extra: 1 }, /unknown param "extra"/);
  refuse(ok, /groupBy: column "region" is held at a resolution of 2\^-1/, [21, 0, 0, 0]);
  validateProgram(program([0], { g: ok }), { rows: { h1: 10 }, magnitudes: { h1: [20, 0, 0, 0] } });
  const b = new ProgramBuilder();
  const g = b.node('groupBy', [b.input('h1', COLS)], ok);
  b.output('x', b.node('neg', [g]));
  assert.throws(() => validateProgram(b.build(), { rows: { h1: 10 } }), /finished by the recipient/);
});

test('the recipient refuses impossible counts and means', () => {
  const checked = validateProgram(
    program([0], {
      count: { by: 'region', levels: [1, 2], agg: 'count' },
      mean: { by: 'region', levels: [1, 2], agg: 'mean', columns: ['a'] },
    }),
    { rows: { h1: 10 }, magnitudes: { h1: [2, 3, 0, 0] } },
  );
  const outputs = (count: (number | null)[], mean: (number | null)[]) => [
    { name: 'count', shape: [2], values: count },
    { name: 'mean', shape: [2, 1], values: mean },
  ];
  checkOutputs(checked, outputs([3, null], [8, -7.9]), 16);
  for (const [count, mean] of [
    [
      [3.5, 0],
      [1, 1],
    ],
    [
      [11, 0],
      [1, 1],
    ],
    [
      [-1, 0],
      [1, 1],
    ],
    [
      [3, 0],
      [8.01, 1],
    ],
  ])
    assert.throws(
      () => checkOutputs(checked, outputs(count!, mean!), 16),
      (e: unknown) => e instanceof ImpossibleResultError,
    );
});

test("CLI shorthand: --group-by region:1,2,3 --agg mean over the datasets' common columns", () => {
  const found = ['a', 'b'].map(
    (owner) =>
      ({
        description: {
          owner,
          name: 'visits',
          columns: COLS.map((name) => ({ name })),
          policy: { minRows: 7 },
        },
      }) as unknown as SignedDatasetDescription,
  );
  const opts = { groupBy: groupByValue('region:1,2,3'), agg: 'mean' as const, wait: true };
  const { program: built } = buildRequest(opts, found);
  const node = built.nodes.find((n) => n.op === 'groupBy')!;
  assert.equal(node.params, { by: 'region', levels: [1, 2, 3], agg: 'mean', minCount: 7 });
  assert.equal(built.outputs, [{ name: 'groupBy', node: node.id }]);
  validateProgram(built, { rows: { h1: 20, h2: 20 } });
  assert.throws(() => groupByValue('region:1,x'), /integer category codes/);
});

test.run();
