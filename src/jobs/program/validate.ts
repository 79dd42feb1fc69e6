/**
 * Program validation: everything is checked before anything runs, and every error names the node
 * (or input, or output) at fault.
 *
 * 1. Structure: version, known keys only, names well formed and unique, limits.
 * 2. References: every argument names an input or a node, every output a node or an input.
 * 3. Ops: known to the catalogue, right number of arguments, known params.
 * 4. Cycles: the graph must be acyclic (the error names a node on the cycle and the cycle).
 * 5. Types: each op's rule gives its output type (columns, shapes, row counts when the job binds
 *    them); a column or shape mismatch names the node.
 * 6. Every node feeds some output (no dead code in what owners approve).
 */
import { quoted } from '../../util/bound.js';
import { ProgramValidationError } from '../errors.js';
import { getOp } from './catalogue.js';
import { checkKnownParams } from './params.js';
import { PROGRAM_LIMITS, PROGRAM_VERSION, type Params, type Program, type ProgramNode } from './types.js';
import { checkScales, columnScales, type ScaleOptions } from './scales.js';
import { inputTableType, OpTypeError, type ValueType } from './value-type.js';

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

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(node: string, problem: string): never {
  throw new ProgramValidationError(node, problem);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) fail(where, `unknown field "${k}"`);
}

function checkName(v: unknown, what: string, where: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > PROGRAM_LIMITS.nameChars || !NAME_RE.test(v)) {
    fail(
      where,
      `${what} must be 1-${PROGRAM_LIMITS.nameChars} characters of A-Z a-z 0-9 _ . - starting with a letter or _`,
    );
  }
  return v;
}

/** Parses the structure of an untrusted program into a normalized {@link Program}. */
export function parseProgram(value: unknown): Program {
  if (!isObj(value)) fail('', 'a program must be a JSON object');
  checkKeys(value, ['version', 'inputs', 'nodes', 'outputs'], '');
  if (value.version !== PROGRAM_VERSION)
    fail('', `unknown version ${quoted(value.version)} (expected ${PROGRAM_VERSION})`);
  const { inputs, nodes, outputs } = value;
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > PROGRAM_LIMITS.inputs) {
    fail('', `"inputs" must be an array of 1-${PROGRAM_LIMITS.inputs} inputs`);
  }
  if (!Array.isArray(nodes) || nodes.length > PROGRAM_LIMITS.nodes)
    fail('', `"nodes" must be an array of at most ${PROGRAM_LIMITS.nodes} nodes`);
  if (!Array.isArray(outputs) || outputs.length === 0 || outputs.length > PROGRAM_LIMITS.outputs) {
    fail('', `"outputs" must be an array of 1-${PROGRAM_LIMITS.outputs} outputs`);
  }
  const names = new Set<string>();
  const program: Program = { version: 1, inputs: [], nodes: [], outputs: [] };
  inputs.forEach((inp: unknown, i) => {
    const where = isObj(inp) && typeof inp.name === 'string' ? inp.name : `inputs[${i}]`;
    if (!isObj(inp)) fail(where, 'an input must be an object { name, columns }');
    checkKeys(inp, ['name', 'columns'], where);
    const name = checkName(inp.name, 'an input name', where);
    if (names.has(name)) fail(name, 'the name is used twice');
    names.add(name);
    const cols = inp.columns;
    if (!Array.isArray(cols) || cols.length === 0 || cols.length > PROGRAM_LIMITS.columns) {
      fail(name, `"columns" must be an array of 1-${PROGRAM_LIMITS.columns} column names`);
    }
    for (const c of cols as unknown[]) {
      if (typeof c !== 'string' || c === '' || c.length > PROGRAM_LIMITS.nameChars)
        fail(name, 'a column name must be a non-empty string');
    }
    const dup = (cols as string[]).find((c, j) => cols.indexOf(c) !== j);
    if (dup !== undefined) fail(name, `column "${dup}" is listed twice`);
    program.inputs.push({ name, columns: [...(cols as string[])] });
  });
  nodes.forEach((n: unknown, i) => {
    const where = isObj(n) && typeof n.id === 'string' ? n.id : `nodes[${i}]`;
    if (!isObj(n)) fail(where, 'a node must be an object { id, op, args, params? }');
    checkKeys(n, ['id', 'op', 'args', 'params'], where);
    const id = checkName(n.id, 'a node id', where);
    if (names.has(id)) fail(id, 'the id is used twice (ids and input names share one namespace)');
    names.add(id);
    if (typeof n.op !== 'string' || n.op === '') fail(id, '"op" must be a non-empty string');
    const args = n.args ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
      fail(id, '"args" must be an array of names');
    if (n.params !== undefined && !isObj(n.params)) fail(id, '"params" must be an object');
    const node: ProgramNode = { id, op: n.op, args: [...(args as string[])] };
    const params = n.params as Params | undefined;
    const problem = params === undefined ? undefined : paramsProblem(params, MAX_PARAMS_DEPTH);
    if (problem !== undefined) fail(id, problem);
    if (params !== undefined && Object.keys(params).length > 0) node.params = structuredClone(params);
    program.nodes.push(node);
  });
  const outNames = new Set<string>();
  outputs.forEach((o: unknown, i) => {
    const where = isObj(o) && typeof o.name === 'string' ? o.name : `outputs[${i}]`;
    if (!isObj(o)) fail(where, 'an output must be an object { name, node }');
    checkKeys(o, ['name', 'node'], where);
    const name = checkName(o.name, 'an output name', where);
    if (outNames.has(name)) fail(name, 'the output name is used twice');
    outNames.add(name);
    if (typeof o.node !== 'string') fail(name, '"node" must name a node');
    program.outputs.push({ name, node: o.node });
  });
  return program;
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

/** Deepest nesting of a node's params (the ops take flat params and short lists). */
export const MAX_PARAMS_DEPTH = 16;

/**
 * What is wrong with a node's params as JSON, if anything: nesting deeper than `max`, or a number
 * that is not finite (JSON's `1e999` parses to Infinity, which no canonical form or op accepts).
 * Iterative: no stack to overflow.
 */
function paramsProblem(v: unknown, max: number): string | undefined {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (typeof x === 'number' && !Number.isFinite(x)) return '"params" hold a number that is not finite';
    if (typeof x !== 'object' || x === null) continue;
    if (d > max) return `"params" nest deeper than ${max} levels`;
    for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return undefined;
}

/**
 * Validates an untrusted program and infers its types.
 * @throws ProgramValidationError naming the node, input or output at fault.
 */
export function validateProgram(value: unknown, options: ValidateOptions = {}): CheckedProgram {
  const program = parseProgram(value);
  const inputNames = new Set(program.inputs.map((i) => i.name));
  const nodeIds = new Set(program.nodes.map((n) => n.id));
  for (const node of program.nodes) {
    const op = getOp(node.op);
    if (op === undefined) fail(node.id, `unknown op "${node.op}"`);
    const { min, max } = op.arity;
    if (node.args.length < min || node.args.length > max) {
      const want =
        min === max ? `${min}` : max >= PROGRAM_LIMITS.args ? `at least ${min}` : `${min} to ${max}`;
      fail(
        node.id,
        `op "${node.op}" takes ${want} argument${want === '1' ? '' : 's'}, got ${node.args.length}`,
      );
    }
    for (const a of node.args) {
      if (!inputNames.has(a) && !nodeIds.has(a))
        fail(node.id, `argument "${a}" is neither an input nor a node`);
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
  for (const o of program.outputs) {
    if (!inputNames.has(o.node) && !nodeIds.has(o.node))
      fail(o.name, `output names "${o.node}", which is neither a node nor an input`);
  }
  const order = topoOrder(program);

  const types = new Map<string, ValueType>();
  const scales = columnScales(program, options.magnitudes);
  for (const inp of program.inputs) {
    const rows = options.rows?.[inp.name];
    if (rows !== undefined && (!Number.isSafeInteger(rows) || rows < 0))
      fail(inp.name, 'row count must be a non-negative integer');
    types.set(
      inp.name,
      inputTableType(
        inp.name,
        inp.columns,
        rows,
        inp.columns.map((c) => scales[c] ?? 0),
      ),
    );
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

  checkScales(order, types, scales, options);

  // Every node and input must feed an output.
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

  return {
    program,
    order,
    types,
    outputs: program.outputs.map((o) => ({ ...o, type: types.get(o.node)! })),
    scales,
  };
}
