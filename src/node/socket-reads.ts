/**
 * TCP reads that V8 does not count: large reads land in shared slabs, small ones are copied.
 *
 * Node reads a socket into a new ArrayBuffer each time (64 KiB), which V8 counts as external
 * memory: a party receiving 12 MB per op allocated 12 MB of them per op, and every 64 MiB of those
 * starts a full collection of its heap (util/large-buffers.ts says why that matters). Node's own
 * `onread` option (net.connect's) reads into buffers the application supplies. Here a socket reads
 * into a private {@link SMALL_READ_BYTES} buffer, and each read is copied out and pushed; a read
 * that fills it (bulk data is waiting) makes the next reads go into the socket's own 1 MiB slab
 * (util/large-buffers.ts: shared, outside V8's count, not zeroed), up to {@link SLAB_READ_BYTES} at
 * a time, pushed as views, for as long as each read fills its buffer; one that does not (the
 * socket ran dry) goes back to the small buffer and lets the slab go, to be taken up again by the
 * next bulk reads while it lives. A slab is carved forward only and read by one socket, so no byte
 * handed out is ever written again, and it is freed when its last view is. An idle socket so holds
 * 16 KiB, not a slab (a connection that once carried a job would otherwise pin 1 MiB for its
 * lifetime).
 * Only slab reads of at least {@link MIN_SLAB_VIEW_BYTES} (64 KiB) are handed out as views; a
 * shorter one (say the end of a burst) is copied out like a small read (Node's own reads are as
 * long as the bytes read). A view that some layer keeps (a decoded message's field) keeps its
 * whole slab: so a peer can make this side pin a 1 MiB slab only with a kept chunk of at least
 * 64 KiB it sent, not with a few bytes at the end of each burst (a review found 300 connections
 * pinning the whole 256 MiB budget with 100-byte chunks). Those bytes count in
 * util/large-buffers.ts's budget, so the most they cost beyond it is that large buffers are plain
 * (counted by V8) until the messages are let go.
 *
 * The bytes are pushed into the socket's stream as Node's reads push them: the same 'data'
 * events in the same order, and a push the stream refuses stops reading until it is read. Two
 * differences: `pause()` stops reading at once (Node's own behaviour for `onread` sockets), and a
 * paused socket holds up to one slab read more. Chunks of slab reads are views of shared memory,
 * which WebCrypto refuses; libp2p verifies signatures with node:crypto for Ed25519 and RSA keys
 * (the keys peermpc uses), with WebCrypto for ECDSA, so a large message of an ECDSA-keyed peer
 * could fail its check (refused, not misread).
 *
 * Node offers `onread` to sockets it creates for a dial only, not to those a server accepts, and
 * libp2p's TCP transport creates both. {@link readIntoSlabs} therefore switches an existing socket
 * by the same internals `onread` uses (the socket's kBuffer, kBufferCb and kBufferGen symbols and
 * its handle's `useUserBuffer`), found on a probe socket made with `onread`, on the Node major
 * versions where that code was checked ({@link CHECKED_NODE_MAJORS}); elsewhere, or with
 * `PEERMPC_SLAB_READS=0`, sockets keep Node's reads.
 *
 * Memory safety rests on one rule of Node's: after each read it calls our callback, then our
 * generator, and reads next into the buffer the generator returned. So the callback only marks
 * bytes used and pushes (an exception from a 'data' listener is rethrown from an immediate, and
 * reading goes on as with Node's reads, so the generator still runs), and the generator never
 * throws (it falls back to the small buffer): Node never reads into a byte already handed out.
 */
import net from 'node:net';
import { largeUnfilledBytes } from '../util/large-buffers.js';

/** Size of a socket's private buffer; a read that fills it switches to slab reads. */
export const SMALL_READ_BYTES = 1 << 14;
/** Largest read into a slab. */
export const SLAB_READ_BYTES = 1 << 18;
/** A socket's slab. */
const SLAB_BYTES = 1 << 20;
/** Slab reads shorter than this are copied out: a kept view pins at most 16 times its bytes. */
export const MIN_SLAB_VIEW_BYTES = SLAB_BYTES / 16;
/** Node major versions whose `onread` internals this module was checked against. */
export const CHECKED_NODE_MAJORS: readonly number[] = [20, 22];

/** Node's private symbols of a socket's `onread` state. */
interface OnreadSymbols {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

let symbols: OnreadSymbols | null | undefined;
let switched = 0;

/** The onread symbols from a probe socket made with `onread`, or null where they are not used. */
function onreadSymbols(): OnreadSymbols | null {
  if (symbols !== undefined) return symbols;
  symbols = null;
  const major = Number(process.versions.node.split('.')[0]);
  if (process.env.PEERMPC_SLAB_READS === '0' || !CHECKED_NODE_MAJORS.includes(major)) return symbols;
  try {
    const probe = new net.Socket({ onread: { buffer: () => Buffer.alloc(1), callback: () => true } });
    const find = (name: string): symbol | undefined =>
      Object.getOwnPropertySymbols(probe).find((s) => s.description === name);
    const [buffer, callback, generator] = [find('kBuffer'), find('kBufferCb'), find('kBufferGen')];
    const own = probe as unknown as Record<symbol, unknown>;
    const ok = buffer && callback && generator && typeof own[callback] === 'function';
    if (ok && typeof own[generator] === 'function') symbols = { buffer, callback, generator };
    probe.destroy();
  } catch {
    symbols = null;
  }
  return symbols;
}

/** One switched socket's read buffers. */
class SocketReads {
  private readonly small = Buffer.allocUnsafeSlow(SMALL_READ_BYTES);
  /** The slab of the current bulk reads, held only while they last. */
  private slab: ArrayBufferLike | undefined;
  /** The slab of the last bulk reads, while anything else keeps it: the next ones go on in it. */
  private spare: WeakRef<ArrayBufferLike> | undefined;
  private used = 0;
  /** Whether the next read goes into the slab. */
  private bulk = false;

  constructor(private readonly socket: net.Socket) {}

  /** The buffer of the first read. */
  first(): Buffer {
    return this.small;
  }

  /**
   * Node's callback after a read of `nread` bytes into `buf`: hand them on, choose the next
   * buffer's kind. Bulk reads go on only while each fills its buffer (more is waiting); one that
   * does not (the socket ran dry) goes back to the small buffer, so an idle socket holds no slab.
   */
  readonly onRead = (nread: number, buf: Buffer): boolean => {
    let chunk: Buffer;
    this.bulk = nread === buf.byteLength;
    if (buf === this.small || nread < MIN_SLAB_VIEW_BYTES) {
      // the small buffer is read into again; a short slab read is copied (see the module comment),
      // its slab region left to the next reads
      chunk = Buffer.from(buf.subarray(0, nread));
    } else {
      chunk = buf.subarray(0, nread);
      if (this.slab !== undefined && buf.buffer === this.slab) {
        this.used = Math.min(this.slab.byteLength, (buf.byteOffset + nread + 63) & ~63);
      } else {
        this.slab = undefined; // not the slab handed out: never the case, but never carve it again
      }
    }
    try {
      return this.socket.push(chunk);
    } catch (err) {
      // As with Node's own reads, the exception is the listener's and reading goes on. Thrown from
      // here it would skip Node's call of `next`, and the next read would overwrite `chunk`; so would
      // a rethrow on the next tick, which Node runs before it takes the next buffer. An immediate
      // runs after.
      setImmediate(() => {
        throw err;
      });
      return true;
    }
  };

  /** Node's generator of the next read buffer; never throws. */
  readonly next = (): Buffer => {
    if (!this.bulk) {
      if (this.slab !== undefined) this.spare = new WeakRef(this.slab); // alive while a chunk is
      this.slab = undefined; // an idle socket keeps no slab alive
      return this.small;
    }
    try {
      if (this.slab === undefined) {
        const spare = this.spare?.deref();
        this.spare = undefined;
        if (spare !== undefined && spare.byteLength - this.used >= SLAB_READ_BYTES / 4) this.slab = spare;
      }
      if (this.slab === undefined || this.slab.byteLength - this.used < SLAB_READ_BYTES / 4) {
        this.slab = largeUnfilledBytes(SLAB_BYTES).buffer;
        this.used = 0;
      }
      return Buffer.from(this.slab, this.used, Math.min(SLAB_READ_BYTES, this.slab.byteLength - this.used));
    } catch {
      this.slab = undefined;
      this.bulk = false;
      return this.small;
    }
  };
}

interface HandleWithUserBuffer {
  _handle?: { useUserBuffer?: (buf: Uint8Array) => void } | null;
}

/**
 * Switches `socket` to these reads now (see the module comment); safe at any time, since both
 * kinds of read push into the same stream in order. Returns false, leaving the socket as it was,
 * where this Node's internals are not used or the socket has no handle.
 */
export function readIntoSlabs(socket: net.Socket): boolean {
  const sym = onreadSymbols();
  const handle = (socket as unknown as HandleWithUserBuffer)._handle;
  if (sym === null || typeof handle?.useUserBuffer !== 'function') return false;
  const state = socket as unknown as Record<symbol, unknown>;
  if (state[sym.buffer]) return true; // already switched (or made with onread)
  const reads = new SocketReads(socket);
  state[sym.buffer] = reads.first();
  state[sym.callback] = reads.onRead;
  state[sym.generator] = reads.next;
  handle.useUserBuffer(reads.first());
  switched++;
  return true;
}

/** Sockets switched so far in this process (for tests). */
export function slabReadSockets(): number {
  return switched;
}
