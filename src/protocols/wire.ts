/**
 * Payload helpers: protocols send the raw little-endian words of ring tensors (both ends know the
 * shapes, so no header), several tensors of one round concatenated into one payload.
 */
import { RingTensor, sizeOf, type Shape } from '../tensor/index.js';
import { isForeignShared, largeUnfilledBytes, largeWords } from '../util/large-buffers.js';

/** The bytes of `words`: a view, or a copy when the words live in WebAssembly memory. */
export function wordBytes(words: BigUint64Array): Uint8Array {
  // Words resident in WebAssembly memory (a SharedArrayBuffer) are freed and reused once their
  // tensor is collected, and a byte view over `.buffer` does not keep the block alive: a payload
  // that outlives the send (an in-memory channel passes it by reference) must own its bytes.
  if (isForeignShared(words.buffer)) {
    return copyOf(words);
  }
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

function copyOf(words: BigUint64Array): Uint8Array {
  const out = largeUnfilledBytes(words.byteLength);
  out.set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
  return out;
}

/**
 * Reads exactly `n` words from a payload: a view when the bytes are 8-byte aligned, else a copy.
 * @throws RangeError when the payload has the wrong length (a peer bug or a hostile peer).
 */
export function payloadWords(payload: Uint8Array, n: number, from: number, step: number): BigUint64Array {
  if (payload.byteLength !== 8 * n) {
    throw new RangeError(
      `party ${from} sent ${payload.byteLength} bytes for step ${step}, expected ${8 * n}`,
    );
  }
  if (payload.byteOffset % 8 === 0) return new BigUint64Array(payload.buffer, payload.byteOffset, n);
  const w = largeWords(n);
  wordBytes(w).set(payload);
  return w;
}

/** A payload read as a tensor of `shape`. */
export function payloadTensor(payload: Uint8Array, shape: Shape, from: number, step: number): RingTensor {
  return new RingTensor(shape, payloadWords(payload, sizeOf(shape), from, step));
}

/** Concatenates word arrays into one new array. */
export function concatWords(parts: readonly BigUint64Array[]): BigUint64Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = largeWords(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
