/**
 * The WebAssembly SIMD Z_2^64 kernel: hand-written WAT (src/tensor/kernels/wasm/ring.wat) with
 * i64x2 elementwise loops and a packed, register-blocked matmul, compiled to build/ring.wasm by
 * scripts/build-wasm.mjs and loaded synchronously here.
 *
 * Operands stay resident: `alloc(n)` hands out BigUint64Array views of the module's own memory, so
 * passing them to an op costs no copy (copies would cost more than the arithmetic, see
 * STACK-NOTES). Any other array still works: it is copied into a scratch block and the result back.
 *
 * Memory scheme: one shared WebAssembly.Memory (shared: true, with a maximum). Growing a shared
 * memory never detaches the views already handed out (each keeps its old SharedArrayBuffer, all
 * over the same backing store), which a plain memory would do on every grow. A first-fit free list
 * with coalescing (in TypeScript) manages the blocks, 64-byte aligned. A block is released when its
 * view is garbage collected (FinalizationRegistry; a `subarray` of a resident view keeps its parent
 * alive) or explicitly with {@link WasmKernel.free}. When the memory reaches its maximum, `alloc`
 * returns a plain `new BigUint64Array(n)` instead of failing, and ops that cannot get scratch space
 * fall back to the reference kernel.
 *
 * Caveats of resident views: their `.buffer` is a SharedArrayBuffer (not an ArrayBuffer); a view
 * must not be used after `free`; and a view built by hand over `.buffer` (rather than with
 * `subarray`) does not keep its block alive.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../util/paths.js';
import {
  assertMatmul,
  assertSameLength,
  assertShift,
  KernelUnavailableError,
  type FusedOps,
  type RingKernel,
} from '../kernel.js';
import { composedFused } from './fused-composed.js';
import { referenceKernel } from './reference.js';

/** Options for {@link loadWasmKernel}; the defaults suit production, tests shrink the memory. */
export interface WasmKernelOptions {
  /** Upper bound of the kernel's memory in bytes (default and cap: 4 GiB - 64 KiB). */
  maxBytes?: number;
  /** Memory reserved at start in bytes (default 1 MiB); it grows on demand up to `maxBytes`. */
  initialBytes?: number;
  /** The compiled module to load (default: build/ring.wasm under the package root). */
  wasmPath?: string;
}

/** Occupancy of the kernel's memory, for tests and diagnostics. */
export interface WasmMemoryStats {
  /** Current size of the memory in bytes. */
  capacityBytes: number;
  /** The most the memory may grow to, in bytes. */
  maxBytes: number;
  /** Bytes in live blocks (rounded up to 64 bytes each). */
  liveBytes: number;
  /** Number of live resident blocks (allocated and neither freed nor collected). */
  liveBlocks: number;
  /** Bytes in the free list (below the bump pointer). */
  freeListBytes: number;
  /** `alloc` calls that returned a plain, non-resident array because the memory was full. */
  fallbackAllocs: number;
}

/** The WebAssembly kernel: a RingKernel plus control over its resident memory. */
export interface WasmKernel extends RingKernel {
  readonly name: 'wasm';
  /**
   * Releases the block behind a view returned by `alloc` right away instead of at garbage
   * collection. The view (and any subarray of it) must not be used afterwards. Returns false, and
   * does nothing, for any other array (a plain array, a subarray, an already freed view).
   */
  free(view: BigUint64Array): boolean;
  /** Whether `view` lives in the kernel's memory (ops on it then copy nothing). */
  isResident(view: BigUint64Array): boolean;
  /** Occupancy of the kernel's memory. */
  stats(): WasmMemoryStats;
}

/** The exports of ring.wasm (pointers are byte offsets, counts are words). */
interface RingExports {
  add(a: number, b: number, o: number, n: number): void;
  sub(a: number, b: number, o: number, n: number): void;
  mul(a: number, b: number, o: number, n: number): void;
  and(a: number, b: number, o: number, n: number): void;
  or(a: number, b: number, o: number, n: number): void;
  xor(a: number, b: number, o: number, n: number): void;
  mulAdd(a: number, b: number, c: number, o: number, n: number): void;
  neg(a: number, o: number, n: number): void;
  not(a: number, o: number, n: number): void;
  addScalar(a: number, s: bigint, o: number, n: number): void;
  mulScalar(a: number, s: bigint, o: number, n: number): void;
  shl(a: number, k: number, o: number, n: number): void;
  shrLogical(a: number, k: number, o: number, n: number): void;
  shrArithmetic(a: number, k: number, o: number, n: number): void;
  zero(p: number, bytes: number): void;
  matmul(
    a: number,
    b: number,
    c: number,
    m: number,
    k: number,
    n: number,
    scratch: number,
    kb: number,
    nb: number,
  ): void;
}

/** Parameter counts of the exports, checked at load so a stale build is refused, not misused. */
const EXPORT_ARITY: Record<keyof RingExports, number> = {
  add: 4,
  sub: 4,
  mul: 4,
  and: 4,
  or: 4,
  xor: 4,
  mulAdd: 5,
  neg: 3,
  not: 3,
  addScalar: 4,
  mulScalar: 4,
  shl: 4,
  shrLogical: 4,
  shrArithmetic: 4,
  zero: 2,
  matmul: 9,
};

const PAGE = 65536;
/** 65535 pages: no block may end at byte 2^32, where the module's 32-bit end pointers would wrap. */
const MAX_PAGES = 65535;
/** Block alignment and size granularity (a cache line). */
const ALIGN = 64;
/** The first bytes stay unused, so no block starts at address 0. */
const HEAP_BASE = 64;
/**
 * Matmul blocking: a kb x nb panel of b is packed (kb * nb * 16 bytes) and reused by every group of
 * 4 rows of a. Measured on 512 x 512 (2-core AVX-512 Xeon, Node 20): panels of 0.5-1 MiB (128-256 x
 * 256, 192 x 192) are best and equal within noise; 64 x 64 is ~20% slower, 512 x 512 (4 MiB, past
 * the 2 MiB L2) ~15% slower when other processes share the caches.
 */
const MATMUL_KB = 256;
const MATMUL_NB = 256;

let compiled: { path: string; module: WebAssembly.Module } | undefined;

function compile(path: string): WebAssembly.Module {
  if (compiled?.path === path) return compiled.module;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KernelUnavailableError(
      'wasm',
      code === 'ENOENT'
        ? `${path} is missing (build it with \`npm run build:wasm\`, which needs the wabt devDependency)`
        : `cannot read ${path}: ${(err as Error).message}`,
    );
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(new Uint8Array(bytes));
  } catch (err) {
    throw new KernelUnavailableError('wasm', `${path} is not a valid module here: ${(err as Error).message}`);
  }
  compiled = { path, module };
  return module;
}

function roundUp(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

/**
 * First-fit allocator over the shared memory: a bump pointer plus an address-ordered free list that
 * coalesces neighbours and gives a block that ends at the bump pointer back to it.
 */
class Heap {
  /** Free blocks, sorted by offset, never adjacent to each other or to `top`. */
  private readonly freeOff: number[] = [];
  private readonly freeLen: number[] = [];
  /** Everything at or above `top` is unallocated. */
  private top = HEAP_BASE;
  /** Everything at or above `clean` has never been handed out, so it is still zero. */
  private clean = HEAP_BASE;
  freeListBytes = 0;
  words: BigUint64Array;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly maxPages: number,
    private readonly zero: (p: number, bytes: number) => void,
    private readonly onGrow: (buffer: SharedArrayBuffer) => void,
  ) {
    this.words = new BigUint64Array(memory.buffer);
    onGrow(memory.buffer as unknown as SharedArrayBuffer);
  }

  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  /** Allocates `bytes` (a multiple of ALIGN); returns the offset, or -1 when the memory is full. */
  alloc(bytes: number, zeroed: boolean): number {
    let off = this.takeFree(bytes);
    if (off < 0) {
      if (this.top + bytes > this.capacity && !this.grow(this.top + bytes)) return -1;
      off = this.top;
      this.top += bytes;
    }
    if (zeroed && off < this.clean) this.zero(off, Math.min(bytes, this.clean - off));
    if (off + bytes > this.clean) this.clean = off + bytes;
    return off;
  }

  /** Returns a block to the free list. */
  release(off: number, bytes: number): void {
    const offs = this.freeOff;
    const lens = this.freeLen;
    // First free block above `off`.
    let lo = 0;
    let hi = offs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offs[mid]! < off) lo = mid + 1;
      else hi = mid;
    }
    let start = off;
    let len = bytes;
    let at = lo;
    let remove = 0;
    if (at > 0 && offs[at - 1]! + lens[at - 1]! === start) {
      at--;
      start = offs[at]!;
      len += lens[at]!;
      this.freeListBytes -= lens[at]!;
      remove++;
    }
    if (lo < offs.length && offs[lo]! === off + bytes) {
      len += lens[lo]!;
      this.freeListBytes -= lens[lo]!;
      remove++;
    }
    if (start + len === this.top) {
      // The block touches the bump region: give it back there.
      this.top = start;
      offs.splice(at, remove);
      lens.splice(at, remove);
      return;
    }
    offs.splice(at, remove, start);
    lens.splice(at, remove, len);
    this.freeListBytes += len;
  }

  private takeFree(bytes: number): number {
    const offs = this.freeOff;
    const lens = this.freeLen;
    for (let i = 0; i < offs.length; i++) {
      const len = lens[i]!;
      if (len < bytes) continue;
      const off = offs[i]!;
      if (len === bytes) {
        offs.splice(i, 1);
        lens.splice(i, 1);
      } else {
        offs[i] = off + bytes;
        lens[i] = len - bytes;
      }
      this.freeListBytes -= bytes;
      return off;
    }
    return -1;
  }

  /** Grows the memory to hold at least `needBytes`; false when that exceeds the maximum. */
  private grow(needBytes: number): boolean {
    const pages = this.capacity / PAGE;
    const need = Math.ceil(needBytes / PAGE);
    if (need > this.maxPages) return false;
    // Double (pages are only committed when touched), but never past the maximum.
    const target = Math.min(this.maxPages, Math.max(need, pages * 2));
    for (const to of target > need ? [target, need] : [need]) {
      try {
        this.memory.grow(to - pages);
        const buffer = this.memory.buffer as unknown as SharedArrayBuffer;
        this.words = new BigUint64Array(buffer);
        this.onGrow(buffer);
        return true;
      } catch {
        // out of address space or memory: try the smaller target, then give up
      }
    }
    return false;
  }
}

/** A resident block: where it lives. Held by the finalization registry, so it must not hold the view. */
interface Block {
  off: number;
  bytes: number;
}

/** Parents of resident subarrays: a subarray keeps the view that owns its block alive. */
const parents = new WeakMap<BigUint64Array, BigUint64Array>();

/** `subarray` for resident views: like the builtin, but the result keeps `this` alive. */
function residentSubarray(this: BigUint64Array, begin?: number, end?: number): BigUint64Array {
  const s = BigUint64Array.prototype.subarray.call(this, begin, end);
  parents.set(s, this);
  Object.defineProperty(s, 'subarray', { value: residentSubarray, writable: true, configurable: true });
  return s;
}

/**
 * Loads the WebAssembly SIMD kernel synchronously from build/ring.wasm.
 *
 * Throws {@link KernelUnavailableError} when the module is missing (not built, e.g. an install
 * without devDependencies), invalid or stale, or when this engine lacks SIMD or shared memory.
 * Each call creates an independent instance with its own memory; the registry keeps one.
 */
export function loadWasmKernel(options: WasmKernelOptions = {}): WasmKernel {
  const path = options.wasmPath ?? join(packageRoot(), 'build', 'ring.wasm');
  const module = compile(path);
  const maxPages = Math.max(1, Math.min(MAX_PAGES, Math.floor((options.maxBytes ?? Infinity) / PAGE)));
  const initialPages = Math.max(1, Math.min(maxPages, Math.ceil((options.initialBytes ?? 1 << 20) / PAGE)));

  let memory: WebAssembly.Memory;
  let ex: RingExports;
  try {
    memory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages, shared: true });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    ex = instance.exports as unknown as RingExports;
  } catch (err) {
    throw new KernelUnavailableError('wasm', `cannot instantiate ${path}: ${(err as Error).message}`);
  }
  for (const [fn, arity] of Object.entries(EXPORT_ARITY)) {
    const f = (ex as unknown as Record<string, unknown>)[fn];
    if (typeof f !== 'function' || f.length !== arity) {
      throw new KernelUnavailableError(
        'wasm',
        `${path} is stale: export ${fn} is missing or has another signature`,
      );
    }
  }

  const buffers = new WeakSet<object>();
  const heap = new Heap(memory, maxPages, ex.zero, (buffer) => buffers.add(buffer));
  const blocks = new WeakMap<BigUint64Array, Block>();
  let liveBlocks = 0;
  let liveBytes = 0;
  let fallbackAllocs = 0;
  const release = (block: Block): void => {
    heap.release(block.off, block.bytes);
    liveBlocks--;
    liveBytes -= block.bytes;
  };
  const registry = new FinalizationRegistry<Block>(release);
  const ref = referenceKernel();

  const isResident = (v: BigUint64Array): boolean => buffers.has(v.buffer);

  function alloc(n: number): BigUint64Array {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`alloc: ${n} is not a word count`);
    if (n === 0) return new BigUint64Array(0);
    const bytes = roundUp(n * 8);
    const off = bytes < heap.maxPages * PAGE ? heap.alloc(bytes, true) : -1;
    if (off < 0) {
      fallbackAllocs++;
      return new BigUint64Array(n);
    }
    const view = new BigUint64Array(memory.buffer, off, n);
    Object.defineProperty(view, 'subarray', { value: residentSubarray, writable: true, configurable: true });
    const block: Block = { off, bytes };
    blocks.set(view, block);
    registry.register(view, block, view);
    liveBlocks++;
    liveBytes += bytes;
    return view;
  }

  function free(view: BigUint64Array): boolean {
    const block = blocks.get(view);
    if (block === undefined) return false;
    blocks.delete(view);
    registry.unregister(view);
    release(block);
    return true;
  }

  /**
   * Runs `run` with every operand resident: arrays that are not are copied into one scratch block
   * (inputs first; the output, unless it is one of the inputs, gets space without a copy), and the
   * output is copied back afterwards. `extra` more bytes of scratch are passed to `run` when asked
   * for (-1 otherwise). Returns false, having done nothing, when no scratch space is left; the
   * caller then uses the reference kernel. A non-resident output that is also an input shares that
   * input's copy, which is right for elementwise ops only (matmul never passes one).
   */
  function staged(
    inputs: BigUint64Array[],
    out: BigUint64Array,
    extra: number,
    run: (ptrs: number[], outPtr: number, extraPtr: number) => void,
  ): boolean {
    let need = extra;
    const ptrs = new Array<number>(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const v = inputs[i]!;
      if (isResident(v)) ptrs[i] = v.byteOffset;
      else {
        const same = inputs.indexOf(v);
        if (same < i) ptrs[i] = -2 - same;
        else {
          ptrs[i] = -1;
          need += roundUp(v.byteLength);
        }
      }
    }
    const outResident = isResident(out);
    const outInput = outResident ? -1 : inputs.indexOf(out);
    if (!outResident && outInput < 0) need += roundUp(out.byteLength);
    let base = -1;
    if (need > 0) {
      base = heap.alloc(need, false);
      if (base < 0) return false;
    }
    let at = base;
    const words = heap.words;
    for (let i = 0; i < inputs.length; i++) {
      if (ptrs[i] === -1) {
        ptrs[i] = at;
        words.set(inputs[i]!, at / 8);
        at += roundUp(inputs[i]!.byteLength);
      }
    }
    for (let i = 0; i < inputs.length; i++) if (ptrs[i]! < -1) ptrs[i] = ptrs[-2 - ptrs[i]!]!;
    let outPtr: number;
    if (outResident) outPtr = out.byteOffset;
    else if (outInput >= 0) outPtr = ptrs[outInput]!;
    else {
      outPtr = at;
      at += roundUp(out.byteLength);
    }
    try {
      run(ptrs, outPtr, extra > 0 ? at : -1);
      if (!outResident) out.set(heap.words.subarray(outPtr / 8, outPtr / 8 + out.length));
    } finally {
      if (base >= 0) heap.release(base, need);
    }
    return true;
  }

  type Binary = (a: number, b: number, o: number, n: number) => void;
  type Unary = (a: number, o: number, n: number) => void;

  const binary =
    (op: 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor') =>
    (a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void => {
      assertSameLength(op, a, b, out);
      const n = out.length;
      if (n === 0) return;
      const f: Binary = ex[op];
      if (isResident(a) && isResident(b) && isResident(out)) f(a.byteOffset, b.byteOffset, out.byteOffset, n);
      else if (!staged([a, b], out, 0, (p, o) => f(p[0]!, p[1]!, o, n))) ref[op](a, b, out);
    };

  const unary =
    (op: 'neg' | 'not') =>
    (a: BigUint64Array, out: BigUint64Array): void => {
      assertSameLength(op, a, out);
      const n = out.length;
      if (n === 0) return;
      const f: Unary = ex[op];
      if (isResident(a) && isResident(out)) f(a.byteOffset, out.byteOffset, n);
      else if (!staged([a], out, 0, (p, o) => f(p[0]!, o, n))) ref[op](a, out);
    };

  const scalar =
    (op: 'addScalar' | 'mulScalar') =>
    (a: BigUint64Array, s: bigint, out: BigUint64Array): void => {
      assertSameLength(op, a, out);
      if (typeof s !== 'bigint') throw new TypeError(`${op}: the scalar must be a bigint`);
      const n = out.length;
      if (n === 0) return;
      const f = ex[op];
      if (isResident(a) && isResident(out)) f(a.byteOffset, s, out.byteOffset, n);
      else if (!staged([a], out, 0, (p, o) => f(p[0]!, s, o, n))) ref[op](a, s, out);
    };

  const shift =
    (op: 'shl' | 'shrLogical' | 'shrArithmetic') =>
    (a: BigUint64Array, k: number, out: BigUint64Array): void => {
      assertSameLength(op, a, out);
      assertShift(k);
      const n = out.length;
      if (n === 0) return;
      const f = ex[op];
      if (isResident(a) && isResident(out)) f(a.byteOffset, k, out.byteOffset, n);
      else if (!staged([a], out, 0, (p, o) => f(p[0]!, k, o, n))) ref[op](a, k, out);
    };

  /** Whether two resident views share any byte. */
  const overlaps = (x: BigUint64Array, y: BigUint64Array): boolean =>
    x.byteLength > 0 &&
    y.byteLength > 0 &&
    x.byteOffset < y.byteOffset + y.byteLength &&
    y.byteOffset < x.byteOffset + x.byteLength;

  const base: Omit<WasmKernel, keyof FusedOps> = {
    name: 'wasm',
    description: 'WebAssembly SIMD (i64x2), resident shared memory',
    alloc,
    free,
    isResident,
    stats: () => ({
      capacityBytes: heap.capacity,
      maxBytes: heap.maxPages * PAGE,
      liveBytes,
      liveBlocks,
      freeListBytes: heap.freeListBytes,
      fallbackAllocs,
    }),
    add: binary('add'),
    sub: binary('sub'),
    mul: binary('mul'),
    and: binary('and'),
    or: binary('or'),
    xor: binary('xor'),
    mulAdd(a, b, c, out) {
      assertSameLength('mulAdd', a, b, c, out);
      const n = out.length;
      if (n === 0) return;
      if (isResident(a) && isResident(b) && isResident(c) && isResident(out))
        ex.mulAdd(a.byteOffset, b.byteOffset, c.byteOffset, out.byteOffset, n);
      else if (!staged([a, b, c], out, 0, (p, o) => ex.mulAdd(p[0]!, p[1]!, p[2]!, o, n)))
        ref.mulAdd(a, b, c, out);
    },
    neg: unary('neg'),
    not: unary('not'),
    addScalar: scalar('addScalar'),
    mulScalar: scalar('mulScalar'),
    shl: shift('shl'),
    shrLogical: shift('shrLogical'),
    shrArithmetic: shift('shrArithmetic'),
    matmul(a, b, out, m, k, n) {
      assertMatmul(a, b, out, m, k, n);
      if (out.length === 0) return;
      const kb = Math.max(1, Math.min(MATMUL_KB, k));
      const nb = Math.max(1, Math.min(MATMUL_NB, n));
      const packBytes = roundUp(kb * 64 + Math.ceil(nb / 2) * kb * 32);
      // The contract forbids out aliasing a or b; computing into scratch then keeps it correct anyway.
      const run = (p: number[], o: number, scratch: number) =>
        ex.matmul(p[0]!, p[1]!, o, m, k, n, scratch, kb, nb);
      // The contract forbids out aliasing a or b. Should it happen anyway, the product is computed
      // into a separate array and copied over, which keeps the result right.
      const aliased = isResident(out)
        ? (isResident(a) && overlaps(out, a)) || (isResident(b) && overlaps(out, b))
        : out === a || out === b || out.buffer === a.buffer || out.buffer === b.buffer;
      const target = aliased ? new BigUint64Array(out.length) : out;
      if (!staged([a, b], target, packBytes, run)) ref.matmul(a, b, target, m, k, n);
      if (aliased) out.set(target);
    },
  };
  // The fused rep3 ops as chains of the ops above (no single-pass loops in ring.wat yet).
  const kernel: WasmKernel = { ...base, ...composedFused(base, free) };

  // A quick exact check, so that an engine that miscompiles the module never gets used. (No
  // warm-up: V8 tiers each function up from its baseline compiler after ~20k loop turns of use,
  // so only the first large call of each op runs on baseline code.)
  selfCheck(kernel);
  return kernel;
}

/** Exact checks on values whose products need all 64 bits; throws KernelUnavailableError. */
function selfCheck(k: WasmKernel): void {
  const n = 37;
  const a = k.alloc(n);
  const b = k.alloc(n);
  const c = k.alloc(n * n);
  try {
    for (let i = 0; i < n; i++) {
      a[i] = BigInt.asUintN(64, 0x9e3779b97f4a7c15n * BigInt(i + 1));
      b[i] = BigInt.asUintN(64, 0xc2b2ae3d27d4eb4fn * BigInt(i + 3));
    }
    // Outer product: 36 rows through the packed micro-kernel, 1 through the plain path, odd n.
    k.matmul(a, b, c, n, 1, n);
    let ok = true;
    for (let i = 0; i < n * n; i++) ok &&= c[i] === BigInt.asUintN(64, a[Math.floor(i / n)]! * b[i % n]!);
    k.mulAdd(a, b, a, c.subarray(0, n));
    for (let i = 0; i < n; i++) ok &&= c[i] === BigInt.asUintN(64, a[i]! * b[i]! + a[i]!);
    if (!ok) throw new KernelUnavailableError('wasm', 'self-check failed: wrong products on this engine');
  } finally {
    k.free(a);
    k.free(b);
    k.free(c);
  }
}
