/**
 * The disclosure analysis: every program of the adversarial corpus is row-level for the victim (so
 * a policy with minRows > 1 refuses it); ordinary statistics are aggregates of all the owner's
 * rows; the rules table and docs/JOBS.md list the same ops; and a property test: random programs
 * the analysis calls aggregates never move by more than their stated sensitivity when one row
 * changes (checked in float64 on the data with a row changed).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeDisclosure } from '../../src/jobs/disclosure/analyze.js';
import { DISCLOSURE_RULES } from '../../src/jobs/disclosure/rules.js';
import { rowLevelReason, rowsBehind, type Dependence } from '../../src/jobs/disclosure/types.js';
import { listOps } from '../../src/jobs/program/catalogue.js';
import type { Program, ProgramNode } from '../../src/jobs/program/types.js';
import { validateProgram } from '../../src/jobs/program/validate.js';
import { registerMlOps } from '../../src/ml/job-catalogue.js';
import { ATTACKS } from './helpers/adversarial.js';
import { rng } from './helpers/data.js';
import { evalPlain } from './helpers/eval-plain.js';

registerMlOps();
const COLS = ['age', 'bmi', 'sbp'];
const N = 60;

function depsOf(
  program: Program,
  rows: Record<string, number> = { d: N, spy: N, weights: 12 },
): Dependence[] {
  const checked = validateProgram(program, { rows });
  return analyzeDisclosure(checked).outputs.map((o) => o.deps.get('d')!);
}

for (const attack of ATTACKS) {
  test(`refused: ${attack.name} (would extract ${attack.extracts})`, () => {
    for (const dep of depsOf(attack.program(COLS, N))) {
      assert.is(rowsBehind(dep), 1, JSON.stringify(dep));
      assert.type(rowLevelReason(dep), 'string');
    }
  });
}

const agg = (nodes: ProgramNode[], out = 'out'): Program => ({
  version: 1,
  inputs: [
    { name: 'd', columns: COLS },
    { name: 'e', columns: COLS },
  ],
  nodes: [{ id: 'u', op: 'union', args: ['d', 'e'] }, ...nodes],
  outputs: [{ name: out, node: out }],
});

test('aggregates: statistics of a union count each owner its own rows', () => {
  for (const op of ['mean', 'sum', 'count', 'variance', 'std', 'covariance', 'correlation']) {
    const [dep] = depsOf(agg([{ id: 'out', op, args: ['u'] }]), { d: N, e: 500 });
    assert.equal(dep!.kind, 'aggregate', op);
    assert.is(rowsBehind(dep!), N, op);
  }
  const lin = agg([{ id: 'out', op: 'linreg', args: ['u'], params: { features: ['age'], target: 'sbp' } }]);
  assert.is(rowsBehind(depsOf(lin, { d: N, e: 5 })[0]!), N);
});

test('aggregates: linear maps with row-constant factors, and centring by an aggregate', () => {
  const rowConst = agg([
    { id: 'c', op: 'constant', args: [], params: { values: [1, 2, 3], shape: [1, 3] } },
    { id: 'ones', op: 'constant', args: [], params: { values: new Array(N + 5).fill(2), shape: [N + 5, 1] } },
    { id: 'm1', op: 'mul', args: ['u', 'c'] },
    { id: 'm2', op: 'mul', args: ['m1', 'ones'] },
    { id: 'mu', op: 'mean', args: ['u'] },
    { id: 'z', op: 'sub', args: ['m2', 'mu'] },
    { id: 'out', op: 'mean', args: ['z'] },
  ]);
  const [dep] = depsOf(rowConst, { d: N, e: 5 });
  assert.is(dep!.kind, 'aggregate');
  // sqrt of a variance is post-processing of an aggregate
  const post = agg([
    { id: 'v', op: 'variance', args: ['u'] },
    { id: 'out', op: 'sqrt', args: ['v'] },
  ]);
  assert.is(depsOf(post, { d: N, e: 5 })[0]!.kind, 'aggregate');
});

test('histogram: minCount makes bins aggregates of minCount rows; without it they are row-level', () => {
  const h = (params: Record<string, number | number[] | string>): Program =>
    agg([
      { id: 'out', op: 'histogram', args: ['u'], params: { column: 'age', edges: [0, 50, 100], ...params } },
    ]);
  assert.is(rowsBehind(depsOf(h({ minCount: 25 }), { d: N, e: 5 })[0]!), 25);
  assert.is(rowsBehind(depsOf(h({}), { d: N, e: 5 })[0]!), 1);
});

test('the rules table and docs/JOBS.md list every op of the catalogue with the same verdict', () => {
  const docs = readFileSync(new URL('../../docs/JOBS.md', import.meta.url), 'utf8');
  for (const op of listOps()) {
    const entry = DISCLOSURE_RULES[op.name];
    assert.ok(entry !== undefined, `no disclosure rule for ${op.name}`);
    const row = docs.split('\n').find((l) => l.startsWith(`| \`${op.name}\` |`));
    assert.ok(row !== undefined, `docs/JOBS.md has no row for ${op.name}`);
    assert.ok(
      row.includes(`| ${entry.verdict} |`),
      `${op.name}: docs say ${row}, code says ${entry.verdict}`,
    );
  }
});

// ---------------------------------------------------------------- property test

const RANGES: [number, number][] = [
  [20, 90],
  [15, 45],
  [90, 200],
];
const WIDTH = Math.max(...RANGES.map(([lo, hi]) => hi - lo));

/** A random program of a few ops over `d` (n x 3), mixing every kind of rule. */
function randomProgram(r: () => number, n: number): Program {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const nodes: ProgramNode[] = [];
  let id = 0;
  const node = (op: string, args: string[], params?: ProgramNode['params']): string => {
    const name = `n${id++}`;
    nodes.push({ id: name, op, args, ...(params ? { params } : {}) });
    return name;
  };
  const constant = (shape: number[]): string =>
    node('constant', [], {
      values: Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => Math.round((r() * 4 - 2) * 100) / 100,
      ),
      shape,
    });
  const stat = pick([
    'mean',
    'sum',
    'variance',
    'std',
    'covariance',
    'correlation',
    'count',
    'histogram',
    'engine',
  ]);
  let out: string;
  if (stat === 'histogram')
    out = node('histogram', ['d'], {
      column: pick(COLS),
      edges: [0, 30, 60, 120, 250],
      minCount: pick([1, 3, 8]),
    });
  else if (stat !== 'engine') out = node(stat, ['d']);
  else {
    let x = node('neg', ['d']); // a tensor from here on
    let k = 3; // columns of x
    for (let step = 0; step < 1 + Math.floor(r() * 4); step++) {
      const op = pick(['scale', 'neg', 'add', 'sub', 'mul', 'mulRowVarying', 'matmul', 'relu', 'centre']);
      const shape = [1, k];
      if (op === 'scale') x = node('scale', [x], { factor: pick([0.5, 2, -3]) });
      else if (op === 'neg') x = node('neg', [x]);
      else if (op === 'add' || op === 'sub') x = node(op, [x, constant(shape)]);
      else if (op === 'mul') x = node('mul', [x, constant(shape)]);
      else if (op === 'mulRowVarying') x = node('mul', [x, constant([n, 1])]);
      else if (op === 'matmul') {
        x = node('matmul', [x, constant([k, 2])]);
        k = 2;
      } else if (op === 'relu') x = node('relu', [x]);
      else if (op === 'centre') x = node('sub', [x, node('mean', [x], { axis: 0 })]);
    }
    out = node(pick(['mean', 'sum']), [x], { axis: 0 });
    const post = pick(['relu', 'sigmoid', 'scale', 'none', 'none']);
    if (post === 'scale') out = node('scale', [out], { factor: 2 });
    else if (post !== 'none') out = node(post, [out]);
  }
  return { version: 1, inputs: [{ name: 'd', columns: COLS }], nodes, outputs: [{ name: 'out', node: out }] };
}

test('property: one row changed never moves an accepted output by more than its stated sensitivity', () => {
  const r = rng(20261203);
  let accepted = 0;
  let rowLevel = 0;
  let bounded = 0;
  for (let trial = 0; trial < 400; trial++) {
    const n = 8 + Math.floor(r() * 40);
    const program = randomProgram(r, n);
    const checked = validateProgram(program, { rows: { d: n } });
    const dep = analyzeDisclosure(checked, { widths: { d: WIDTH } }).outputs[0]!.deps.get('d')!;
    if (dep.kind !== 'aggregate') {
      rowLevel++;
      continue;
    }
    accepted++;
    if (Number.isFinite(dep.sensitivity)) bounded++;
    const row = (): number[] => RANGES.map(([lo, hi]) => lo + r() * (hi - lo));
    const data = Array.from({ length: n }, row);
    const changed = data.map((x) => [...x]);
    changed[Math.floor(r() * n)] = row();
    const a = evalPlain(checked, { d: data }).get('out')!;
    const b = evalPlain(checked, { d: changed }).get('out')!;
    a.data.forEach((v, i) => {
      const w = b.data[i];
      if (v === null || w === null || w === undefined) return; // a suppressed cell
      const moved = Math.abs(v - w);
      assert.ok(
        moved <= dep.sensitivity * (1 + 1e-9) + 1e-9,
        `trial ${trial}: moved ${moved} > ${dep.sensitivity}: ${JSON.stringify(program.nodes.map((x) => x.op))}`,
      );
    });
  }
  assert.ok(
    bounded > 100 && rowLevel > 10,
    `accepted ${accepted} (${bounded} with a finite bound), row-level ${rowLevel}`,
  );
});

test.run();
