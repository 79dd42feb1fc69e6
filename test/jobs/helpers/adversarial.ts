/**
 * The corpus of adversarial programs: each would extract (part of) one row of the victim's table
 * `d` if an owner approved it, and each must be refused (or suppressed). Shared by the pure
 * disclosure tests and the real-daemon test. `d` has the victim's columns and `n` rows; `spy` is a
 * table the requester itself owns (one column `flag`, `n` rows) for the join attacks.
 */
import type { Params, Program, ProgramNode } from '../../../src/jobs/program/types.js';
import { denseArchitecture } from '../../../src/ml/init.js';

/** One attack. */
export interface Attack {
  /** Short name. */
  name: string;
  /** What it would extract, and how. */
  extracts: string;
  /** Whether it needs the requester's own `spy` table. */
  spy?: boolean;
  /** Whether it needs the requester's own `weights` table ({@link identityWeights}, column `w`). */
  weights?: boolean;
  /** The program over `d` (columns `cols`, `n` rows), and `spy` when `spy` is set. */
  program(cols: string[], n: number): Program;
}

const oneHot = (n: number, at: number, hot = 1, cold = 0): number[] =>
  Array.from({ length: n }, (_, i) => (i === at ? hot : cold));

function prog(cols: string[], nodes: ProgramNode[], outputs: string[], spy = false): Program {
  return {
    version: 1,
    inputs: [{ name: 'd', columns: cols }, ...(spy ? [{ name: 'spy', columns: ['flag'] }] : [])],
    nodes,
    outputs: outputs.map((o) => ({ name: o, node: o })),
  };
}

const col = (n: number, values: number[]): ProgramNode => ({
  id: 'c',
  op: 'constant',
  args: [],
  params: { values, shape: [n, 1] },
});

/** A linear model of k features and k outputs: with identity weights, predict returns the rows. */
export function identityArch(k: number): Params {
  return denseArchitecture([k, k], 'linear', 'linear') as unknown as Params;
}

/** Its weights, flattened (kernel then bias): the identity and a zero bias (k * k + k rows). */
export function identityWeights(k: number): number[] {
  return [
    ...Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0)),
    ...new Array<number>(k).fill(0),
  ];
}

/** The attacks. */
export const ATTACKS: Attack[] = [
  {
    name: 'one-hot weights through mul, then mean (the reported bypass)',
    extracts: 'row 6 exactly: mean(d * n·e_5) = d_5',
    program: (cols, n) =>
      prog(
        cols,
        [
          col(n, oneHot(n, 5, n)),
          { id: 'm', op: 'mul', args: ['d', 'c'] },
          { id: 'out', op: 'mean', args: ['m'] },
        ],
        ['out'],
      ),
  },
  {
    name: 'near-one-hot weights through mul',
    extracts: 'row 6 up to a known small bias from the other rows',
    program: (cols, n) =>
      prog(
        cols,
        [
          col(n, oneHot(n, 5, n, 1e-4)),
          { id: 'm', op: 'mul', args: ['d', 'c'] },
          { id: 'out', op: 'sum', args: ['m'] },
        ],
        ['out'],
      ),
  },
  {
    name: 'one-hot row vector through matmul',
    extracts: 'row 6: e_5^T @ d',
    program: (cols, n) =>
      prog(
        cols,
        [
          { id: 'c', op: 'constant', args: [], params: { values: oneHot(n, 5), shape: [1, n] } },
          { id: 'out', op: 'matmul', args: ['c', 'd'] },
        ],
        ['out'],
      ),
  },
  {
    name: 'transpose then matmul with a one-hot column',
    extracts: 'row 6 as a column: d^T @ e_5',
    program: (cols, n) =>
      prog(
        cols,
        [
          { id: 't', op: 'transpose', args: ['d'] },
          col(n, oneHot(n, 5)),
          { id: 'out', op: 'matmul', args: ['t', 'c'] },
        ],
        ['out'],
      ),
  },
  {
    name: 'scale then one-hot mul',
    extracts: 'row 6 scaled back',
    program: (cols, n) =>
      prog(
        cols,
        [
          { id: 's', op: 'scale', args: ['d'], params: { factor: 2 } },
          col(n, oneHot(n, 5, n / 2)),
          { id: 'm', op: 'mul', args: ['s', 'c'] },
          { id: 'out', op: 'mean', args: ['m'] },
        ],
        ['out'],
      ),
  },
  {
    name: 'division by a row-varying constant',
    extracts: 'row 6: other rows divided by 1e6 vanish',
    program: (cols, n) =>
      prog(
        cols,
        [
          col(n, oneHot(n, 5, 1 / n, 1e6)),
          { id: 'm', op: 'div', args: ['d', 'c'] },
          { id: 'out', op: 'mean', args: ['m'] },
        ],
        ['out'],
      ),
  },
  {
    name: 'add a one-hot offset, then square',
    extracts: 'row 6 from sum((d + k·e_5)^2) - sum(d^2) - k^2 = 2k·d_5',
    program: (cols, n) =>
      prog(
        cols,
        [
          col(n, oneHot(n, 5, 1000)),
          { id: 'a', op: 'add', args: ['d', 'c'] },
          { id: 'sq', op: 'mul', args: ['a', 'a'] },
          { id: 'out', op: 'sum', args: ['sq'] },
        ],
        ['out'],
      ),
  },
  {
    name: 'relu as a filter',
    extracts: 'the largest value: mean(relu(d - t)) counts only rows above t',
    program: (cols) =>
      prog(
        cols,
        [
          { id: 't', op: 'constant', args: [], params: { values: cols.map(() => 70) } },
          { id: 's', op: 'sub', args: ['d', 't'] },
          { id: 'r', op: 'relu', args: ['s'] },
          { id: 'out', op: 'sum', args: ['r'] },
        ],
        ['out'],
      ),
  },
  {
    name: 'exp amplification',
    extracts: 'the maximum: sum(exp(k·d)) is dominated by the largest row',
    program: (cols) =>
      prog(
        cols,
        [
          { id: 's', op: 'scale', args: ['d'], params: { factor: 0.05 } },
          { id: 'e', op: 'exp', args: ['s'] },
          { id: 'out', op: 'mean', args: ['e'] },
        ],
        ['out'],
      ),
  },
  {
    name: 'the table itself',
    extracts: 'every row',
    program: (cols) =>
      prog(cols, [{ id: 'out', op: 'select', args: ['d'], params: { columns: cols } }], ['out']),
  },
  {
    name: 'sum across the columns only',
    extracts: 'one value per row: sum(transpose(d), axis 0)',
    program: (cols) =>
      prog(
        cols,
        [
          { id: 't', op: 'transpose', args: ['d'] },
          { id: 'out', op: 'sum', args: ['t'], params: { axis: 0 } },
        ],
        ['out'],
      ),
  },
  {
    name: 'one row split across two outputs',
    extracts: 'row 6 = out1 + out2, each output weighted by half a one-hot',
    program: (cols, n) =>
      prog(
        cols,
        [
          { id: 'c1', op: 'constant', args: [], params: { values: oneHot(n, 5, n / 2), shape: [n, 1] } },
          { id: 'c2', op: 'constant', args: [], params: { values: oneHot(n, 5, n / 2), shape: [n, 1] } },
          { id: 'm1', op: 'mul', args: ['d', 'c1'] },
          { id: 'm2', op: 'mul', args: ['d', 'c2'] },
          { id: 'out1', op: 'mean', args: ['m1'] },
          { id: 'out2', op: 'mean', args: ['m2'] },
        ],
        ['out1', 'out2'],
      ),
  },
  {
    name: 'histogram with narrow bins around one value',
    extracts: 'whether a row lies in [v, v + 0.01): a bin of count 1',
    program: (cols) =>
      prog(
        cols,
        [
          {
            id: 'out',
            op: 'histogram',
            args: ['d'],
            params: { column: cols[0]!, edges: [40, 40.01, 40.02] },
          },
        ],
        ['out'],
      ),
  },
  {
    name: 'two histograms of one column with shifted edges',
    extracts: 'rows in [40, 41) by differencing [0, 41) and [0, 40), each bin >= minCount',
    program: (cols) =>
      prog(
        cols,
        [
          {
            id: 'h1',
            op: 'histogram',
            args: ['d'],
            params: { column: cols[0]!, edges: [0, 41], minCount: 50 },
          },
          {
            id: 'h2',
            op: 'histogram',
            args: ['d'],
            params: { column: cols[0]!, edges: [0, 40], minCount: 50 },
          },
        ],
        ['h1', 'h2'],
      ),
  },
  {
    name: "join with the requester's one-hot column, then covariance",
    extracts: 'row 6 from cov(d, flag) = (d_5 - mean) / (n - 1) · (1 - 1/n)',
    spy: true,
    program: (cols) =>
      prog(
        cols,
        [
          { id: 'j', op: 'join', args: ['d', 'spy'] },
          { id: 'out', op: 'covariance', args: ['j'] },
        ],
        ['out'],
        true,
      ),
  },
  {
    name: "linreg on the requester's one-hot feature (a weighted subset)",
    extracts: 'row 6: the coefficient of the one-hot feature is d_5 minus the mean of the others',
    spy: true,
    program: (cols) =>
      prog(
        cols,
        [
          { id: 'j', op: 'join', args: ['d', 'spy'] },
          { id: 'out', op: 'linreg', args: ['j'], params: { features: ['flag'], target: cols[0]! } },
        ],
        ['out'],
        true,
      ),
  },
  {
    name: 'predict with identity weights',
    extracts: 'every row: the model returns its input',
    weights: true,
    program: (cols) => ({
      version: 1,
      inputs: [
        { name: 'd', columns: cols },
        { name: 'weights', columns: ['w'] },
      ],
      nodes: [
        {
          id: 'out',
          op: 'predict',
          args: ['d', 'weights'],
          params: { architecture: identityArch(cols.length) },
        },
      ],
      outputs: [{ name: 'out', node: 'out' }],
    }),
  },
  {
    name: 'train a model that can memorise rows',
    extracts: 'rows encoded in the trained weights',
    program: (cols) =>
      prog(
        cols,
        [
          {
            id: 'out',
            op: 'train',
            args: ['d'],
            params: {
              architecture: denseArchitecture([cols.length - 1, 1], 'linear', 'linear') as unknown as Params,
              features: cols.slice(0, -1),
              labels: cols.slice(-1),
              epochs: 1,
            },
          },
        ],
        ['out'],
      ),
  },
  {
    name: 'a union of the table with itself under a suppressed histogram',
    extracts: 'every row to 0.1: 50 copies make a one-row bin count 50, past minCount 50',
    program: (cols) =>
      prog(
        cols,
        [
          { id: 'u', op: 'union', args: new Array<string>(50).fill('d') },
          {
            id: 'out',
            op: 'histogram',
            args: ['u'],
            params: { column: cols[0]!, edges: Array.from({ length: 1001 }, (_, i) => i / 10), minCount: 50 },
          },
        ],
        ['out'],
      ),
  },
];
