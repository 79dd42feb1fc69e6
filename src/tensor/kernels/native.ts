/**
 * The native Z_2^64 kernel: a plain N-API C++ addon (native/ring.cc) built at install time by
 * scripts/build-native.mjs into build/Release/peermpc_ring.node.
 *
 * The addon works on the memory of the BigUint64Arrays it is given (ArrayBuffer or SharedArrayBuffer
 * backed), so `alloc` is a plain `new BigUint64Array(n)` and nothing is copied. Its loops are compiled
 * for several x86 levels and one is picked at load from the CPU's features; large matmuls are split
 * across min(hardware threads, PEERMPC_THREADS) threads of a persistent pool. PEERMPC_NATIVE_LEVEL
 * forces a lower level.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../util/paths.js';
import { KernelUnavailableError, type RingKernel } from '../kernel.js';
import { largeWords } from '../../util/large-buffers.js';

/** A dispatch level of the native kernel, lowest first. `avx512-ifma` uses AVX-512 IFMA for matmul. */
export type NativeLevel = 'generic' | 'avx2' | 'avx512' | 'avx512-ifma';

/** The current level's matmul blocking and the product sizes at which its strategies change. */
export interface NativeBlocking {
  /** Microkernel rows (of A and C). */
  readonly mr: number;
  /** Microkernel columns (of B and C). */
  readonly nr: number;
  /** Depth (k) block. */
  readonly kc: number;
  /** Rows of A per packed block. */
  readonly mc: number;
  /** Columns of B per block. */
  readonly nc: number;
  /** Products with fewer multiply-adds (m*k*n) use the unblocked loop. */
  readonly blockedMinMacs: number;
  /** Products with fewer multiply-adds run on one thread. */
  readonly threadMinMacs: number;
  /** Elementwise ops use one thread per this many words (up to the thread count). */
  readonly elementwiseWordsPerThread: number;
}

/** Dispatch controls of the loaded addon, for tests, benchmarks and diagnostics. */
export interface NativeDispatch {
  /** The level in use. */
  level(): NativeLevel;
  /** Every level this CPU supports, lowest first. */
  levels(): NativeLevel[];
  /** Switches every native kernel in the process to `level`; throws RangeError if unsupported. */
  setLevel(level: NativeLevel): void;
  /** How many threads a large matmul uses. */
  threads(): number;
  /** Sets the matmul thread count (1..256; may exceed the hardware's, for tests). */
  setThreads(n: number): void;
  /** The current level's matmul blocking. */
  blocking(): NativeBlocking;
  /** Gives the C allocator's free memory back to the OS (glibc `malloc_trim`); true when some was. */
  trimHeap?(): boolean;
  /** Sets glibc's mmap and trim thresholds (bytes); true when both were set. */
  tuneHeap?(mmapBytes: number, trimBytes: number): boolean;
  /** Writes the low `lane` bytes of each word into `out` (words.length * lane bytes). */
  packLanes?(words: BigUint64Array, lane: 1 | 2 | 4, out: Uint8Array): void;
  /** Zero-extends each `lane`-byte lane of `bytes` into a word of `out`. */
  unpackLanes?(bytes: Uint8Array, lane: 1 | 2 | 4, out: BigUint64Array): void;
  /** Worker threads the kernel's pool holds (created on first need, kept between calls). */
  poolSize?(): number;
}

type Ops = Omit<RingKernel, 'name' | 'description' | 'alloc'>;
type Addon = Ops & NativeDispatch;

/** Where the install script puts the addon. */
export function nativeAddonPath(): string {
  return join(packageRoot(), 'build', 'Release', 'peermpc_ring.node');
}

let loaded: Addon | undefined;
let loadError: KernelUnavailableError | undefined;

function loadAddon(): Addon {
  if (loaded !== undefined) return loaded;
  if (loadError !== undefined) throw loadError;
  const path = nativeAddonPath();
  if (!existsSync(path)) {
    loadError = new KernelUnavailableError(
      'native',
      `${path} is not built (needs a C++ compiler at install; rebuild with: node scripts/build-native.mjs)`,
    );
    throw loadError;
  }
  try {
    loaded = createRequire(import.meta.url)(path) as Addon;
    tuneHeap(loaded);
    return loaded;
  } catch (err) {
    loadError = new KernelUnavailableError('native', `${path} does not load: ${(err as Error).message}`);
    throw loadError;
  }
}

/** Buffers below this many bytes come from the C heap instead of a fresh mmap each (glibc). */
export const HEAP_MMAP_THRESHOLD = 1 << 30;
/** Free memory kept at the top of the C heap between ops, until the process goes idle. */
export const HEAP_TRIM_THRESHOLD = 1 << 30;

/**
 * Makes freed share buffers reusable (native/ring.cc js_tune_heap): with glibc's defaults every
 * large buffer is a fresh mmap that page-faults on first touch, which cost more than the arithmetic
 * on it. Skipped when the user tunes malloc through its own environment variables or sets
 * PEERMPC_HEAP_TUNING=0; idle processes give the memory back (src/node/mpc/release.ts).
 */
function tuneHeap(addon: Addon): void {
  if (process.env.PEERMPC_HEAP_TUNING === '0') return;
  if (process.env.MALLOC_MMAP_THRESHOLD_ !== undefined || process.env.MALLOC_TRIM_THRESHOLD_ !== undefined)
    return;
  // glibc refuses an mmap threshold above its maximum (32 MiB on some builds): then try that.
  if (addon.tuneHeap?.(HEAP_MMAP_THRESHOLD, HEAP_TRIM_THRESHOLD) === false) {
    addon.tuneHeap(32 << 20, HEAP_TRIM_THRESHOLD);
  }
}

/**
 * Loads the native N-API kernel (synchronously).
 * @throws KernelUnavailableError when the addon was not built or does not load on this machine.
 */
export function loadNativeKernel(): RingKernel {
  const addon = loadAddon();
  return {
    name: 'native',
    get description() {
      return `N-API C++ (${addon.level()}, ${addon.threads()} threads)`;
    },
    alloc: largeWords,
    add: addon.add,
    sub: addon.sub,
    mul: addon.mul,
    mulAdd: addon.mulAdd,
    neg: addon.neg,
    addScalar: addon.addScalar,
    mulScalar: addon.mulScalar,
    and: addon.and,
    or: addon.or,
    xor: addon.xor,
    not: addon.not,
    shl: addon.shl,
    shrLogical: addon.shrLogical,
    shrArithmetic: addon.shrArithmetic,
    matmul: addon.matmul,
    mulAdd3: addon.mulAdd3,
    subMulScalar: addon.subMulScalar,
    selectLanes: addon.selectLanes,
    unwrapLanes: addon.unwrapLanes,
    wrapSend: addon.wrapSend,
  };
}

/**
 * The native addon's dispatch controls (level and thread count are process-wide).
 * @throws KernelUnavailableError when the addon was not built or does not load on this machine.
 */
export function nativeDispatch(): NativeDispatch {
  const addon = loadAddon();
  return {
    level: () => addon.level(),
    levels: () => addon.levels(),
    setLevel: (level) => addon.setLevel(level),
    threads: () => addon.threads(),
    setThreads: (n) => addon.setThreads(n),
    blocking: () => addon.blocking(),
    poolSize: () => addon.poolSize?.() ?? 0,
  };
}

/**
 * Loads the native addon, if built, for its allocator tuning alone (see tuneHeap): a process that
 * receives large MPC messages allocates them whether or not it has computed yet. False without it.
 */
export function tuneNativeHeap(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false; // no addon: glibc's defaults stay
  }
}

/** The addon's lane packing (src/protocols/lanes.ts), or undefined without the addon. */
export function nativeLanes(): Required<Pick<NativeDispatch, 'packLanes' | 'unpackLanes'>> | undefined {
  try {
    const a = loadAddon();
    if (a.packLanes === undefined || a.unpackLanes === undefined) return undefined;
    return { packLanes: a.packLanes, unpackLanes: a.unpackLanes };
  } catch {
    return undefined; // no addon: lanes.ts packs in JavaScript
  }
}

/**
 * Gives the C allocator's free memory back to the operating system (glibc keeps the freed pages of
 * large buffers such as shares for later allocations, so an idle process stays large). False when
 * the native addon is not built or nothing was returned.
 */
export function trimNativeHeap(): boolean {
  try {
    return loadAddon().trimHeap?.() === true;
  } catch {
    return false; // no addon: nothing of ours to trim
  }
}
