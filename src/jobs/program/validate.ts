/**
 * Program validation: everything is checked before anything runs, and every error names the node
 * (or input, or output) at fault.
 *
 * 1. Structure: version, known keys only, names well formed and unique, limits (parse.ts).
 * 2. References: every argument names an input or a node, every output a node or an input.
 * 3. Ops: known to the catalogue, right number of arguments, known params.
 * 4. Cycles: the graph must be acyclic (the error names a node on the cycle and the cycle).
 * 5. Types: each op's rule gives its output type (columns, shapes, row counts when the job binds
 *    them); a column or shape mismatch names the node.
 * 6. Every node feeds some output (no dead code in what owners approve).
 */
import { getOp } from './catalogue.js';
import { checkKnownParams } from './params.js';
import { fail, parseProgram } from './parse.js';
import { PROGRAM_LIMITS, type Program, type ProgramNode } from './types.js';
import { checkScales, columnScales, type ScaleOptions } from './scales.js';
import { inputTableType, OpTypeError, type ValueType } from './value-type.js';

export { MAX_PARAMS_DEPTH, parseProgram } from './parse.js';

/** A program that passed validation, with its evaluation order and types. */
export interface CheckedProgram {
  /** The normalized program (known keys only; empty params dropped). */
  program: Program;
  /** Nodes in a topological order (arguments before users), stable with respect to the file. */
  order: ProgramNode[];
  /** Type of every input and node, by name. */
  types: Map<string, ValueType>;
  /** Outputs with the type of the value each reveals. */
  outputs: { name: string; node: string; type: ValueType }[];
  /**
   * The scale exponent of each column name: the largest magnitude bound of that column over the
   * inputs less SCALE_TARGET_BITS (scales.ts); absent when some input has none (the column stays in
   * natural units). Tables hold a column as x / 2^scale.
   */
  scales: Record<string, number>;
}

/** Options of {@link validateProgram}. */
export interface ValidateOptions extends ScaleOptions {
  /** Row count of each input (from the job's bound datasets); unknown when absent. */
  rows?: Record<string, number>;
}

/**
 * One node's op and arguments: a known op, its number of arguments, each argument an input or a
 * node (and not one finished by the recipient), params the op knows.
 */
function checkNode(node: ProgramNode, program: Program, names: ReadonlySet<string>): void {
  const op = getOp(node.op);
  if (op === undefined) fail(node.id, `unknown op "${node.op}"`);
  const { min, max } = op.arity;
  if (node.args.length < min || node.args.length > max) {
    const want = min === max ? `${min}` : max >= PROGRAM_LIMITS.args ? `at least ${min}` : `${min} to ${max}`;
    fail(
      node.id,
      `op "${node.op}" takes ${want} argument${want === '1' ? '' : 's'}, got ${node.args.length}`,
    );
  }
  for (const a of node.args) {
    if (!names.has(a)) fail(node.id, `argument "${a}" is neither an input nor a node`);
    const argOp = program.nodes.find((n) => n.id === a)?.op;
    if (argOp !== undefined && getOp(argOp)?.finishedByRecipient)
      fail(node.id, `argument "${a}" (${argOp}) is finished by the recipient: it can only be an output`);
  }
  try {
    checkKnownParams(node.params ?? {}, op.params);
  } catch (err) {
    fail(node.id, `${node.op}: ${(err as Error).message}`);
  }
}

/** References and ops: every node (in file order) by {@link checkNode}, then every output's target. */
function checkReferences(program: Program): void {
  const inputNames = new Set(program.inputs.map((i) => i.name));
  const nodeIds = new Set(program.nodes.map((n) => n.id));
  const names = new Set([...inputNames, ...nodeIds]);
  for (const node of program.nodes) checkNode(node, program, names);
  for (const o of program.outputs) {
    if (!names.has(o.node)) fail(o.name, `output names "${o.node}", which is neither a node nor an input`);
  }
}

/** Topological order of the nodes; throws naming a node on a cycle. */
function topoOrder(program: Program): ProgramNode[] {
  const byId = new Map(program.nodes.map((n) => [n.id, n]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: ProgramNode[] = [];
  const stack: string[] = [];
  const visit = (id: string): void => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(id)), id];
      fail(id, `is part of a cycle: ${cycle.join(' -> ')}`);
    }
    const node = byId.get(id);
    if (node === undefined) return; // an input
    state.set(id, 'visiting');
    stack.push(id);
    for (const a of node.args) visit(a);
    stack.pop();
    state.set(id, 'done');
    order.push(node);
  };
  for (const n of program.nodes) visit(n.id);
  return order;
}

/**
 * The type of every input (with its bound row count, when known) and then of every node in
 * `order`, by its op's rule; an OpTypeError names the node.
 */
function inferTypes(
  program: Program,
  order: readonly ProgramNode[],
  scales: Record<string, number>,
  rows: Record<string, number> | undefined,
): Map<string, ValueType> {
  const types = new Map<string, ValueType>();
  for (const inp of program.inputs) {
    const n = rows?.[inp.name];
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 0))
      fail(inp.name, 'row count must be a non-negative integer');
    const exps = inp.columns.map((c) => scales[c] ?? 0);
    types.set(inp.name, inputTableType(inp.name, inp.columns, n, exps));
  }
  for (const node of order) {
    const op = getOp(node.op)!;
    try {
      types.set(
        node.id,
        op.infer(
          node.args.map((a) => types.get(a)!),
          node.params ?? {},
        ),
      );
    } catch (err) {
      if (err instanceof OpTypeError) fail(node.id, `${node.op}: ${err.message}`);
      throw err;
    }
  }
  return types;
}

/** Every node and input must feed an output: the first node, then input, that does not is named. */
function checkAllUsed(program: Program): void {
  const used = new Set<string>();
  const byId = new Map(program.nodes.map((n) => [n.id, n]));
  const mark = (id: string): void => {
    if (used.has(id)) return;
    used.add(id);
    for (const a of byId.get(id)?.args ?? []) mark(a);
  };
  for (const o of program.outputs) mark(o.node);
  for (const n of program.nodes) if (!used.has(n.id)) fail(n.id, 'is not used by any output');
  for (const i of program.inputs) if (!used.has(i.name)) fail(i.name, 'input is not used by any output');
}

/**
 * Validates an untrusted program and infers its types.
 * @throws ProgramValidationError naming the node, input or output at fault.
 */
export function validateProgram(value: unknown, options: ValidateOptions = {}): CheckedProgram {
  const program = parseProgram(value);
  checkReferences(program);
  const order = topoOrder(program);
  const scales = columnScales(program, options.magnitudes);
  const types = inferTypes(program, order, scales, options.rows);
  checkScales(order, types, scales, options);
  checkAllUsed(program);
  return {
    program,
    order,
    types,
    outputs: program.outputs.map((o) => ({ ...o, type: types.get(o.node)! })),
    scales,
  };
}
