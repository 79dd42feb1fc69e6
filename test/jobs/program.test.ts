/** Programs: builder, validation errors naming the node, type inference, canonical hash. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgramValidationError } from '../../src/jobs/errors.js';
import { ProgramBuilder } from '../../src/jobs/program/builder.js';
import { getOp, listOps } from '../../src/jobs/program/catalogue.js';
import { programHash } from '../../src/jobs/program/hash.js';
import { shorthandProgram } from '../../src/jobs/program/shorthand.js';
import type { Program } from '../../src/jobs/program/types.js';
import { validateProgram } from '../../src/jobs/program/validate.js';

const COLS = ['age', 'bmi', 'sbp'];

function demoProgram(): Program {
  const b = new ProgramBuilder();
  const a = b.input('a', COLS);
  const c = b.input('c', COLS);
  const all = b.union(a, c);
  b.output('means', b.mean(all));
  b.output('corr', b.correlation(all));
  b.output('fit', b.linreg(all, { features: ['age', 'bmi'], target: 'sbp' }));
  return b.build();
}

function expectError(program: unknown, node: string, pattern: RegExp, rows?: Record<string, number>): void {
  try {
    validateProgram(program, { rows });
  } catch (err) {
    assert.instance(err, ProgramValidationError);
    assert.is((err as ProgramValidationError).node, node, (err as Error).message);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an error naming ${node}`);
}

test('builder produces a valid program with inferred types', () => {
  const p = demoProgram();
  const checked = validateProgram(p, { rows: { a: 100, c: 50 } });
  const byName = Object.fromEntries(checked.outputs.map((o) => [o.name, o.type]));
  assert.equal(byName.means!.shape, [3]);
  assert.equal(byName.means!.labels, [COLS]);
  assert.equal(byName.corr!.shape, [3, 3]);
  assert.equal(byName.fit!.shape, [3]);
  assert.equal(byName.fit!.labels, [['intercept', 'age', 'bmi']]);
  assert.equal(checked.types.get('union1')!.segments![0], [
    { source: 'a', rows: 100 },
    { source: 'c', rows: 50 },
  ]);
  assert.equal(byName.means!.sources, ['a', 'c']);
  assert.equal(checked.types.get('union1')!.shape, [150, 3]);
});

test('row counts unknown without binding', () => {
  const checked = validateProgram(demoProgram());
  assert.is(checked.types.get('union1')!.shape[0], undefined);
  assert.equal(checked.types.get('union1')!.segments![0], [
    { source: 'a', rows: undefined },
    { source: 'c', rows: undefined },
  ]);
});

test('the catalogue has the required ops', () => {
  for (const op of [
    'select',
    'union',
    'join',
    'count',
    'sum',
    'mean',
    'variance',
    'std',
    'covariance',
    'correlation',
    'histogram',
    'linreg',
    'add',
    'matmul',
  ]) {
    assert.ok(getOp(op), op);
  }
  assert.ok(listOps().length >= 20);
});

test('unknown op names the node', () => {
  const p = demoProgram();
  p.nodes[0]!.op = 'exfiltrate';
  expectError(p, 'union1', /unknown op "exfiltrate"/);
});

test('wrong arity names the node', () => {
  const p = demoProgram();
  p.nodes.find((n) => n.op === 'mean')!.args.push('a');
  expectError(p, 'mean2', /takes 1 argument, got 2/);
  const q = demoProgram();
  q.nodes[0]!.args = ['a'];
  expectError(q, 'union1', /at least 2 arguments, got 1/);
});

test('column mismatch in a union names the node', () => {
  const b = new ProgramBuilder();
  const a = b.input('a', ['age', 'bmi']);
  const c = b.input('c', ['bmi', 'age']);
  b.output('m', b.node('mean', [b.node('union', [a, c], undefined, 'u')]));
  assert.throws(
    () => b.build(),
    (e: Error) => e instanceof ProgramValidationError && e.node === 'u' && /same columns/.test(e.message),
  );
});

test('unknown column names the node', () => {
  const b = new ProgramBuilder();
  const a = b.input('a', ['age']);
  b.output('s', b.node('select', [a], { columns: ['weight'] }, 'sel'));
  assert.throws(
    () => b.build(),
    (e: Error) => e instanceof ProgramValidationError && e.node === 'sel' && /"weight"/.test(e.message),
  );
});

test('join needs aligned rows and distinct columns', () => {
  const b = new ProgramBuilder();
  const a = b.input('a', ['age']);
  const c = b.input('c', ['bmi']);
  const j = b.node('join', [a, c], undefined, 'j');
  b.output('cov', b.covariance(j));
  const p = b.build();
  validateProgram(p, { rows: { a: 10, c: 10 } });
  expectError(p, 'j', /aligned rows/, { a: 10, c: 11 });
  const q = structuredClone(p);
  q.inputs[1]!.columns = ['age'];
  expectError(q, 'j', /appears in more than one/);
});

test('shape mismatch in engine ops names the node', () => {
  const b = new ProgramBuilder();
  const a = b.input('a', ['x', 'y', 'z']);
  const k = b.constant([1, 2], [2]);
  b.output('o', b.node('mean', [b.node('add', [a, k], undefined, 'plus')]));
  assert.throws(
    () => b.build(),
    (e: Error) => e instanceof ProgramValidationError && e.node === 'plus' && /broadcast/.test(e.message),
  );
  const c = new ProgramBuilder();
  const t = c.input('t', ['x', 'y']);
  c.output('o', c.node('matmul', [c.constant([1, 2, 3], [3, 1]), c.transpose(t)], undefined, 'mm'));
  assert.throws(
    () => c.build(),
    (e: Error) =>
      e instanceof ProgramValidationError && e.node === 'mm' && /inner dimensions/.test(e.message),
  );
});

test('cycles are errors naming a node on the cycle', () => {
  const p: Program = {
    version: 1,
    inputs: [{ name: 'a', columns: ['x'] }],
    nodes: [
      { id: 'n1', op: 'add', args: ['a', 'n2'] },
      { id: 'n2', op: 'neg', args: ['n1'] },
      { id: 'm', op: 'mean', args: ['n1'] },
    ],
    outputs: [{ name: 'o', node: 'm' }],
  };
  expectError(p, 'n1', /cycle: n1 -> n2 -> n1/);
  p.nodes = [{ id: 's', op: 'neg', args: ['s'] }];
  p.outputs = [{ name: 'o', node: 's' }];
  expectError(p, 's', /cycle: s -> s/);
});

test('nodes in any order are evaluated in dependency order', () => {
  const p: Program = {
    version: 1,
    inputs: [{ name: 'a', columns: ['x'] }],
    nodes: [
      { id: 'm', op: 'mean', args: ['d'] },
      { id: 'd', op: 'neg', args: ['a'] },
    ],
    outputs: [{ name: 'o', node: 'm' }],
  };
  assert.equal(
    validateProgram(p).order.map((n) => n.id),
    ['d', 'm'],
  );
});

test('references, duplicates, dead nodes, params and structure are checked', () => {
  const base = demoProgram();
  const dangling = structuredClone(base);
  dangling.nodes[0]!.args[1] = 'nope';
  expectError(dangling, 'union1', /argument "nope"/);
  const dupId = structuredClone(base);
  dupId.nodes[1]!.id = 'a';
  expectError(dupId, 'a', /used twice/);
  const dead = structuredClone(base);
  dead.nodes.push({ id: 'extra', op: 'count', args: ['union1'] });
  expectError(dead, 'extra', /not used by any output/);
  const badParam = structuredClone(base);
  badParam.nodes.find((n) => n.op === 'linreg')!.params!.epochs = -3;
  expectError(badParam, 'linreg4', /epochs/);
  const unknownParam = structuredClone(base);
  unknownParam.nodes.find((n) => n.op === 'mean')!.params = { axis: 0, colour: 'red' };
  expectError(unknownParam, 'mean2', /unknown param "colour"/);
  const badOut = structuredClone(base);
  badOut.outputs[0]!.node = 'ghost';
  expectError(badOut, 'means', /neither a node nor an input/);
  expectError({ ...base, version: 2 }, '', /version/);
  expectError({ ...base, extra: 1 }, '', /unknown field "extra"/);
  expectError('not a program', '', /JSON object/);
});

test('histogram edges must increase; variance needs enough rows', () => {
  const b = new ProgramBuilder();
  const a = b.input('a', ['x']);
  b.output('h', b.node('histogram', [a], { edges: [0, 2, 1] }, 'h'));
  assert.throws(
    () => b.build(),
    (e: Error) => e instanceof ProgramValidationError && e.node === 'h' && /increasing/.test(e.message),
  );
  const c = new ProgramBuilder();
  const t = c.input('t', ['x']);
  c.output('v', c.node('variance', [t], undefined, 'v'));
  expectError(c.build(), 'v', /more than 1 rows/, { t: 1 });
});

test('the hash is stable across key order and whitespace and changes with content', () => {
  const p = demoProgram();
  const h = programHash(p);
  assert.match(h, /^[0-9a-f]{64}$/);
  const reordered = JSON.parse(
    JSON.stringify(
      {
        outputs: p.outputs,
        nodes: p.nodes.map((n) => ({ params: n.params, args: n.args, op: n.op, id: n.id })),
        inputs: p.inputs,
        version: 1,
      },
      null,
      4,
    ),
  ) as unknown;
  assert.is(programHash(reordered), h);
  assert.is(programHash(JSON.parse(JSON.stringify(p)) as unknown), h);
  const changed = structuredClone(p);
  changed.nodes.find((n) => n.op === 'linreg')!.params!.epochs = 61;
  assert.is.not(programHash(changed), h);
  // empty params hash like absent params
  const withEmpty = structuredClone(p);
  withEmpty.nodes[0]!.params = {};
  assert.is(programHash(withEmpty), h);
});

test('shorthand builds the common statistics', () => {
  const p = shorthandProgram({
    inputs: [
      { name: 'h1', columns: COLS },
      { name: 'h2', columns: COLS },
    ],
    stats: ['count', 'mean', 'std', 'correlation'],
    linreg: { features: ['age', 'bmi'], target: 'sbp' },
  });
  assert.equal(
    p.outputs.map((o) => o.name),
    ['count', 'mean', 'std', 'correlation', 'linreg'],
  );
  assert.throws(() => shorthandProgram({ inputs: [{ name: 'h', columns: COLS }] }), /at least one/);
});

test.run();
