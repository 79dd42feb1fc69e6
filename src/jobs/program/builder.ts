/**
 * A TypeScript builder for programs: typed methods for every built-in op, a generic `node` for the
 * rest (ML ops), and `build()` that validates and returns plain JSON.
 *
 * @example
 * const b = new ProgramBuilder();
 * const a = b.input('a', ['age', 'bmi', 'sbp']);
 * const c = b.input('c', ['age', 'bmi', 'sbp']);
 * const all = b.union(a, c);
 * b.output('means', b.mean(all));
 * b.output('fit', b.linreg(all, { features: ['age', 'bmi'], target: 'sbp' }));
 * const program = b.build();
 */
import type { Params, Program, ProgramNode } from './types.js';
import { validateProgram, type ValidateOptions } from './validate.js';

/** A handle on an input or a node of the program being built. */
export class ValueRef {
  constructor(
    /** The input name or node id. */
    readonly id: string,
  ) {}
}

/** Builds a {@link Program}; see the module example. */
export class ProgramBuilder {
  private readonly program: Program = { version: 1, inputs: [], nodes: [], outputs: [] };
  private counter = 0;

  /** Declares an input table with these columns. */
  input(name: string, columns: string[]): ValueRef {
    this.program.inputs.push({ name, columns: [...columns] });
    return new ValueRef(name);
  }

  /** Adds a node of any op; `id` defaults to `<op><n>`. */
  node(op: string, args: readonly ValueRef[], params?: Params, id?: string): ValueRef {
    const node: ProgramNode = { id: id ?? `${op}${++this.counter}`, op, args: args.map((a) => a.id) };
    if (params !== undefined && Object.keys(params).length > 0) node.params = params;
    this.program.nodes.push(node);
    return new ValueRef(node.id);
  }

  /** Reveals `value` to the requester under `name`. */
  output(name: string, value: ValueRef): this {
    this.program.outputs.push({ name, node: value.id });
    return this;
  }

  /** The named columns of a table. */
  select(t: ValueRef, columns: string[]): ValueRef {
    return this.node('select', [t], { columns });
  }
  /** Rows of tables with the same columns, appended. */
  union(...tables: ValueRef[]): ValueRef {
    return this.node('union', tables);
  }
  /** Columns of tables with aligned rows, appended. */
  join(...tables: ValueRef[]): ValueRef {
    return this.node('join', tables);
  }
  /** Number of rows. */
  count(t: ValueRef): ValueRef {
    return this.node('count', [t]);
  }
  /** Column sums (or a tensor summed along `axis`). */
  sum(x: ValueRef, axis?: number): ValueRef {
    return this.node('sum', [x], axis === undefined ? undefined : { axis });
  }
  /** Column means (or a tensor averaged along `axis`). */
  mean(x: ValueRef, axis?: number): ValueRef {
    return this.node('mean', [x], axis === undefined ? undefined : { axis });
  }
  /** Per-column variance (ddof 1 by default). */
  variance(t: ValueRef, ddof?: 0 | 1): ValueRef {
    return this.node('variance', [t], ddof === undefined ? undefined : { ddof });
  }
  /** Per-column standard deviation (ddof 1 by default). */
  std(t: ValueRef, ddof?: 0 | 1): ValueRef {
    return this.node('std', [t], ddof === undefined ? undefined : { ddof });
  }
  /** Covariance matrix (ddof 1 by default). */
  covariance(t: ValueRef, ddof?: 0 | 1): ValueRef {
    return this.node('covariance', [t], ddof === undefined ? undefined : { ddof });
  }
  /** Pearson correlation matrix. */
  correlation(t: ValueRef): ValueRef {
    return this.node('correlation', [t]);
  }
  /** Counts per bin [e_i, e_i+1) of one column. */
  histogram(t: ValueRef, edges: number[], column?: string): ValueRef {
    return this.node('histogram', [t], column === undefined ? { edges } : { edges, column });
  }
  /** Linear regression by gradient descent: [intercept, coefficients]. */
  linreg(
    t: ValueRef,
    p: { features: string[]; target: string; epochs?: number; learningRate?: number },
  ): ValueRef {
    const params: Params = { features: p.features, target: p.target };
    if (p.epochs !== undefined) params.epochs = p.epochs;
    if (p.learningRate !== undefined) params.learningRate = p.learningRate;
    return this.node('linreg', [t], params);
  }
  /** Elementwise a + b. */
  add(a: ValueRef, b: ValueRef): ValueRef {
    return this.node('add', [a, b]);
  }
  /** Elementwise a - b. */
  sub(a: ValueRef, b: ValueRef): ValueRef {
    return this.node('sub', [a, b]);
  }
  /** Elementwise a * b. */
  mul(a: ValueRef, b: ValueRef): ValueRef {
    return this.node('mul', [a, b]);
  }
  /** a times a public number. */
  scale(a: ValueRef, factor: number): ValueRef {
    return this.node('scale', [a], { factor });
  }
  /** Matrix product. */
  matmul(a: ValueRef, b: ValueRef): ValueRef {
    return this.node('matmul', [a, b]);
  }
  /** Transpose of a 2-D value. */
  transpose(a: ValueRef): ValueRef {
    return this.node('transpose', [a]);
  }
  /** A public tensor. */
  constant(values: number[], shape?: number[]): ValueRef {
    return this.node('constant', [], shape === undefined ? { values } : { values, shape });
  }

  /**
   * Validates and returns the program (a deep copy: the builder can go on).
   * @throws ProgramValidationError naming the node at fault.
   */
  build(options?: ValidateOptions): Program {
    const copy = structuredClone(this.program);
    return validateProgram(copy, options).program;
  }
}
