/**
 * Structure-aware mutations of JSON values: subtree deletion, duplication and replacement (also
 * with subtrees of other seeds), type swaps, numeric extremes (1e308, -0, 2^53+1, 1e999, NaN-like
 * strings), huge strings and arrays, deep nesting (~10,000 levels) and prototype keys
 * (`__proto__`, `constructor`...), on the trees of json-tree.ts.
 */
import { cloneTree, deepRaw, isObj, put, Raw, serialize, setKey, slots } from './json-tree.js';
import type { Rng } from './rng.js';

export { cloneTree, deepRaw, Raw, serialize, setKey, shrinkJson } from './json-tree.js';

/** Keys that trip naive object handling. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];

const RAW_NUMBERS = [
  '-0',
  '1e999',
  '-1e999',
  '9007199254740993',
  '-9007199254740993',
  '1E+2',
  '0.0',
  '1e-400',
];
const NUMBERS = [
  0,
  1,
  -1,
  2,
  0.5,
  -0.5,
  1.5,
  3,
  8,
  16,
  32,
  62,
  63,
  64,
  100,
  255,
  256,
  1024,
  65535,
  65536,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53,
  -(2 ** 53),
  1e21,
  1e308,
  -1e308,
  5e-324,
  1e-7,
];
const STRINGS = [
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e308',
  '-0',
  '0x10',
  '1',
  'null',
  'true',
  '\u0000',
  '\ud800',
  '\u202e',
  'é',
  '😀',
  '../x',
  '%s%n',
  'a/b',
  'A',
  '*',
  'self',
  '2030-01-01T00:00:00.000Z',
  'x'.repeat(300),
];

/** Options of {@link mutateJson}. */
export interface JsonMutateOptions {
  /** Strings worth trying (names, ops, peer ids of the target's world). */
  dictionary?: readonly string[];
  /** Other trees to take subtrees from. */
  donors?: readonly unknown[];
  /** Most stacked mutations per call (default 4). */
  maxStack?: number;
}

/** Most characters one growth mutation adds. */
const GROW_LIMIT = 2 << 20;

function interesting(rng: Rng, dictionary: readonly string[]): unknown {
  switch (rng.int(8)) {
    case 0:
      return new Raw(rng.pick(RAW_NUMBERS));
    case 1:
    case 2:
      return rng.pick(NUMBERS) * (rng.chance(0.2) ? -1 : 1);
    case 3:
      return rng.pick(STRINGS);
    case 4:
      return dictionary.length > 0 ? rng.pick(dictionary) : rng.pick(STRINGS);
    case 5:
      return rng.pick([null, true, false]);
    case 6:
      return rng.pick([{}, [], [[]], { a: {} }, [null]]);
    default:
      return rng.int(1000);
  }
}

function typeSwap(rng: Rng, v: unknown): unknown {
  if (typeof v === 'number') return rng.chance(0.5) ? String(v) : [v];
  if (typeof v === 'string') return rng.chance(0.5) ? Number(v) || v.length : { [v]: v };
  if (typeof v === 'boolean') return rng.pick([String(v), Number(v), null]);
  if (Array.isArray(v)) return rng.chance(0.5) ? Object.assign({}, v) : (v[0] ?? null);
  if (isObj(v)) return rng.chance(0.5) ? Object.values(v) : [v];
  return rng.pick([0, '', {}, []]);
}

function tweak(rng: Rng, v: unknown, dictionary: readonly string[]): unknown {
  if (typeof v === 'number') {
    return rng.pick([v + 1, v - 1, -v, v * 2, v / 2, v * 1e6, Math.floor(v / 3), v + 0.5, v + 2 ** 32]);
  }
  if (typeof v === 'string') {
    switch (rng.int(6)) {
      case 0:
        return v + rng.pick(STRINGS);
      case 1:
        return v.slice(0, rng.int(v.length + 1));
      case 2:
        return v.toUpperCase();
      case 3:
        return `${v.slice(0, 1)}\u0000${v.slice(1)}`;
      case 4:
        return v.length < GROW_LIMIT ? v + v : v;
      default:
        return dictionary.length > 0 ? rng.pick(dictionary) : '';
    }
  }
  return interesting(rng, dictionary);
}

/** One mutation; returns the (possibly new) root. Mutates `tree` in place. */
export function mutateJsonOnce(rng: Rng, tree: unknown, options: JsonMutateOptions = {}): unknown {
  const dictionary = options.dictionary ?? [];
  const all = slots(tree);
  const slot = rng.chance(0.7) && all.length > 1 ? all[1 + rng.int(all.length - 1)]! : rng.pick(all);
  const replace = (v: unknown): unknown => {
    if (slot.parent === undefined) return v;
    put(slot, v);
    return tree;
  };
  const r = rng.int(100);
  if (r < 12) {
    // delete the subtree
    if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
    else if (slot.parent !== undefined) delete slot.parent[slot.key as string];
    return tree;
  }
  if (r < 20) {
    // duplicate it (next to itself, or under a new key)
    if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 0, cloneTree(slot.value));
    else if (slot.parent !== undefined)
      setKey(
        slot.parent,
        dictionary.length > 0 ? rng.pick(dictionary) : `${slot.key}2`,
        cloneTree(slot.value),
      );
    return tree;
  }
  if (r < 38) return replace(interesting(rng, dictionary));
  if (r < 48) return replace(typeSwap(rng, slot.value));
  if (r < 62) return replace(tweak(rng, slot.value, dictionary));
  if (r < 72) {
    // a subtree of this tree or of another seed
    const donor = options.donors?.length && rng.chance(0.5) ? rng.pick(options.donors) : tree;
    return replace(cloneTree(rng.pick(slots(donor)).value));
  }
  if (r < 82) {
    // add a key (often a prototype key) or an element
    const target = isObj(slot.value) || Array.isArray(slot.value) ? slot.value : slot.parent;
    const value = rng.chance(0.5) ? interesting(rng, dictionary) : cloneTree(slot.value);
    if (Array.isArray(target)) target.splice(rng.int(target.length + 1), 0, value);
    else if (target !== undefined) {
      const key = rng.chance(0.5) ? rng.pick(PROTO_KEYS) : dictionary.length ? rng.pick(dictionary) : 'x';
      setKey(target, key, value);
    }
    return target === undefined ? replace(value) : tree;
  }
  if (r < 90) {
    // grow an array (or a string) a lot
    let n = rng.pick([10, 100, 1000, 5000]);
    if (Array.isArray(slot.value)) {
      const item = slot.value.length > 0 ? rng.pick(slot.value) : interesting(rng, dictionary);
      n = Math.min(n, Math.floor(GROW_LIMIT / (serialize(item).length + 1))); // stay writable
      for (let i = 0; i < n; i++) slot.value.push(cloneTree(item));
      return tree;
    }
    if (typeof slot.value !== 'string') return replace([slot.value]);
    const times = rng.pick([n, 20 * n, 200 * n]); // long runs of valid text (a peer id, a name)
    return replace(
      slot.value.repeat(Math.max(1, Math.min(times, Math.floor(GROW_LIMIT / (slot.value.length + 1))))),
    );
  }
  if (r < 95) {
    // deep nesting
    const depth = rng.pick([64, 1000, 4000, 10_000, 50_000]);
    return replace(deepRaw(depth, rng.chance(0.5) ? 'array' : 'object', rng.chance(0.5) ? '0' : '{}'));
  }
  // a huge string
  const n = rng.pick([1 << 12, 1 << 16, 1 << 20]);
  return replace(rng.pick(['a', 'é', '\\', '0']).repeat(n));
}

/** 1 to `maxStack` stacked mutations of a copy of `tree`. */
export function mutateJson(rng: Rng, tree: unknown, options: JsonMutateOptions = {}): unknown {
  let out = cloneTree(tree);
  const n = rng.stack(options.maxStack ?? 4);
  for (let i = 0; i < n; i++) out = mutateJsonOnce(rng, out, options);
  return out;
}
