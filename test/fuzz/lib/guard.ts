/**
 * The allocation guard: wraps the constructors and functions that allocate in proportion to a
 * number (ArrayBuffer, every typed array, Buffer.alloc*, `new Array(n)`, `Array.from({length})`,
 * String repeat/pad) so that, while a decoder runs, every byte it asks for is counted; a request
 * that would take the total over the budget throws {@link AllocationBudgetError} before anything is
 * allocated (and is remembered, in case the decoder swallows the error).
 *
 * Install it once, before the code under test is imported (a module that kept a reference to the
 * original constructor would not be counted).
 */

/** Thrown (and recorded) when code under test asks for more memory than its budget. */
export class AllocationBudgetError extends Error {
  override readonly name = 'AllocationBudgetError';
}

interface GuardState {
  active: boolean;
  budget: number;
  total: number;
  largest: number;
  violation: string | undefined;
}

const state: GuardState = { active: false, budget: Infinity, total: 0, largest: 0, violation: undefined };
let installed = false;

function charge(bytes: number, what: string): void {
  if (!state.active || !(bytes > 0)) return;
  state.total += bytes;
  if (bytes > state.largest) state.largest = bytes;
  if (state.total > state.budget) {
    state.violation ??= `${what} of ${bytes} bytes took the total to ${state.total} (budget ${state.budget})`;
    state.active = false; // the harness's own reporting may allocate
    throw new AllocationBudgetError(state.violation);
  }
}

/** Bytes a typed-array constructor call allocates (0 for a view on an existing buffer). */
function typedBytes(args: unknown[], bytesPer: number): number {
  const a = args[0];
  if (typeof a === 'number') return a * bytesPer;
  if (a instanceof ArrayBuffer || a instanceof SharedArrayBuffer) return 0;
  if (a !== null && typeof a === 'object' && typeof (a as { length?: unknown }).length === 'number')
    return (a as { length: number }).length * bytesPer;
  return 0;
}

function wrapCtor(name: string, bytes: (args: unknown[]) => number): void {
  const g = globalThis as unknown as Record<string, unknown>;
  const original = g[name] as new (...args: unknown[]) => unknown;
  g[name] = new Proxy(original, {
    construct(target, args, newTarget) {
      charge(bytes(args), `new ${name}`);
      return Reflect.construct(target, args, newTarget === g[name] ? target : newTarget) as object;
    },
    apply(target, thisArg, args) {
      charge(bytes(args), name);
      return Reflect.apply(target as unknown as (...a: unknown[]) => unknown, thisArg, args);
    },
  });
}

/** Installs the guard (idempotent). */
export function installGuard(): void {
  if (installed) return;
  installed = true;
  wrapCtor('ArrayBuffer', (a) => (typeof a[0] === 'number' ? a[0] : 0));
  wrapCtor('SharedArrayBuffer', (a) => (typeof a[0] === 'number' ? a[0] : 0));
  const typed: [string, number][] = [
    ['Uint8Array', 1],
    ['Int8Array', 1],
    ['Uint8ClampedArray', 1],
    ['Uint16Array', 2],
    ['Int16Array', 2],
    ['Uint32Array', 4],
    ['Int32Array', 4],
    ['Float32Array', 4],
    ['Float64Array', 8],
    ['BigUint64Array', 8],
    ['BigInt64Array', 8],
  ];
  for (const [name, per] of typed) wrapCtor(name, (a) => typedBytes(a, per));
  wrapCtor('Array', (a) => (a.length === 1 && typeof a[0] === 'number' ? 8 * a[0] : 0));
  const from = Array.from.bind(Array);
  Array.from = ((src: unknown, ...rest: unknown[]) => {
    const n = (src as { length?: unknown } | null)?.length;
    if (typeof n === 'number' && !Array.isArray(src)) charge(8 * n, 'Array.from');
    return (from as (...a: unknown[]) => unknown)(src, ...rest);
  }) as typeof Array.from;
  for (const fn of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const original = Buffer[fn].bind(Buffer) as (...a: unknown[]) => Buffer;
    (Buffer as unknown as Record<string, unknown>)[fn] = (size: unknown, ...rest: unknown[]) => {
      if (typeof size === 'number') charge(size, `Buffer.${fn}`);
      return original(size, ...rest);
    };
  }
  const proto = String.prototype as unknown as Record<string, (...a: unknown[]) => string>;
  const repeat = proto.repeat!;
  proto.repeat = function (this: string, count: unknown) {
    if (typeof count === 'number') charge(2 * this.length * count, 'String.repeat');
    return repeat.call(this, count);
  };
  for (const fn of ['padStart', 'padEnd'] as const) {
    const original = proto[fn]!;
    proto[fn] = function (this: string, n: unknown, ...rest: unknown[]) {
      if (typeof n === 'number') charge(2 * n, `String.${fn}`);
      return original.call(this, n, ...rest);
    };
  }
}

/** What one guarded call allocated. */
export interface GuardReport {
  /** Bytes asked for in all. */
  total: number;
  /** The largest single request. */
  largest: number;
  /** Set when the budget was exceeded. */
  violation: string | undefined;
}

/** Starts counting against `budget` bytes. */
export function beginGuard(budget: number): void {
  state.active = true;
  state.budget = budget;
  state.total = 0;
  state.largest = 0;
  state.violation = undefined;
}

/** Stops counting and reports. */
export function endGuard(): GuardReport {
  state.active = false;
  return { total: state.total, largest: state.largest, violation: state.violation };
}
