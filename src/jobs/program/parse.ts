/**
 * Program parsing, the first step of validation (validate.ts): the structure of an untrusted
 * program into a normalized {@link Program}, before any op or type is looked at.
 *
 * Version, known keys only, names well formed and unique (inputs and nodes share one namespace,
 * outputs have their own), the limits of PROGRAM_LIMITS, and params that are finite and not nested
 * too deep. Every error names the input, node or output at fault ('' for the program itself).
 */
import { quoted } from '../../util/bound.js';
import { ProgramValidationError } from '../errors.js';
import {
  PROGRAM_LIMITS,
  PROGRAM_VERSION,
  type Params,
  type Program,
  type ProgramInput,
  type ProgramNode,
  type ProgramOutput,
} from './types.js';

/** Deepest nesting of a node's params (the ops take flat params and short lists). */
export const MAX_PARAMS_DEPTH = 16;

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws the {@link ProgramValidationError} naming `node` (an input, node or output) and `problem`. */
export function fail(node: string, problem: string): never {
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

/** The program object itself: known keys, the version, and the three lists within their limits. */
function checkTopLevel(value: unknown): { inputs: unknown[]; nodes: unknown[]; outputs: unknown[] } {
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
  return { inputs, nodes, outputs };
}

/** Input `i`, its name added to `names`: a fresh name and 1 or more distinct column names. */
function parseInput(inp: unknown, i: number, names: Set<string>): ProgramInput {
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
  return { name, columns: [...(cols as string[])] };
}

/** Node `i`, its id added to `names`: a fresh id, an op, names as args, sound params (copied). */
function parseNode(n: unknown, i: number, names: Set<string>): ProgramNode {
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
  return node;
}

/** Output `i`, its name added to `outNames`: a fresh output name and the name of what it reveals. */
function parseOutput(o: unknown, i: number, outNames: Set<string>): ProgramOutput {
  const where = isObj(o) && typeof o.name === 'string' ? o.name : `outputs[${i}]`;
  if (!isObj(o)) fail(where, 'an output must be an object { name, node }');
  checkKeys(o, ['name', 'node'], where);
  const name = checkName(o.name, 'an output name', where);
  if (outNames.has(name)) fail(name, 'the output name is used twice');
  outNames.add(name);
  if (typeof o.node !== 'string') fail(name, '"node" must name a node');
  return { name, node: o.node };
}

/** Parses the structure of an untrusted program into a normalized {@link Program}. */
export function parseProgram(value: unknown): Program {
  const { inputs, nodes, outputs } = checkTopLevel(value);
  const names = new Set<string>();
  const program: Program = { version: 1, inputs: [], nodes: [], outputs: [] };
  inputs.forEach((inp, i) => program.inputs.push(parseInput(inp, i, names)));
  nodes.forEach((n, i) => program.nodes.push(parseNode(n, i, names)));
  const outNames = new Set<string>();
  outputs.forEach((o, i) => program.outputs.push(parseOutput(o, i, outNames)));
  return program;
}
