/**
 * JSON trees: plain JSON data plus {@link Raw} leaves (text written as is, for what a JS value cannot
 * hold: `-0`, `1e999`, 10,000 nested arrays); copying, writing, walking and shrinking them.
 */

/** Verbatim JSON text inside a tree. */
export class Raw {
  constructor(
    /** The JSON text. */
    readonly text: string,
    /** Nesting depth when it is a deep nest (for shrinking), else 0. */
    readonly depth = 0,
    /** Nest kind. */
    readonly kind: 'array' | 'object' = 'array',
  ) {}
}

/** `depth` nested arrays (or objects `{"a":...}`) around `leaf`. */
export function deepRaw(depth: number, kind: 'array' | 'object', leaf = '0'): Raw {
  const text =
    kind === 'array'
      ? '['.repeat(depth) + leaf + ']'.repeat(depth)
      : '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
  return new Raw(text, depth, kind);
}

/** A place in a tree: its parent (none for the root), key and value. */
export type Slot = {
  parent: Record<string, unknown> | unknown[] | undefined;
  key: string | number;
  value: unknown;
};

/** A plain object (not an array, not a Raw leaf). */
export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Raw);
}

/** Defines an own enumerable property (so `__proto__` is a key, not the prototype). */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy that keeps Raw leaves and own `__proto__` keys. */
export function cloneTree(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneTree);
  if (isObj(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setKey(out, k, cloneTree(v[k]));
    return out;
  }
  return v;
}

/** The JSON text of a tree (Raw leaves spliced in verbatim). */
export function serialize(tree: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(tree, (_k, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `\u0000RAW${raws.length - 1}\u0000`;
    }
    return v;
  });
  if (text === undefined) return 'null';
  return raws.length === 0
    ? text
    : text.replace(/"\\u0000RAW(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!);
}

/** Every slot of the tree (the root has no parent), at most `cap`, parents before children. */
export function slots(tree: unknown, cap = 4096): Slot[] {
  const out: Slot[] = [{ parent: undefined, key: '', value: tree }];
  for (let i = 0; i < out.length && out.length < cap; i++) {
    const v = out[i]!.value;
    if (Array.isArray(v)) v.forEach((c, k) => out.push({ parent: v, key: k, value: c }));
    else if (isObj(v)) for (const k of Object.keys(v)) out.push({ parent: v, key: k, value: v[k] });
  }
  return out.slice(0, cap);
}

/** Sets the value at `slot`. */
export function put(slot: Slot, value: unknown): void {
  if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = value;
  else if (slot.parent !== undefined) setKey(slot.parent, slot.key as string, value);
}

/** Simpler variants of `tree` (subtrees removed or simplified), for minimization. */
export function* shrinkJson(tree: unknown): Generator<unknown> {
  const count = slots(tree).length;
  for (let i = 0; i < count; i++) {
    for (let variant = 0; variant < 4; variant++) {
      const copy = cloneTree(tree);
      const slot = slots(copy)[i]!;
      const v = slot.value;
      let next: unknown;
      if (variant === 0) {
        if (slot.parent === undefined) continue;
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
        else delete slot.parent[slot.key as string];
        yield copy;
        continue;
      }
      if (variant === 1 && v instanceof Raw && v.depth > 1) next = deepRaw(v.depth >> 1, v.kind);
      else if (variant === 1 && typeof v === 'string' && v.length > 1) next = v.slice(0, v.length >> 1);
      else if (variant === 1 && Array.isArray(v) && v.length > 1) next = v.slice(0, v.length >> 1);
      else if (variant === 2 && (isObj(v) || Array.isArray(v))) next = Array.isArray(v) ? [] : {};
      else if (variant === 3 && v !== null && typeof v !== 'object' && v !== 0 && v !== '') next = 0;
      if (next === undefined) continue;
      if (slot.parent === undefined) yield next;
      else {
        put(slot, next);
        yield copy;
      }
    }
  }
}
