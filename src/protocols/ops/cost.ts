/**
 * Declared costs of the generic ops, composed from the primitives' own `cost` declarations (so they
 * hold for every protocol): what tests compare measured traffic against, and benchmarks report.
 */
import { DEFAULT_COST_BITS, type Cost, type Protocol, type Share } from '../protocol.js';
import { compareBits, fusedCompare } from './bounds.js';
import { msbCost } from './msb.js';

/** Generic ops with a declared cost. */
export type CostedOp = 'msb' | 'lt' | 'gt' | 'le' | 'ge' | 'eq' | 'relu' | 'mean' | 'max' | 'argmax';

function plus(...cs: Cost[]): Cost {
  return cs.reduce((a, c) => ({ rounds: a.rounds + c.rounds, bytesSent: a.bytesSent + c.bytesSent }), {
    rounds: 0,
    bytesSent: 0,
  });
}

/**
 * The cost of a generic op on this party. `n` is the number of compared or output elements; for
 * max/argmax, `n` is the number of rows and `len` the length of the reduced axis; for mean, `n` the
 * number of outputs, `len` the length of the reduced axis and `f` the fractional bits. `bits` is
 * the comparison bound of msb, lt, gt, le, ge and relu (ops/bounds.ts; default 64, none).
 */
export function opCost<S extends Share>(
  p: Protocol<S>,
  op: CostedOp,
  n: number,
  len = 1,
  f = DEFAULT_COST_BITS,
  bits = 64,
): Cost {
  const k = compareBits({ bits });
  const fused = fusedCompare<S>(p);
  const unbounded = (m: number): Cost => plus(msbCost(p, m), p.cost('bitToA', m));
  const cmp = (m: number): Cost =>
    fused !== undefined && k < 64 ? fused.msbBoundedCost(m, k) : unbounded(m);
  switch (op) {
    case 'msb':
    case 'lt':
    case 'gt':
    case 'le':
    case 'ge':
      return cmp(n);
    case 'eq':
      return plus(msbCost(p, 2 * n), p.cost('andB', n), p.cost('bitToA', n));
    case 'relu':
      return fused !== undefined ? fused.reluInjectedCost(n, k) : plus(cmp(n), p.cost('mul', n));
    case 'mean': // truncates by f + ceil(log2(len)) (reduce.ts); nothing for one value
      return len <= 1 ? plus() : p.cost('truncate', n, { bits: f + Math.ceil(Math.log2(len)) });
    case 'max':
    case 'argmax': {
      const parts: Cost[] = [];
      for (let m = len; m > 1; m = (m >> 1) + (m % 2)) {
        const pairs = n * (m >> 1);
        parts.push(unbounded(pairs), p.cost('mul', op === 'argmax' ? 2 * pairs : pairs));
      }
      return plus(...parts);
    }
  }
}
