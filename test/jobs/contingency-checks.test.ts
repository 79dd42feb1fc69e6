/**
 * `contingency` and `chiSquare` beyond the MPC (contingency.test.ts runs them): validation errors
 * naming the problem, the recipient's checks of impossible cells and tests, and the disclosure
 * verdicts (minCount rows per cell; row-level without minCount, across a join, with a repeated
 * input, beside a histogram of a code column; a groupBy or histogram beside a table is row-level).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRequest, crosstabValue } from '../../src/cli/commands/job-run.js';
import { analyzeDisclosure } from '../../src/jobs/disclosure/analyze.js';
import { rowsBehind } from '../../src/jobs/disclosure/types.js';
import { checkOutputs } from '../../src/jobs/executor/output-checks.js';
import type { Params, Program, ProgramNode } from '../../src/jobs/program/types.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import type { JobOutputValue } from '../../src/jobs/store.js';
import type { SignedDatasetDescription } from '../../src/node/types.js';

const COLS = ['sex', 'smoker', 'w'];
const BASE = { rows: 'sex', rowLevels: [0, 1], columns: 'smoker', columnLevels: [0, 1, 2] };

/** A program over inputs `inputs` (columns COLS) with `nodes`, releasing the listed nodes. */
function prog(nodes: ProgramNode[], outputs: string[], inputs = ['d']): Program {
  return {
    version: 1,
    inputs: inputs.map((name) => ({ name, columns: COLS })),
    nodes,
    outputs: outputs.map((node) => ({ name: node, node })),
  };
}

const node = (id: string, op: string, params: Params, args = ['d']): ProgramNode => ({
  id,
  op,
  args,
  params,
});

/** Validates one node of `op` over d (100 rows unless given) and returns the error message. */
function refusal(op: string, params: Params, options: { rows?: number; magnitudes?: number[] } = {}): string {
  try {
    validateProgram(prog([node('out', op, params)], ['out']), {
      rows: { d: options.rows ?? 100 },
      ...(options.magnitudes ? { magnitudes: { d: options.magnitudes } } : {}),
    });
  } catch (e) {
    return (e as Error).message;
  }
  assert.unreachable(`${op} ${JSON.stringify(params)} was accepted`);
  return '';
}

test('validation: unknown column, bad levels, too many levels, too many rows, coarse codes', () => {
  assert.match(refusal('contingency', { ...BASE, rows: 'age' }), /column "age" is not in the table/);
  assert.match(
    refusal('contingency', { ...BASE, rowLevels: [1, 0] }),
    /"rowLevels" must be strictly increasing.*decreasing/,
  );
  assert.match(
    refusal('chiSquare', { ...BASE, columnLevels: [0, 1, 1] }),
    /"columnLevels" must be strictly increasing.*duplicate/,
  );
  const many = Array.from({ length: 33 }, (_, i) => i);
  assert.match(refusal('contingency', { ...BASE, rowLevels: many }), /"rowLevels" has more than 32 entries/);
  assert.match(refusal('contingency', { ...BASE, rowLevels: [0, 0.5] }), /0.5 is not an integer/);
  assert.match(refusal('contingency', { ...BASE, columns: 'sex' }), /"rows" and "columns" are both "sex"/);
  assert.match(refusal('contingency', { ...BASE, minExpected: 5 }), /unknown param "minExpected"/);
  assert.match(refusal('chiSquare', { ...BASE, rowLevels: [1] }), /at least 2 levels on each side/);
  assert.match(
    refusal('chiSquare', { ...BASE, minExpected: 0 }),
    /"minExpected" must be a finite number in \[1/,
  );
  assert.match(refusal('chiSquare', BASE, { rows: 2 ** 20 }), /chiSquare takes at most 1048575 rows/);
  // codes of magnitude 2^21 are held at 2^-1 resolution at f = 16: cells of width 1 are refused
  assert.match(
    refusal('chiSquare', BASE, { magnitudes: [21, 3, 3] }),
    /column "sex" is held at a resolution of 2\^-1/,
  );
  validateProgram(prog([node('out', 'chiSquare', BASE)], ['out']), {
    rows: { d: 2 ** 20 - 1 },
    magnitudes: { d: [20, 3, 3] },
  });
});

test('validation: a suppressing table or a test can only be an output', () => {
  const check = (nodes: ProgramNode[]) => () => validateProgram(prog(nodes, ['t']), { rows: { d: 50 } });
  assert.throws(
    check([node('c', 'contingency', { ...BASE, minCount: 3 }), node('t', 'transpose', {}, ['c'])]),
    /contingency table with minCount.*only be an output/,
  );
  assert.throws(
    check([node('c', 'chiSquare', BASE), node('t', 'neg', {}, ['c'])]),
    /finished by the recipient/,
  );
  check([node('c', 'contingency', BASE), node('t', 'transpose', {}, ['c'])])();
});

test('the recipient refuses impossible cells and tests', () => {
  const checked = validateProgram(
    prog([node('c', 'contingency', BASE), node('t', 'chiSquare', BASE)], ['c', 't']),
    {
      rows: { d: 100 },
    },
  );
  const outputs = (cell: number | null, t: (number | null)[]): JobOutputValue[] => [
    { name: 'c', shape: [2, 3], values: [cell, 1, 2, 3, 4, 5] },
    { name: 't', shape: [3], values: t },
  ];
  checkOutputs(checked, outputs(10, [3.2, 2, 0.2]), 16);
  checkOutputs(checked, outputs(null, [null, 2, null]), 16);
  assert.throws(
    () => checkOutputs(checked, outputs(2.5, [3.2, 2, 0.2]), 16),
    /"c"\[0\] is impossible \(not a count/,
  );
  assert.throws(() => checkOutputs(checked, outputs(-1, [3.2, 2, 0.2]), 16), /not a count/);
  assert.throws(() => checkOutputs(checked, outputs(101, [3.2, 2, 0.2]), 16), /not a count/);
  assert.throws(
    () => checkOutputs(checked, outputs(1, [-0.5, 2, 0.2]), 16),
    /"t"\[0\] is impossible \(a negative statistic\)/,
  );
  assert.throws(() => checkOutputs(checked, outputs(1, [101, 2, 0.2]), 16), /beyond n \(min\(R, C\) - 1\)/);
  assert.throws(() => checkOutputs(checked, outputs(1, [3, 3, 0.2]), 16), /degrees of freedom/);
  assert.throws(() => checkOutputs(checked, outputs(1, [3, 2, 1.2]), 16), /p-value outside/);
});

/** Rows behind output `out` for input d. */
function behind(nodes: ProgramNode[], out: string, inputs = ['d'], outputs = [out]): number {
  const checked = validateProgram(prog(nodes, outputs, inputs), {
    rows: Object.fromEntries(inputs.map((i) => [i, 50])),
  });
  const o = analyzeDisclosure(checked).outputs.find((x) => x.name === out)!;
  return rowsBehind(o.deps.get('d')!) as number;
}

test('disclosure: minCount rows per cell; row-level without it, across a join, repeated, beside a histogram', () => {
  for (const op of ['contingency', 'chiSquare']) {
    assert.is(behind([node('out', op, { ...BASE, minCount: 5 })], 'out'), 5, op);
    assert.is(behind([node('out', op, BASE)], 'out'), 1, `${op} without minCount`);
    const u = node('u', 'union', {}, ['d', 'e']);
    assert.is(
      behind([u, node('out', op, { ...BASE, minCount: 5 }, ['u'])], 'out', ['d', 'e']),
      5,
      `${op} union`,
    );
    const twice = node('u', 'union', {}, ['d', 'd']);
    assert.is(behind([twice, node('out', op, { ...BASE, minCount: 5 }, ['u'])], 'out'), 1, `${op} repeated`);
    const joined = [
      node('s', 'select', { columns: ['sex'] }, ['e']),
      node('v', 'select', { columns: ['smoker', 'w'] }, ['d']),
      node('j', 'join', {}, ['s', 'v']),
    ];
    assert.is(
      behind([...joined, node('out', op, { ...BASE, minCount: 5 }, ['j'])], 'out', ['d', 'e']),
      1,
      `${op} join`,
    );
    const hist = node('h', 'histogram', { column: 'smoker', edges: [-0.5, 0.7, 3] });
    const both = [hist, node('out', op, { ...BASE, minCount: 5 })];
    assert.is(behind(both, 'out', ['d'], ['out', 'h']), 1, `${op} beside a histogram`);
    assert.is(behind(both, 'h', ['d'], ['out', 'h']), 1, `a histogram beside ${op}`);
    const gb = node('g', 'groupBy', { by: 'sex', levels: [0, 1], agg: 'count', minCount: 5 });
    assert.is(
      behind([gb, node('out', op, { ...BASE, minCount: 5 })], 'g', ['d'], ['out', 'g']),
      1,
      `a groupBy beside ${op}`,
    );
  }
  const twoTables = [
    node('a', 'contingency', { ...BASE, minCount: 5 }),
    node('b', 'chiSquare', { ...BASE, minCount: 5 }),
  ];
  assert.is(behind(twoTables, 'a', ['d'], ['a', 'b']), 5, 'a table and its test');
});

test('CLI shorthand: --crosstab sex:0,1~smoker:0,1,2 --chi-square', () => {
  const found = ['a', 'b'].map(
    (owner) =>
      ({
        description: {
          owner,
          name: 'survey',
          columns: COLS.map((name) => ({ name })),
          policy: { minRows: 7 },
        },
      }) as unknown as SignedDatasetDescription,
  );
  const crosstab = crosstabValue('sex:0,1~smoker:0,1,2');
  assert.equal(crosstab, BASE);
  const { program: built } = buildRequest({ crosstab, chiSquare: true, wait: true }, found);
  const ops = built.nodes.filter((n) => n.op !== 'union').map((n) => [n.op, n.params]);
  assert.equal(ops, [
    ['contingency', { ...BASE, minCount: 7 }],
    ['chiSquare', { ...BASE, minCount: 7 }],
  ]);
  assert.equal(
    built.outputs.map((o) => o.name),
    ['crosstab', 'chiSquare'],
  );
  validateProgram(built, { rows: { h1: 20, h2: 20 } });
  assert.equal(buildRequest({ crosstab, wait: true }, found).program.outputs.length, 1);
  assert.throws(() => buildRequest({ chiSquare: true, wait: true }, found), /--chi-square needs --crosstab/);
  assert.throws(() => crosstabValue('sex:0,1'), /<rows>:<level>/);
  assert.throws(() => crosstabValue('sex:0,x~smoker:1'), /integer category codes/);
});

test.run();
