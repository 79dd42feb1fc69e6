/**
 * The program format: a JSON dataflow graph of ops from a fixed catalogue (no arbitrary code ever
 * runs on anyone's data).
 *
 * A program declares named inputs (tables of named numeric columns; the job binds each to an
 * owner's dataset), nodes (`{ id, op, args, params }`, args naming inputs or other nodes, in any
 * order as long as the graph has no cycle) and outputs (a name and the node whose value the
 * requester receives). Everything is plain JSON so that a program can be stored, sent, signed
 * and hashed (see hash.ts).
 *
 * @example
 * {
 *   "version": 1,
 *   "inputs": [{ "name": "a", "columns": ["age", "bmi"] }, { "name": "b", "columns": ["age", "bmi"] }],
 *   "nodes": [{ "id": "all", "op": "union", "args": ["a", "b"] }, { "id": "m", "op": "mean", "args": ["all"] }],
 *   "outputs": [{ "name": "means", "node": "m" }]
 * }
 */

/** A JSON value (params are JSON). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Params of a node: a JSON object. */
export type Params = { [key: string]: JsonValue };

/** The program format version this code reads and writes. */
export const PROGRAM_VERSION = 1;

/** A named input: a table of the given columns (rows aligned), bound to a dataset by the job. */
export interface ProgramInput {
  /** Name that nodes use as an argument; unique among inputs and node ids. */
  name: string;
  /** Column names, in order, unique. */
  columns: string[];
}

/** One op applied to its arguments. */
export interface ProgramNode {
  /** Unique id (among nodes and inputs). */
  id: string;
  /** An op of the catalogue. */
  op: string;
  /** Input names or node ids, in order. */
  args: string[];
  /** Op parameters (public values only: column names, bin edges, epochs...). */
  params?: Params;
}

/** A value the requester receives. */
export interface ProgramOutput {
  /** Output name (unique). */
  name: string;
  /** The node whose value is revealed. */
  node: string;
}

/** A whole program. */
export interface Program {
  /** Format version, {@link PROGRAM_VERSION}. */
  version: 1;
  /** Named inputs. */
  inputs: ProgramInput[];
  /** Nodes, in any order (the graph must be acyclic). */
  nodes: ProgramNode[];
  /** Outputs (at least one). */
  outputs: ProgramOutput[];
}

/** Limits that keep a program small enough to check and run (a job is untrusted input). */
export const PROGRAM_LIMITS = Object.freeze({
  /** Most inputs. */
  inputs: 64,
  /** Most nodes. */
  nodes: 1000,
  /** Most outputs. */
  outputs: 64,
  /** Most columns of one input or table. */
  columns: 1024,
  /** Most args of one node. */
  args: 64,
  /** Longest id, name or column name. */
  nameChars: 128,
  /** Most histogram edges. */
  histogramEdges: 1025,
  /** Most gradient-descent epochs. */
  epochs: 10_000,
  /** Most elements of a constant. */
  constantElements: 1_000_000,
});
