/**
 * Large buffers (shares, messages, ciphertexts) that do not start V8's full collections.
 *
 * V8 counts the bytes of every ArrayBuffer it allocates as "external memory", and once 64 MiB more
 * than at the last full collection are allocated it starts one (a constant of V8's, no flag). A
 * party of a rep3 mul of 10^6 words allocates about 70 MiB of such buffers per op (products, masks,
 * messages, their ciphertexts and destinations), so it ran a full collection of its whole heap at
 * every op: with its helper threads, 20-30 ms of CPU per op and party, a third of the party's CPU
 * over libp2p (`npm run bench -- mpc rep3 'mul 1e6' --transport libp2p-tcp`, V8's --trace-gc).
 *
 * V8 does not count SharedArrayBuffers (its BackingStore::PerIsolateAccountingLength is 0 for a
 * shared backing store). Buffers of at least {@link LARGE_BUFFER_MIN_BYTES} are therefore allocated
 * as SharedArrayBuffers here, and counted in V8's place: while the bytes allocated and not yet freed
 * would exceed the budget ({@link largeBufferBudget}: 256 MiB, or `PEERMPC_LARGE_BUFFER_MIB`; 0
 * turns this off), buffers are plain ArrayBuffers again, which V8 counts and collects as before. A
 * process so holds at most the budget more memory than V8 alone would let it (dead buffers waiting
 * for a collection), and runs far fewer full collections when it moves large tensors.
 *
 * With the addon native/alloc.cc, the buffers are its own and the count is its process-wide one,
 * which drops as V8 frees a buffer after any collection: most of these buffers die young and are
 * freed by the next scavenge. Without it, a FinalizationRegistry counts a buffer out, which happens
 * only after a full collection: the budget then fills between full collections, and every 256 + 64
 * MiB allocated ends in one (as against every 64 MiB without shared buffers).
 *
 * A buffer its user writes whole before reading ({@link largeUnfilledBytes}: a message's destination,
 * a ciphertext slab, PRG output) is not zeroed: from the addon, or plain (`Buffer.allocUnsafeSlow`)
 * below the size, over the budget or without the addon; a shared one without the addon is zeroed.
 *
 * The count and the budget are the whole process's with the addon (every thread and every copy of
 * this module share them; threads may each overshoot it by one buffer), this module's own without.
 *
 * The buffers are never shared with another thread: this is an allocation, not a channel. What
 * differs for their users: `.buffer` is a SharedArrayBuffer (not `instanceof ArrayBuffer`; it
 * cannot be in a postMessage transfer list, and postMessage or structuredClone share it instead of
 * copying it). Nothing in peermpc hands one to another thread. A RingTensor's words of 8192 and
 * more (a revealed one's too) are such a buffer, as they were with the WebAssembly kernel: copy
 * them (`slice()`) before posting them to a worker. Decoded values (numbers, tfjs tensors) are
 * plain. Where SharedArrayBuffer does not exist, every buffer is a plain one.
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './paths.js';

/** Smaller buffers are always plain ArrayBuffers (too small to matter to V8's count). */
export const LARGE_BUFFER_MIN_BYTES = 1 << 16;

/** Larger buffers are plain too (V8's largest typed array, and the addon's limit). */
export const LARGE_BUFFER_MAX_BYTES = 2 ** 32;

/** Default of {@link largeBufferBudget}, MiB. */
export const DEFAULT_LARGE_BUFFER_MIB = 256;

/** What {@link largeBufferStats} reports. */
export interface LargeBufferStats {
  /**
   * Bytes of shared buffers allocated and not yet freed: by every copy of this module and every
   * thread in the process when {@link LargeBufferStats.processWide}, else by this copy.
   */
  uncollectedBytes: number;
  /** Whether the count is native/alloc.cc's, shared by the whole process. */
  processWide: boolean;
  /** The budget on those bytes (0: every buffer is plain). */
  budgetBytes: number;
  /** Buffers allocated shared since the process started. */
  sharedAllocs: number;
  /** Large buffers allocated plain because the budget was full. */
  overBudgetAllocs: number;
}

const hasShared = typeof SharedArrayBuffer === 'function' && typeof FinalizationRegistry === 'function';
/** The shared buffers allocated here (so that they are told from WebAssembly memories). */
const own = new WeakSet<object>();
let uncollected = 0;
let sharedAllocs = 0;
let overBudget = 0;
let budget: number | undefined = budgetFromEnv();
const registry = hasShared
  ? new FinalizationRegistry<number>((bytes) => {
      uncollected -= bytes;
    })
  : undefined;

/**
 * The budget from `PEERMPC_LARGE_BUFFER_MIB` (a whole number of MiB), else the default; read when
 * the module loads, so a bad value fails the process's start, not a session.
 */
function budgetFromEnv(): number {
  const raw = process.env.PEERMPC_LARGE_BUFFER_MIB;
  const mib = raw === undefined || raw.trim() === '' ? DEFAULT_LARGE_BUFFER_MIB : Number(raw);
  if (!Number.isSafeInteger(mib) || mib < 0) {
    throw new RangeError(`PEERMPC_LARGE_BUFFER_MIB: ${JSON.stringify(raw)} is not a whole number of MiB`);
  }
  return mib * 1024 * 1024;
}

/** The budget in bytes on shared buffers allocated and not yet collected. */
export function largeBufferBudget(): number {
  budget ??= budgetFromEnv();
  return budget;
}

/**
 * Where every copy of this module in the process lists its {@link largeBufferStats} (a process
 * could load two, from src/ and dist/), so that a memory probe finds them all.
 */
export const LARGE_BUFFER_STATS_KEY = Symbol.for('peermpc.largeBufferStats');

/**
 * Sets the budget (bytes; 0: every buffer plain), for tests and embedders; `undefined` goes back to
 * the environment's. Buffers already allocated keep their kind.
 */
export function setLargeBufferBudget(bytes: number | undefined): void {
  if (bytes !== undefined && (!Number.isSafeInteger(bytes) || bytes < 0)) {
    throw new RangeError(`large buffer budget: ${bytes} is not a byte count`);
  }
  budget = bytes;
}

/** native/alloc.cc's exports (see there). */
interface AllocAddon {
  unfilled(bytes: number): SharedArrayBuffer;
  zeroed(bytes: number): SharedArrayBuffer;
  liveBytes(): number;
  /** Absent from builds before 2026-12-07: copyBytes then uses `set`. */
  copy?(target: Uint8Array, offset: number, source: Uint8Array): void;
}
let allocAddon: AllocAddon | null | undefined;

/** native/alloc.cc, or null when it is not built or does not load. */
function addon(): AllocAddon | null {
  if (allocAddon !== undefined) return allocAddon;
  allocAddon = null;
  const path = join(packageRoot(), 'build', 'Release', 'peermpc_alloc.node');
  if (!existsSync(path)) return allocAddon;
  try {
    const a = createRequire(import.meta.url)(path) as Partial<AllocAddon>;
    const probe = a.zeroed?.(64);
    if (probe instanceof SharedArrayBuffer && probe.byteLength === 64 && typeof a.liveBytes === 'function') {
      allocAddon = a as AllocAddon;
    }
  } catch {
    allocAddon = null; // built for another Node, or not at all: zeroed buffers serve
  }
  return allocAddon;
}

/**
 * Bytes of shared buffers allocated and not yet freed: the addon's process-wide count when it is
 * there (freed after any collection, a scavenge included), else this module's own.
 */
function uncollectedBytes(): number {
  const a = addon();
  return a === null ? uncollected : a.liveBytes();
}

/** A plain ArrayBuffer of `bytes` bytes, not zeroed if `unfilled` (Node's Buffer allocator). */
function plain(bytes: number, unfilled: boolean): ArrayBuffer {
  if (!unfilled) return new ArrayBuffer(bytes);
  return Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
}

/**
 * An ArrayBuffer or SharedArrayBuffer of `bytes` bytes (see the module comment): zeroed, unless
 * `unfilled` and the addon is there.
 */
function backing(bytes: number, unfilled = false): ArrayBufferLike {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`${bytes} is not a byte count`);
  if (registry === undefined || bytes < LARGE_BUFFER_MIN_BYTES || bytes > LARGE_BUFFER_MAX_BYTES)
    return plain(bytes, unfilled);
  if (uncollectedBytes() + bytes > largeBufferBudget()) {
    overBudget++;
    return plain(bytes, unfilled);
  }
  const a = addon();
  let sab: SharedArrayBuffer;
  if (a !== null) {
    sab = unfilled ? a.unfilled(bytes) : a.zeroed(bytes); // counted by the addon
  } else {
    sab = new SharedArrayBuffer(bytes);
    uncollected += bytes;
    registry.register(sab, bytes);
  }
  sharedAllocs++;
  own.add(sab);
  return sab;
}

/** `n` zeroed bytes, on a buffer of their own (offset 0, so 8-byte aligned). */
export function largeBytes(n: number): Uint8Array {
  return new Uint8Array(backing(n));
}

/** `n` zeroed 64-bit words, on a buffer of their own. */
export function largeWords(n: number): BigUint64Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${n} is not a word count`);
  return new BigUint64Array(backing(8 * n));
}

/**
 * `n` bytes that may hold anything (a previous buffer's bytes), on a buffer of their own, for a
 * user that writes every byte before it reads one: not zeroed when native/alloc.cc is built.
 */
export function largeUnfilledBytes(n: number): Uint8Array {
  return new Uint8Array(backing(n, true));
}

/** As {@link largeUnfilledBytes}, as a Node Buffer. */
export function largeUnfilledBuffer(n: number): Buffer {
  return Buffer.from(backing(n, true));
}

/** Copies shorter than this are left to V8 (the call into the addon costs more than it saves). */
export const NATIVE_COPY_MIN_BYTES = 1024;

/**
 * `target.set(source, offset)`, done by the addon's memmove when either side is a shared buffer
 * and the copy is at least {@link NATIVE_COPY_MIN_BYTES}: V8 copies shared memory with relaxed
 * atomic loads and stores, one byte at a time unless source and target are aligned alike, about
 * 3.6 GB/s on this machine against 10-14 for memmove; a received payload sits at any offset of
 * its socket read. Throws a RangeError when `source` does not fit at `offset`, as `set` does;
 * `offset` must be a whole number (callers pass byte counts).
 */
export function copyBytes(target: Uint8Array, offset: number, source: Uint8Array): void {
  const shared =
    hasShared && (target.buffer instanceof SharedArrayBuffer || source.buffer instanceof SharedArrayBuffer);
  const copy = shared && source.byteLength >= NATIVE_COPY_MIN_BYTES ? addon()?.copy : undefined;
  if (copy === undefined) target.set(source, offset);
  else copy(target, offset, source);
}

/**
 * Whether `buf` is a SharedArrayBuffer that some other allocator owns (a WebAssembly memory, whose
 * blocks are reused once their view is collected), not one of this module's.
 */
export function isForeignShared(buf: ArrayBufferLike): boolean {
  return hasShared && buf instanceof SharedArrayBuffer && !own.has(buf);
}

{
  const g = globalThis as Record<symbol, unknown>;
  const list = (g[LARGE_BUFFER_STATS_KEY] ??= []) as (() => LargeBufferStats)[];
  list.push(largeBufferStats);
}

/** Counters, for tests and benchmarks. */
export function largeBufferStats(): LargeBufferStats {
  return {
    uncollectedBytes: uncollectedBytes(),
    processWide: addon() !== null,
    budgetBytes: registry === undefined ? 0 : largeBufferBudget(),
    sharedAllocs,
    overBudgetAllocs: overBudget,
  };
}
