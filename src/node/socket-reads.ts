/**
 * TCP reads into large shared slabs instead of a fresh 64 KiB ArrayBuffer per read.
 *
 * Node reads a socket into a new ArrayBuffer each time (64 KiB), which V8 counts as external
 * memory: a party receiving 12 MB per op allocated 12 MB of them per op, and every 64 MiB of those
 * started a full collection of its heap (util/large-buffers.ts says why that matters). Node's own
 * `onread` option (net.connect's) reads into buffers the application supplies; here each read goes
 * into the unused part of a 1 MiB slab from util/large-buffers.ts (outside V8's count, not zeroed),
 * up to 256 KiB at a time, and the bytes read are pushed into the socket's stream as Node's own
 * reads are: the same 'data' events in the same order, the same pause and back-pressure (a push
 * the stream refuses stops reading until it is read). A slab is carved forward only, so no byte
 * handed out is ever written again, and a slab is freed when its last view is.
 *
 * Node offers `onread` to sockets it creates for a dial only, not to those a server accepts, and
 * libp2p's TCP transport creates both. {@link readIntoSlabs} therefore switches an existing socket
 * by the same internals `onread` uses (the socket's kBuffer, kBufferCb and kBufferGen symbols and
 * its handle's `useUserBuffer`), found on a probe socket made with `onread` and checked once; where
 * they are not as expected (another Node), sockets keep Node's reads. A socket switches only once it
 * has read {@link BUSY_BYTES} (an MPC connection, not a DHT one), since each switched socket keeps
 * its next read buffer (and so a slab) for as long as it lives. `PEERMPC_SLAB_READS=0` turns this off.
 */
import net from 'node:net';
import { largeUnfilledBuffer } from '../util/large-buffers.js';

/** A socket switches once it has read this many bytes through Node's own reads. */
export const BUSY_BYTES = 1 << 20;
/** Largest read into a slab. */
export const SLAB_READ_BYTES = 1 << 18;
/** Slabs that reads are carved from. */
const SLAB_BYTES = 1 << 20;

/** Node's private symbols of a socket's `onread` state. */
interface OnreadSymbols {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

let symbols: OnreadSymbols | null | undefined;
let slab: Buffer | undefined;
let slabUsed = 0;
let switched = 0;

/** The onread symbols from a probe socket made with `onread`, or null when Node has none. */
function onreadSymbols(): OnreadSymbols | null {
  if (symbols !== undefined) return symbols;
  symbols = null;
  if (process.env.PEERMPC_SLAB_READS === '0') return symbols;
  try {
    const probe = new net.Socket({ onread: { buffer: () => Buffer.alloc(1), callback: () => true } });
    const find = (name: string): symbol | undefined =>
      Object.getOwnPropertySymbols(probe).find((s) => s.description === name);
    const [buffer, callback, generator] = [find('kBuffer'), find('kBufferCb'), find('kBufferGen')];
    const own = probe as unknown as Record<symbol, unknown>;
    if (
      buffer !== undefined &&
      callback !== undefined &&
      generator !== undefined &&
      typeof own[callback] === 'function' &&
      typeof own[generator] === 'function'
    ) {
      symbols = { buffer, callback, generator };
    }
    probe.destroy();
  } catch {
    symbols = null;
  }
  return symbols;
}

/**
 * Reserves the next read buffer: the rest of the slab, at most {@link SLAB_READ_BYTES}, or a new
 * slab. Each switched socket holds one reserved buffer, so no two sockets read into the same bytes.
 */
function reserve(): Buffer {
  if (slab === undefined || slab.byteLength - slabUsed < SLAB_READ_BYTES / 4) {
    slab = largeUnfilledBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const start = slabUsed;
  slabUsed = Math.min(slab.byteLength, start + SLAB_READ_BYTES);
  return slab.subarray(start, slabUsed);
}

/**
 * After a read of `n` bytes into `buf`: the bytes after those n are free again when `buf` is the
 * last buffer reserved (as it is when one socket reads at a time), else they stay unused.
 */
function release(buf: Buffer, n: number): void {
  if (slab === undefined || buf.buffer !== slab.buffer || buf.byteOffset + buf.byteLength !== slabUsed)
    return;
  slabUsed = Math.min(slab.byteLength, (buf.byteOffset + n + 63) & ~63);
}

interface SlabSocket {
  _handle?: { useUserBuffer?: (buf: Uint8Array) => void } | null;
}

/**
 * Switches `socket` to reads into slabs now (see the module comment). Returns false, leaving the
 * socket as it was, when Node's internals are not as expected or the socket has no handle.
 */
export function readIntoSlabs(socket: net.Socket): boolean {
  const sym = onreadSymbols();
  const handle = (socket as unknown as SlabSocket)._handle;
  if (sym === null || typeof handle?.useUserBuffer !== 'function') return false;
  const state = socket as unknown as Record<symbol, unknown>;
  if (state[sym.buffer]) return true; // already switched (or made with onread)
  const first = reserve();
  state[sym.buffer] = first;
  state[sym.callback] = (nread: number, buf: Buffer): boolean => {
    release(buf, nread);
    return socket.push(buf.subarray(0, nread));
  };
  state[sym.generator] = reserve;
  handle.useUserBuffer(first);
  switched++;
  return true;
}

/**
 * Switches `socket` to slab reads once it has read {@link BUSY_BYTES} through Node's reads. It
 * watches the socket's `push` (which Node's reads call), not its 'data' events: a 'data' listener
 * would start the stream flowing before libp2p listens, and bytes would be lost.
 */
export function readIntoSlabsWhenBusy(socket: net.Socket): void {
  if (onreadSymbols() === null) return;
  const own = socket as unknown as { push: net.Socket['push'] };
  const push = socket.push;
  own.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    const more = push.call(socket, chunk, encoding);
    if (chunk !== null && socket.bytesRead >= BUSY_BYTES) {
      delete (own as { push?: unknown }).push; // the prototype's again
      readIntoSlabs(socket);
    }
    return more;
  };
}

/** Sockets switched so far in this process (for tests). */
export function slabReadSockets(): number {
  return switched;
}
